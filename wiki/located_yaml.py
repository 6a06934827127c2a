"""Located YAML: plain values built from PyYAML's nodes, with a location for every one.

PyYAML's composer (libyaml when available) gives nodes with start and end marks;
values are built from them here instead of by PyYAML's constructor, so that every
field keeps its line and column, duplicate keys are errors instead of silently
overwritten, alias expansion is bounded, and dates stay ISO strings until pydantic
parses them (a bad date then gets a location like any other field).
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path
from typing import Any

import yaml

from wiki.errors import ContentError

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_ALIAS_NODES = 1000  # nodes reachable again through aliases: 'billion laughs' stops here
MAX_DEPTH = 64  # nesting deeper than any page needs

FieldPath = tuple[str | int, ...]

# What YAML counts as a line break (so marks and our line numbers agree, CR-only files too).
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_STR, _TIMESTAMP, _INT, _FLOAT, _BOOL = (
    f"{_YAML}{name}" for name in ("str", "timestamp", "int", "float", "bool")
)
_SEQ, _MAP, _MERGE = f"{_YAML}seq", f"{_YAML}map", f"{_YAML}merge"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # reused for YAML 1.1 int/float/bool spelling
_IMPLICIT = _BASE_LOADER.yaml_implicit_resolvers  # first character -> [(tag, pattern)]


class _PageLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """libyaml's parser with the Python hooks it calls for every node cut to what PyYAML
    does when no path resolver is registered (none is): tags resolve exactly as before,
    a third of the parse time faster."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


# PyYAML's own resolve also consults path and wildcard resolvers: there must be none.
_PLAIN_RESOLVERS = not _BASE_LOADER.yaml_path_resolvers and None not in _IMPLICIT
LOADER = _PageLoader if _PLAIN_RESOLVERS else _BASE_LOADER


class Locations:
    """Where each node of one page file sits, addressed by field path like ('claims', 0, 'id')."""

    def __init__(
        self,
        text: str,
        spans: dict[FieldPath, tuple[int, int, int, int]],
        keys: dict[FieldPath, tuple[int, int]],
    ) -> None:
        self._text = text
        self._spans = spans  # path -> 0-based (line, col, end line, end col) of the value node
        self._keys = keys  # path -> 0-based (line, col) of the mapping key naming it
        self._line_starts: list[int] | None = None

    @property
    def source(self) -> str:
        """The text of the file these locations point into."""
        return self._text

    @property
    def spans(self) -> dict[FieldPath, tuple[int, int, int, int]]:
        """Field path -> 0-based (line, col, end line, end col) of its value (read-only)."""
        return self._spans

    @property
    def keys(self) -> dict[FieldPath, tuple[int, int]]:
        """Field path -> 0-based (line, col) of the key naming it (read-only)."""
        return self._keys

    def at(self, field_path: FieldPath) -> tuple[int, int]:
        """1-based (line, col) of the value at `field_path`, or of its nearest existing ancestor."""
        path = tuple(field_path)
        while path not in self._spans and path:
            path = path[:-1]
        line, col, _, _ = self._spans.get(path, (0, 0, 0, 0))
        return line + 1, col + 1

    def key_at(self, field_path: FieldPath) -> tuple[int, int]:
        """1-based (line, col) of the key naming `field_path`; the value's location otherwise."""
        key = self._keys.get(tuple(field_path))
        return (key[0] + 1, key[1] + 1) if key else self.at(field_path)

    def find(self, field_path: FieldPath, needle: str) -> tuple[int, int]:
        """1-based (line, col) of the first `needle` in the source of the value at `field_path`.

        Used to point at a `[[link]]` inside a prose field; falls back to the field itself.
        """
        span = self._spans.get(tuple(field_path))
        if span is None:
            return self.at(field_path)
        starts = self._starts()
        begin = _offset(starts, span[0], span[1])
        end = _offset(starts, span[2], span[3])
        offset = self._text.find(needle, begin, end)
        if offset < 0:
            return self.at(field_path)
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def source_text(self, field_path: FieldPath) -> str | None:
        """The value at `field_path` exactly as the file writes it (a number's digits, so
        `84.0` stays '84.0' where the parsed float prints '84'); None where there is none."""
        span = self._spans.get(tuple(field_path))
        if span is None:
            return None
        starts = self._starts()
        return self._text[_offset(starts, span[0], span[1]) : _offset(starts, span[2], span[3])]

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self._text)
        return self._line_starts


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line, line breaks counted as YAML counts them."""
    return [0] + [match.end() for match in LINE_BREAK.finditer(text)]


def _offset(starts: list[int], line: int, col: int) -> int:
    """Text offset of a 0-based (line, col) mark, clamped to the text."""
    return starts[min(line, len(starts) - 1)] + col


class YamlProblems(Exception):
    """Structural problems of one YAML file (syntax, duplicate keys, aliases...), all located."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors


