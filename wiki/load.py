"""Load page files: safe YAML with a location for every node, validated by `wiki.schema`.

PyYAML's composer (libyaml when available) gives nodes with start and end marks;
values are built from them here instead of by PyYAML's constructor, so that every
field keeps its line and column, duplicate keys are errors instead of silently
overwritten, alias expansion is bounded, and dates stay ISO strings until pydantic
parses them (a bad date then gets a location like any other field).
"""

from __future__ import annotations

import bisect
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from wiki import schema
from wiki.errors import ContentError

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PAGE_SUFFIXES = (".yaml", ".yml")
MAX_ALIAS_NODES = 1000  # nodes reachable again through aliases: 'billion laughs' stops here
MAX_DEPTH = 64  # nesting deeper than any page needs

FieldPath = tuple[str | int, ...]
PageModel = schema.Concept | schema.Entity | schema.Source | schema.Thesis

_SLUG = re.compile(schema.SLUG_PATTERN)
_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # reused for YAML 1.1 int/float/bool spelling


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
        begin = starts[span[0]] + span[1]
        end = starts[min(span[2], len(starts) - 1)] + span[3]
        offset = self._text.find(needle, begin, end)
        if offset < 0:
            return self.at(field_path)
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self._text)]
        return self._line_starts


@dataclass
class LoadedPage:
    """One valid page: its id (the file stem), file, validated model and node locations."""

    id: str
    path: Path
    model: PageModel
    locations: Locations

    @property
    def kind(self) -> str:
        return self.model.kind


@dataclass
class LoadResult:
    """Pages that loaded, errors of those that did not, and the ids the failed files declare.

    `unloaded_ids` lets the linker stay quiet about references to a page that exists
    but has its own errors (already reported), instead of calling them dangling.
    """

    pages: list[LoadedPage] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    unloaded_ids: set[str] = field(default_factory=set)


def load_pages(root: Path) -> tuple[list[LoadedPage], list[ContentError]]:
    """Load every page file under `root` (sub-folders included, hidden ones skipped)."""
    result = load_tree(root)
    return result.pages, result.errors


def load_tree(root: Path) -> LoadResult:
    """Like `load_pages`, also reporting the ids declared by files that failed to load."""
    result = LoadResult()
    for path in page_files(root):
        page, errors, declared_ids = _load_file(path)
        if page is not None:
            result.pages.append(page)
        else:
            result.errors.extend(errors)
            result.unloaded_ids.update(declared_ids)
    return result


def page_files(root: Path) -> list[Path]:
    """Page files under `root` in a stable order; dot-folders and dot-files are skipped."""
    files = [
        path
        for path in root.rglob("*")
        if path.suffix in PAGE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and path.is_file()
    ]
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def load_page(path: Path) -> tuple[LoadedPage | None, list[ContentError]]:
    """Load and validate one page file: the page, or None and every error found in it."""
    page, errors, _ = _load_file(path)
    return page, errors


def _load_file(path: Path) -> tuple[LoadedPage | None, list[ContentError], set[str]]:
    errors: list[ContentError] = []
    page_id = path.stem
    if not _SLUG.match(page_id):
        errors.append(
            ContentError(
                path,
                1,
                1,
                f"page id {page_id!r} (the file name) is not a lower-case slug",
                f"rename the file to '{slugify(page_id)}{path.suffix}'",
            )
        )
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as error:
        errors.append(ContentError(path, 1, 1, f"cannot read the file: {error.strerror}"))
        return None, errors, {page_id}
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        errors.append(ContentError(path, line, 1, "file is not valid UTF-8 text"))
        return None, errors, {page_id}
    try:
        data, locations = parse_yaml(text, path)
    except YamlProblems as problems:
        errors.extend(problems.errors)
        return None, errors, {page_id}
    declared = {page_id, *_declared_claim_ids(data)}
    kind_errors = _check_kind(data, locations, path)
    if kind_errors:
        return None, errors + kind_errors, declared
    try:
        model = schema.PAGE_ADAPTER.validate_python(data)
    except ValidationError as error:
        kind = data["kind"]
        errors.extend(_describe(problem, kind, locations, path) for problem in error.errors())
    if errors:
        return None, sorted(errors, key=ContentError.sort_key), declared
    return LoadedPage(page_id, path, model, locations), [], set()


