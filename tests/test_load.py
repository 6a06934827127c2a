"""Loading page files: values, locations, and one located, readable error per kind of mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from wiki import located_yaml, schema
from wiki.errors import ContentError
from wiki.load import LoadedPage, load_page, load_pages
from wiki.located_yaml import MAX_ALIAS_NODES

SOURCE = """
kind: source
title: A paper
year: 2024
"""


def load_one(write_pages, text: str, name: str = "page.yaml") -> tuple[LoadedPage | None, list]:
    root = write_pages({name: text})
    return load_page(root / name)


def only_error(write_pages, text: str, name: str = "page.yaml") -> ContentError:
    page, errors = load_one(write_pages, text, name)
    assert page is None
    assert len(errors) == 1, [error.format() for error in errors]
    return errors[0]


def test_content_error_formats_as_path_line_col_message_and_hint() -> None:
    error = ContentError(Path("concepts/a.yaml"), 3, 5, "something is wrong", "fix it")
    assert error.format() == "concepts/a.yaml:3:5: something is wrong\n  hint: fix it"
    assert ContentError(Path("a.yaml"), 1, 1, "m").format() == "a.yaml:1:1: m"


# --- valid pages ---------------------------------------------------------------------------


def test_mini_fixture_loads_every_page_without_errors(mini_root: Path) -> None:
    pages, errors = load_pages(mini_root)
    assert errors == []
    kinds = {page.id: page.kind for page in pages}
    assert kinds["jepa"] == "concept"
    assert kinds["meta-fair"] == "entity"
    assert kinds["lewm"] == "source"
    assert kinds["planning-at-scale"] == "thesis"
    assert sorted(set(kinds.values())) == ["concept", "entity", "source", "thesis"]


def test_page_id_is_the_file_stem_and_sub_folders_are_searched(mini_root: Path) -> None:
    pages, _ = load_pages(mini_root)
    lewm = next(page for page in pages if page.id == "lewm")
    assert lewm.path == mini_root / "sources" / "lewm.yaml"
    assert isinstance(lewm.model, schema.Source)


def test_values_keep_their_yaml_types(write_pages) -> None:
    page, errors = load_one(
        write_pages,
        """
        kind: concept
        title: "2001"
        status: emerging
        summary: s
        benchmarks:
          - {metric: m, value: 77.3, system: s, source: x}
          - {metric: m, value: 1_000, system: s, source: x}
        changelog:
          - date: 2026-04-22
            note: 2026-04-23
        """,
    )
    assert errors == []
    assert page.model.title == "2001"
    assert [b.value for b in page.model.benchmarks] == [77.3, 1000.0]
    # an unquoted date is a date where the schema wants one, and text where it wants text
    assert page.model.changelog[0].date == dt.date(2026, 4, 22)
    assert page.model.changelog[0].note == "2026-04-23"


def test_locations_point_at_values_keys_and_nearest_ancestor(write_pages) -> None:
    page, _ = load_one(
        write_pages,
        """
        kind: concept
        title: T
        status: emerging
        summary: s
        claims:
          - id: first-claim
            statement: s
            evidence: {grade: weak}
        """,
    )
    assert page.locations.at(("title",)) == (2, 8)
    assert page.locations.at(("claims", 0, "id")) == (6, 9)
    assert page.locations.key_at(("claims", 0, "statement")) == (7, 5)
    assert page.locations.at(("claims", 0, "evidence", "grade")) == (8, 23)
    # evidence.sources is absent: its nearest existing ancestor is the evidence mapping
    assert page.locations.at(("claims", 0, "evidence", "sources")) == (8, 15)
    assert page.locations.at(()) == (1, 1)


def test_locations_find_text_inside_a_prose_value(write_pages) -> None:
    page, _ = load_one(
        write_pages,
        """
        kind: source
        title: T
        year: 2020
        summary: |
          First line.
          Second — with [[a-link]] inside.
        """,
    )
    assert page.locations.find(("summary",), "[[a-link]]") == (6, 17)
    assert page.locations.find(("summary",), "[[absent]]") == page.locations.at(("summary",))


def test_pure_python_yaml_gives_the_same_pages_and_locations(mini_root, monkeypatch) -> None:
    fast, _ = load_pages(mini_root)
    monkeypatch.setattr(located_yaml, "LOADER", yaml.SafeLoader)
    slow, errors = load_pages(mini_root)
    assert errors == []
    assert [page.model for page in slow] == [page.model for page in fast]
    path = ("claims", 1, "evidence", "sources", 1)
    assert slow[0].id == fast[0].id == "jepa"
    assert slow[0].locations.at(path) == fast[0].locations.at(path) == (34, 25)


# What each plain scalar means is YAML 1.1's, as PyYAML resolves it (libyaml or not): a
# faster parser must not turn `yes` into text, `017` into 17 or `1:30` into a string.
YAML_11_SCALARS = {
    "yes": True,
    "No": False,
    "ON": True,
    "off": False,
    "true": True,
    "y": "y",
    "n": "n",
    "octal": 15,
    "octal_o": "0o17",
    "binary": 5,
    "hex": 255,
    "sexagesimal": 5430,
    "underscores": 1000,
    "float": 1.5,
    "exponent": 1000.0,
    "bare_exponent": "1e3",
    "sexagesimal_float": 90.5,
    "infinity": float("inf"),
    "tilde": None,
    "null": None,
    "empty": None,
    "date": "2026-04-22",
    "quoted": "yes",
    "version": "1.2.3",
}
YAML_11_TEXT = """
yes: yes
No: No
ON: ON
off: off
true: true
y: y
n: n
octal: 017
octal_o: 0o17
binary: 0b101
hex: 0xff
sexagesimal: 1:30:30
underscores: 1_000
float: 1.5
exponent: 1.0e+3
bare_exponent: 1e3
sexagesimal_float: 1:30.5
infinity: .inf
tilde: ~
null: null
empty:
date: 2026-04-22
quoted: "yes"
version: 1.2.3
"""


@pytest.mark.parametrize("loader", ["libyaml", "pure"])
def test_plain_scalars_keep_their_yaml_1_1_meaning(loader: str, monkeypatch) -> None:
    if loader == "pure":
        monkeypatch.setattr(located_yaml, "LOADER", yaml.SafeLoader)
    else:
        assert yaml.__with_libyaml__, "libyaml is what makes loading fast: check the install"
    values, locations = located_yaml.parse_yaml(YAML_11_TEXT.lstrip("\n"), Path("p.yaml"))
    assert values == YAML_11_SCALARS
    # keys are taken as written: `yes:` is the key 'yes', not True
    assert list(values) == list(YAML_11_SCALARS)
    assert locations.at(("sexagesimal",)) == (12, 14)
    assert locations.source_text(("octal",)) == "017"


def test_text_scalars_taken_in_their_collection_keep_their_locations(write_pages) -> None:
    """Text values are read in the loop over their mapping or list, not node by node: the
    positions must be what the node-by-node walk (used when a page has anchors) gives."""
    text = "kind: source\ntitle: T\nauthors: [A, 'B']\nyear: 2020\nsummary: |\n  S\n"
    plain, plain_at = located_yaml.parse_yaml(text, Path("p.yaml"))
    anchored, anchored_at = located_yaml.parse_yaml(text + "short: &s x\n", Path("p.yaml"))
    assert {**plain, "short": "x"} == anchored
    for path in [("title",), ("authors",), ("authors", 0), ("authors", 1), ("summary",)]:
        assert plain_at.at(path) == anchored_at.at(path), path
        assert plain_at.source_text(path) == anchored_at.source_text(path), path
    assert plain_at.at(("authors", 1)) == (3, 14)
    assert plain_at.key_at(("year",)) == (4, 1)


def test_yml_suffix_is_loaded_and_hidden_folders_are_skipped(write_pages) -> None:
    root = write_pages({"a.yml": SOURCE, ".drafts/b.yaml": SOURCE, "notes.txt": "x"})
    pages, errors = load_pages(root)
    assert errors == []
    assert [page.id for page in pages] == ["a"]


# --- one test per kind of error: message and location -------------------------------------


def test_yaml_syntax_error_is_located_at_the_problem(write_pages) -> None:
    error = only_error(write_pages, "kind: source\ntitle: [unclosed\nyear: 2020\n")
    assert (error.line, error.col) == (3, 5)
    assert error.message.startswith("invalid YAML: did not find expected ',' or ']'")
    assert "line 2" in error.hint


def test_duplicate_key_is_reported_at_the_second_key(write_pages) -> None:
    error = only_error(write_pages, SOURCE + "title: Again\n")
    assert (error.line, error.col) == (4, 1)
    assert error.message == "duplicate key 'title' (first defined on line 2)"


def test_unknown_key_suggests_the_closest_field(write_pages) -> None:
    error = only_error(
        write_pages,
        """
        kind: concept
        title: T
        status: emerging
        summary: s
        claims:
          - id: c
            statement: s
            evidence: {grade: weak}
            experimnts: []
        """,
    )
    assert (error.line, error.col) == (9, 5)
    assert error.message == "unknown key 'experimnts' in claim"
    assert error.hint == "did you mean 'experiments'?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(write_pages) -> None:
    error = only_error(write_pages, SOURCE + "zzz: 1\n")
    assert error.message == "unknown key 'zzz' in source"
    assert error.hint == "allowed keys: kind, title, short, authors, year, url, summary"


def test_bad_enum_value_lists_the_choices(write_pages) -> None:
    error = only_error(
        write_pages,
        """
        kind: concept
        title: T
        status: emerging
        summary: s
        claims:
          - id: c
            statement: s
            evidence:
              grade: medium
        """,
    )
    assert (error.line, error.col) == (9, 14)
    assert error.message == (
        "'grade' must be one of strong, moderate, weak, speculative (got 'medium')"
    )


def test_misspelt_enum_value_gets_a_suggestion(write_pages) -> None:
    error = only_error(write_pages, "kind: concept\ntitle: T\nstatus: activ-frontier\nsummary: s\n")
    assert (error.line, error.col) == (3, 9)
    assert error.hint == "did you mean 'active-frontier'?"


def test_bad_date_is_located_at_the_date(write_pages) -> None:
    error = only_error(
        write_pages,
        """
        kind: concept
        title: T
        status: emerging
        summary: s
        changelog:
          - date: 2026-13-01
            note: n
        """,
    )
    assert (error.line, error.col) == (6, 11)
    assert error.message.startswith("'date' is not a valid date")
    assert error.message.endswith("(got '2026-13-01')")
    assert error.hint == "write dates as YYYY-MM-DD"


def test_claim_id_that_is_not_a_slug_is_rejected(write_pages) -> None:
    error = only_error(
        write_pages,
        """
        kind: concept
        title: T
        status: emerging
        summary: s
        claims:
          - id: Lewm_Stable
            statement: s
            evidence: {grade: weak}
        """,
    )
    assert (error.line, error.col) == (6, 9)
    assert error.message == "id 'Lewm_Stable' is not a lower-case slug"
    assert "'lewm-stable'" in error.hint


def test_list_item_that_is_not_a_slug_names_the_list(write_pages) -> None:
    error = only_error(
        write_pages, "kind: entity\ntitle: T\ntype: person\nsummary: s\nlinks: [{page: Bad Id}]\n"
    )
    assert (error.line, error.col) == (5, 16)
    assert error.message == "page 'Bad Id' is not a lower-case slug"


def test_file_name_that_is_not_a_slug_is_an_error(write_pages) -> None:
    error = only_error(write_pages, SOURCE, name="Lewm_Stable.yaml")
    assert (error.line, error.col) == (1, 1)
    assert error.message == "page id 'Lewm_Stable' (the file name) is not a lower-case slug"
    assert error.hint == "rename the file to 'lewm-stable.yaml'"


def test_unknown_kind_suggests_a_kind(write_pages) -> None:
    error = only_error(write_pages, "title: T\nkind: concpet\n")
    assert (error.line, error.col) == (2, 7)
    assert error.message == "unknown kind 'concpet'"
    assert error.hint.startswith("did you mean 'concept'?")
    assert "concept, entity, source, thesis" in error.hint


def test_missing_kind_lists_the_kinds(write_pages) -> None:
    error = only_error(write_pages, "title: T\n")
    assert error.message == "missing 'kind'"
    assert error.hint == "kind is one of concept, entity, source, thesis"


def test_missing_required_field_is_located_at_its_mapping(write_pages) -> None:
    error = only_error(
        write_pages,
        """
        kind: concept
        title: T
        status: emerging
        summary: s
        claims:
          - id: c
            evidence: {grade: weak}
        """,
    )
    assert (error.line, error.col) == (6, 5)
    assert error.message == "missing required key 'statement' in claim"


def test_wrong_shape_says_what_was_expected(write_pages) -> None:
    error = only_error(write_pages, "kind: source\ntitle: T\nyear: 2020\nauthors: Ann Lee\n")
    assert (error.line, error.col) == (4, 10)
    assert error.message == "'authors' must be a list (got 'Ann Lee')"
    assert error.hint == "write [Ann Lee]"


def test_number_where_text_is_expected_hints_at_quotes(write_pages) -> None:
    error = only_error(write_pages, "kind: source\ntitle: 1984\nyear: 2020\n")
    assert error.message == "'title' must be text (got 1984)"
    assert error.hint == "put the value in quotes"


def test_dependency_naming_two_targets_is_rejected(write_pages) -> None:
    error = only_error(
        write_pages,
        """
        kind: thesis
        title: T
        position: p
        confidence: low
        depends_on:
          - {claim: a, concept: b}
        """,
    )
    assert (error.line, error.col) == (6, 5)
    assert "exactly one of 'claim', 'concept' or 'thesis'" in error.message


def test_every_schema_error_of_a_page_is_reported(write_pages) -> None:
    page, errors = load_one(
        write_pages, "kind: source\ntitle: T\nyear: 1800\nauthors: x\nurl: [a]\n", "Bad.yaml"
    )
    assert page is None
    assert [error.line for error in errors] == [1, 3, 4, 5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("# only a comment\n", "file is empty"),
        ("- a\n- b\n", "a page is a mapping of keys, not a list"),
        ("just text\n", "a page is a mapping of keys, not 'just text'"),
    ],
)
def test_file_without_a_mapping_is_rejected(write_pages, text: str, message: str) -> None:
    assert only_error(write_pages, text).message == message


def test_second_document_in_a_file_is_rejected(write_pages) -> None:
    error = only_error(write_pages, SOURCE + "---\nkind: source\n")
    assert error.line == 4
    assert "single document" in error.message


def test_python_tags_are_rejected_not_executed(write_pages, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    error = only_error(
        write_pages, SOURCE + f'url: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    assert error.line == 4
    assert error.message.startswith("unsupported tag 'tag:yaml.org,2002:python/object/apply")
    assert not marker.exists()


def test_merge_keys_are_rejected(write_pages) -> None:
    error = only_error(write_pages, "base: &b {kind: source}\n<<: *b\n")
    assert (error.line, error.col) == (2, 1)
    assert error.message == "merge keys ('<<') are not supported"


def test_alias_expansion_is_bounded(write_pages) -> None:
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level, name in enumerate("bcdefgh"):
        previous = "abcdefg"[level]
        laughs.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    error = only_error(write_pages, "\n".join(laughs) + "\n")
    assert error.message == f"aliases expand to more than {MAX_ALIAS_NODES} nodes"


def test_a_few_aliases_are_fine(write_pages) -> None:
    page, errors = load_one(write_pages, "kind: source\ntitle: &t Same\nyear: 2020\nsummary: *t\n")
    assert errors == []
    assert page.model.summary == "Same"


def test_alias_that_contains_itself_is_rejected(write_pages) -> None:
    error = only_error(write_pages, "kind: source\nauthors: &a [*a]\n")
    assert error.message == "an alias refers to a node that contains it"


def test_invalid_utf8_is_located_at_its_line(write_pages) -> None:
    root = write_pages({})
    (root / "page.yaml").write_bytes(b"kind: source\ntitle: caf\xe9\n")
    page, errors = load_page(root / "page.yaml")
    assert page is None
    assert [(error.line, error.message) for error in errors] == [
        (2, "file is not valid UTF-8 text")
    ]


def test_control_character_is_located(write_pages) -> None:
    error = only_error(write_pages, 'kind: source\ntitle: "a\x01"\n')
    assert (error.line, error.col) == (2, 10)
    assert error.message.startswith("invalid YAML: control characters are not allowed")