def parse_yaml(text: str, path: Path) -> tuple[Any, Locations]:
    """Plain Python values and their locations from one YAML document.

    Raises `YamlProblems` for syntax errors, an empty file, duplicate keys, merge
    keys, unsupported tags and runaway aliases.
    """
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as error:
        raise YamlProblems([_syntax_error(error, path)]) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow
        line, col = _line_col(text, error.position)
        code = error.character if isinstance(error.character, int) else ord(error.character)
        message = f"invalid YAML: {error.reason} (character {code:#06x})"
        raise YamlProblems([ContentError(path, line, col, message)]) from None
    except yaml.YAMLError as error:
        message = f"invalid YAML: {str(error).splitlines()[0]}"
        raise YamlProblems([ContentError(path, 1, 1, message)]) from None
    except RecursionError:
        raise YamlProblems([ContentError(path, 1, 1, "YAML nested too deeply")]) from None
    if root is None:
        raise YamlProblems(
            [ContentError(path, 1, 1, "file is empty", "a page starts with 'kind:'")]
        )
    builder = _ValueBuilder(path, shared_nodes="&" in text)  # no anchor, no alias
    value = builder.build(root, (), 0)
    if builder.errors:
        raise YamlProblems(builder.errors)
    return value, Locations(text, builder.spans, builder.keys)


class _AliasBomb(Exception):
    pass