# --- YAML to plain values --------------------------------------------------------------


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
    builder = _ValueBuilder(path)
    value = builder.build(root, (), 0)
    if builder.errors:
        raise YamlProblems(builder.errors)
    return value, Locations(text, builder.spans, builder.keys)


class _AliasBomb(Exception):
    pass


class _ValueBuilder:
    """Builds values from composed nodes, recording spans and collecting structural errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
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
        if id(node) in self._seen:  # reached again through an alias
            self._count_alias_node(node, path, open_ids)
        self._seen.add(id(node))
        if depth > MAX_DEPTH:
            self._fail(start, f"nested deeper than {MAX_DEPTH} levels")
            raise _AliasBomb
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        open_ids = open_ids | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_YAML}seq":
                self._fail(start, f"unsupported tag {node.tag!r}", "plain YAML lists only")
            return [
                self._build(item, (*path, index), depth + 1, open_ids)
                for index, item in enumerate(node.value)
            ]
        if node.tag != f"{_YAML}map":
            self._fail(start, f"unsupported tag {node.tag!r}", "plain YAML mappings only")
        return self._mapping(node, path, depth, open_ids)

    def _mapping(
        self, node: yaml.MappingNode, path: FieldPath, depth: int, open_ids: frozenset
    ) -> dict:
        values: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if key_node.tag == f"{_YAML}merge":
                self._fail(mark, "merge keys ('<<') are not supported", "write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._fail(mark, "a key must be plain text, not a list or mapping")
                continue
            key = key_node.value
            if key in first_lines:
                self._fail(
                    mark,
                    f"duplicate key {key!r} (first defined on line {first_lines[key]})",
                    "remove or rename one of them",
                )
                continue
            first_lines[key] = mark.line + 1
            self.keys[(*path, key)] = (mark.line, mark.column)
            values[key] = self._build(value_node, (*path, key), depth + 1, open_ids)
        return values

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self._fail(node.start_mark, f"unsupported tag {tag!r}", "plain YAML values only")
            return None
        if tag == f"{_YAML}str" or tag == f"{_YAML}timestamp":  # dates stay ISO text for pydantic
            return node.value
        if tag == f"{_YAML}int":
            return _CONSTRUCTOR.construct_yaml_int(node)
        if tag == f"{_YAML}float":
            return _CONSTRUCTOR.construct_yaml_float(node)
        if tag == f"{_YAML}bool":
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
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


# --- kind and pydantic errors ------------------------------------------------------------


def _check_kind(data: Any, locations: Locations, path: Path) -> list[ContentError]:
    kinds = ", ".join(schema.PAGE_KINDS)
    if not isinstance(data, dict):
        return [
            ContentError(
                path,
                1,
                1,
                f"a page is a mapping of keys, not {_describe_value(data)}",
                f"start the file with 'kind: <{kinds.replace(', ', ' | ')}>'",
            )
        ]
    if "kind" not in data:
        return [ContentError(path, *locations.at(()), "missing 'kind'", f"kind is one of {kinds}")]
    kind = data["kind"]
    if kind in schema.PAGE_KINDS:
        return []
    guess = did_you_mean(str(kind), schema.PAGE_KINDS)
    return [
        ContentError(
            path,
            *locations.at(("kind",)),
            f"unknown kind {kind!r}",
            f"{guess} (kinds: {kinds})" if guess else f"kind is one of {kinds}",
        )
    ]


def _describe(problem: dict, kind: str, locations: Locations, path: Path) -> ContentError:
    """Turn one pydantic error into a located, readable ContentError."""
    loc: FieldPath = tuple(problem["loc"])
    if loc and loc[0] == kind:  # the discriminated union puts the tag first
        loc = loc[1:]
    page_model = _PAGE_MODELS[kind]
    error_type, value = problem["type"], problem.get("input")
    name = _field_name(loc)
    shown = _describe_value(value)

    if error_type == "extra_forbidden":
        container = _type_at(page_model, loc[:-1])
        allowed = list(container.model_fields) if _is_model(container) else []
        guess = did_you_mean(str(loc[-1]), allowed)
        return ContentError(
            path,
            *locations.key_at(loc),
            f"unknown key {loc[-1]!r} in {_model_label(container)}",
            guess or (f"allowed keys: {', '.join(allowed)}" if allowed else None),
        )
    if error_type == "missing":
        container = _type_at(page_model, loc[:-1])
        return ContentError(
            path,
            *locations.at(loc[:-1]),
            f"missing required key {name} in {_model_label(container)}",
        )
    position = locations.at(loc)
    if error_type == "enum":
        choices = _enum_choices(_type_at(page_model, loc))
        return ContentError(
            path,
            *position,
            f"{name} must be one of {', '.join(choices)} (got {shown})",
            did_you_mean(str(value), choices),
        )
    if value is None:
        return ContentError(path, *position, f"{name} has no value", "give it a value or remove it")
    if error_type == "string_pattern_mismatch":
        item = f"{name} item" if isinstance(loc[-1], int) else name.strip("'")
        return ContentError(
            path,
            *position,
            f"{item} {value!r} is not a lower-case slug",
            f"use a-z, 0-9 and '-' only, e.g. '{slugify(str(value))}'",
        )
    if error_type == "string_type":
        quote = "put the value in quotes" if isinstance(value, int | float) else None
        return ContentError(path, *position, f"{name} must be text (got {shown})", quote)
    if error_type == "list_type":
        hint = f"write [{value}]" if not isinstance(value, dict) else "start each item with '- '"
        return ContentError(path, *position, f"{name} must be a list (got {shown})", hint)
    if error_type in ("model_type", "model_attributes_type", "dict_type"):
        return ContentError(path, *position, f"{name} must be a mapping of keys (got {shown})")
    if error_type.startswith("date"):
        reason = problem.get("ctx", {}).get("error")
        return ContentError(
            path,
            *position,
            f"{name} is not a valid date{f': {reason}' if reason else ''} (got {shown})",
            "write dates as YYYY-MM-DD",
        )
    if error_type == "value_error":
        return ContentError(path, *position, problem["msg"].removeprefix("Value error, "))
    message = problem["msg"].replace("Input should", f"{name} should", 1)
    return ContentError(path, *position, f"{message} (got {shown})")


_PAGE_MODELS: dict[str, type[BaseModel]] = {
    "concept": schema.Concept,
    "entity": schema.Entity,
    "source": schema.Source,
    "thesis": schema.Thesis,
}


def _type_at(model: type[BaseModel], loc: FieldPath) -> Any:
    """The schema type at `loc` below `model` (list indexes and dict keys pass through)."""
    current: Any = model
    for part in loc:
        if isinstance(part, str) and _is_model(current) and part in current.model_fields:
            current = _unwrap(current.model_fields[part].annotation)
    return current


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated, Optional, list[...] and dict[..., X] down to a model, enum or scalar."""
    while True:
        origin = typing.get_origin(annotation)
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if origin is typing.Annotated or origin in (list, tuple, set, dict):
            annotation = args[-1] if origin is dict else args[0]
        elif origin in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
        else:
            return annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_label(model: Any) -> str:
    """'ChangelogEntry' -> 'changelog entry'; page models read as their kind."""
    if not _is_model(model):
        return "mapping"
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()


def _enum_choices(enum: Any) -> list[str]:
    if enum is schema.Grade:  # strongest first, the way authors read grades
        return [grade.value for grade in reversed(schema.GRADE_ORDER)]
    if isinstance(enum, type) and issubclass(enum, Enum):
        return [member.value for member in enum]
    return []


def _field_name(loc: FieldPath) -> str:
    names = [part for part in loc if isinstance(part, str)]
    return f"{names[-1]!r}" if names else "the page"


def _describe_value(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _declared_claim_ids(data: Any) -> set[str]:
    """Claim ids a page that failed validation still declares, read from its raw values."""
    claims = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(claims, list):
        return set()
    return {c["id"] for c in claims if isinstance(c, dict) and isinstance(c.get("id"), str)}


def did_you_mean(word: str, candidates: typing.Iterable[str]) -> str | None:
    """`did you mean 'x'?` for the closest candidate, or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def slugify(text: str) -> str:
    """A lower-case slug close to `text` ('Lewm_Stable' -> 'lewm-stable')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"