class _ValueBuilder:
    """Builds values from composed nodes, recording spans and collecting structural errors."""

    def __init__(self, path: Path, shared_nodes: bool = True) -> None:
        self.path = path
        self._shared_nodes = shared_nodes  # False: every node is reached once, skip the count
        self.spans: dict[FieldPath, tuple[int, int, int, int]] = {}
        self.keys: dict[FieldPath, tuple[int, int]] = {}
        self.errors: list[ContentError] = []
        self._seen: set[int] = set()
        self._alias_nodes = 0

    def build(self, node: yaml.Node, path: FieldPath, depth: int) -> Any:
        try:
            return self._build(node, path, depth, frozenset())
        except _AliasBomb:
            return None

    def _build(self, node: yaml.Node, path: FieldPath, depth: int, open_ids: frozenset) -> Any:
        start, end = node.start_mark, node.end_mark
        self.spans[path] = (start.line, start.column, end.line, end.column)
        if self._shared_nodes:
            if id(node) in self._seen:  # reached again through an alias
                self._count_alias_node(node, path, open_ids)
            self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self._fail(start, f"nested deeper than {MAX_DEPTH} levels")
            raise _AliasBomb
        node_type = type(node)
        if node_type is yaml.ScalarNode:
            return self._scalar(node)  # type: ignore[arg-type]  # checked by type just above
        if self._shared_nodes:
            open_ids = open_ids | {id(node)}
        if node_type is yaml.SequenceNode:
            if node.tag != _SEQ:
                self._fail(start, f"unsupported tag {node.tag!r}", "plain YAML lists only")
            return self._sequence(node.value, path, depth, open_ids)
        if node.tag != _MAP:
            self._fail(start, f"unsupported tag {node.tag!r}", "plain YAML mappings only")
        assert isinstance(node, yaml.MappingNode)  # scalars and sequences returned above
        return self._mapping(node, path, depth, open_ids)

    def _inline_text(self, depth: int) -> bool:
        """Whether text scalars at `depth` may be taken in the loop over their collection
        instead of through `_build` (a call per node is a third of the walk): when no node
        is reached twice (no alias to count) and `depth` is not too deep."""
        return not self._shared_nodes and depth <= MAX_DEPTH

    def _sequence(
        self, items: list[yaml.Node], path: FieldPath, depth: int, open_ids: frozenset
    ) -> list:
        spans, inline = self.spans, self._inline_text(depth + 1)
        values = []
        for index, item in enumerate(items):
            item_path = (*path, index)
            if inline and type(item) is yaml.ScalarNode and item.tag == _STR:
                start, end = item.start_mark, item.end_mark
                spans[item_path] = (start.line, start.column, end.line, end.column)
                values.append(item.value)
            else:
                values.append(self._build(item, item_path, depth + 1, open_ids))
        return values

    def _mapping(
        self, node: yaml.MappingNode, path: FieldPath, depth: int, open_ids: frozenset
    ) -> dict:
        spans, keys, inline = self.spans, self.keys, self._inline_text(depth + 1)
        values: dict[str, Any] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if key_node.tag == _MERGE:
                self._fail(mark, "merge keys ('<<') are not supported", "write the keys out")
                continue
            if type(key_node) is not yaml.ScalarNode:
                self._fail(mark, "a key must be plain text, not a list or mapping")
                continue
            key = key_node.value
            key_path = (*path, key)
            if key in values:
                self._fail(
                    mark,
                    f"duplicate key {key!r} (first defined on line {keys[key_path][0] + 1})",
                    "remove or rename one of them",
                )
                continue
            keys[key_path] = (mark.line, mark.column)
            if inline and type(value_node) is yaml.ScalarNode and value_node.tag == _STR:
                start, end = value_node.start_mark, value_node.end_mark
                spans[key_path] = (start.line, start.column, end.line, end.column)
                values[key] = value_node.value
            else:
                values[key] = self._build(value_node, key_path, depth + 1, open_ids)
        return values

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag not in _SCALAR_TAGS:
            self._fail(node.start_mark, f"unsupported tag {tag!r}", "plain YAML values only")
            return None
        if tag == _STR or tag == _TIMESTAMP:  # dates stay ISO text for pydantic
            return node.value
        if tag == _INT:
            return _CONSTRUCTOR.construct_yaml_int(node)
        if tag == _FLOAT:
            return _CONSTRUCTOR.construct_yaml_float(node)
        if tag == _BOOL:
            return _CONSTRUCTOR.construct_yaml_bool(node)
        return None

    def _count_alias_node(self, node: yaml.Node, path: FieldPath, open_ids: frozenset) -> None:
        if id(node) in open_ids:
            self._fail(node.start_mark, "an alias refers to a node that contains it")
            raise _AliasBomb
        self._alias_nodes += 1
        if self._alias_nodes > MAX_ALIAS_NODES:
            self._fail(
                node.start_mark,
                f"aliases expand to more than {MAX_ALIAS_NODES} nodes",
                "write the values out instead of repeating anchors",
            )
            raise _AliasBomb

    def _fail(self, mark: yaml.Mark, message: str, hint: str | None = None) -> None:
        self.errors.append(ContentError(self.path, mark.line + 1, mark.column + 1, message, hint))


def _syntax_error(error: yaml.MarkedYAMLError, path: Path) -> ContentError:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = error.problem or error.context or "syntax error"
    hint = None
    if error.context and problem.startswith("but "):  # 'expected X' + 'but found Y' read as one
        problem = f"{error.context}, {problem}"
    elif error.context and error.problem:
        hint = error.context
        if error.context_mark and error.context_mark.line + 1 != line:
            hint += f" (line {error.context_mark.line + 1})"
    return ContentError(path, line, col, f"invalid YAML: {problem}", hint)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    starts = line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    return line + 1, offset - starts[line] + 1
