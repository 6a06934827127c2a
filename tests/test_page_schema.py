"""The JSON Schema of a page: committed, current, shipped, and in agreement with `wiki check`.

check-jsonschema runs over the shipped pages and a set of right and wrong pages, and must
reject exactly the files `wiki check` rejects at the schema level. Out of a JSON Schema's
reach, so not compared here: whether ids exist and have the right kind, `[[links]]`,
thesis cycles, experiment names and params (those need the whole wiki or the registry),
the file name as page id, and the YAML 1.1 spellings our loader reads as booleans
(`yes`, `on`), which YAML 1.2 tools read as text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wiki import schema
from wiki.load import load_page

REPO = Path(__file__).parent.parent
SHIPPED = sorted((REPO / "concepts").rglob("*.yaml"))
MODELINE = "# yaml-language-server: $schema="

CONCEPT = "kind: concept\ntitle: T\nstatus: emerging\nsummary: s\n"
LINKED = CONCEPT + (
    "claims:\n  - id: c\n    statement: s\n    evidence: {grade: weak, sources: [p]}\n"
    "    experiments:\n      - experiment: e\n        seeds: SEEDS\n"
    "        expect: {m: 'EXPECT'}\n"
)
SOURCE = "kind: source\ntitle: T\nyear: YEAR\n"
THESIS = "kind: thesis\ntitle: T\nposition: p\nconfidence: low\ndepends_on:\n  - DEP\n"


def linked(expect: str = ">= 0.5", seeds: str = "3") -> str:
    return LINKED.replace("EXPECT", expect).replace("SEEDS", seeds)


# name -> (page text, whether it is valid)
CASES: dict[str, tuple[str, bool]] = {
    "source": (SOURCE.replace("YEAR", "2026"), True),
    "concept-with-expect": (linked(), True),
    "expect-range": (linked(">= 0.5 and <= 1.5"), True),
    "expect-scientific": (linked("< 1e-2"), True),
    "thesis-claim": (THESIS.replace("DEP", "claim: c"), True),
    "thesis-null-second-target": (THESIS.replace("DEP", "{claim: c, concept: null}"), True),
    "entity": ("kind: entity\ntitle: T\ntype: person\nsummary: s\n", True),
    "year-in-quotes": (SOURCE.replace("YEAR", '"2026"'), False),
    "year-too-early": (SOURCE.replace("YEAR", "1492"), False),
    "expect-bad-operator": (linked(">== 0.5"), False),
    "expect-no-number": (linked(">= high"), False),
    "expect-trailing-and": (linked(">= 0.5 and"), False),
    "seeds-in-quotes": (linked(seeds='"3"'), False),
    "seeds-zero": (linked(seeds="0"), False),
    "unknown-key": (CONCEPT + "sumary: s\n", False),
    "missing-kind": ("title: T\nyear: 2020\n", False),
    "unknown-kind": ("kind: paper\ntitle: T\n", False),
    "bad-status": (CONCEPT.replace("emerging", "new"), False),
    "missing-summary": ("kind: concept\ntitle: T\nstatus: emerging\n", False),
    "source-id-not-a-slug": (linked().replace("sources: [p]", "sources: [Bad_Id]"), False),
    "two-targets": (THESIS.replace("DEP", "{claim: c, concept: d}"), False),
    "no-target": (THESIS.replace("DEP", "{role: supports}"), False),
    "bad-date": (CONCEPT + "changelog:\n  - {date: 2026-13-01, note: n}\n", False),
    "title-a-number": ("kind: source\ntitle: 2001\nyear: 2020\n", False),
    "value-in-quotes": (
        CONCEPT + "benchmarks:\n  - {metric: m, value: '77.3', system: s, source: p}\n",
        False,
    ),
    "a-list": ("- kind: source\n", False),
}


def check_jsonschema(files: list[Path]) -> set[Path]:
    """The files check-jsonschema rejects, validated against the committed schema."""
    pytest.importorskip("check_jsonschema")
    command = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema.SCHEMA_FILE)]
    result = subprocess.run(
        [*command, "-o", "json", *map(str, files)], capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout)
    assert report["parse_errors"] == [], report["parse_errors"]
    return {Path(error["filename"]) for error in report["errors"]}


def test_committed_schema_is_current() -> None:
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.json_schema_text(), (
        "wiki/page.schema.json is stale: run `wiki schema > wiki/page.schema.json`"
    )


def test_schema_names_its_draft_id_and_one_branch_per_kind() -> None:
    document = schema.json_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == schema.SCHEMA_ID
    assert "oneOf" not in document
    branches = {b["if"]["properties"]["kind"]["const"]: b["then"] for b in document["allOf"]}
    assert list(branches) == list(schema.PAGE_KINDS)
    for name, definition in document["$defs"].items():
        assert definition.get("title") and definition.get("description"), name


def test_schema_is_shipped_as_package_data() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"page.schema.json"' in pyproject


def test_every_shipped_page_starts_with_a_modeline_to_the_committed_schema() -> None:
    assert SHIPPED
    for page in SHIPPED:
        first = page.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(MODELINE), page
        target = (page.parent / first.removeprefix(MODELINE)).resolve()
        assert target == schema.SCHEMA_FILE.resolve(), page


def test_pre_commit_hook_runs_wiki_check() -> None:
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: wiki check" in hooks


def test_check_jsonschema_rejects_exactly_what_wiki_check_rejects(tmp_path: Path) -> None:
    files = {}
    for name, (text, _) in CASES.items():
        files[name] = tmp_path / f"{name}.yaml"
        files[name].write_text(text, encoding="utf-8")
    rejected_by_schema = check_jsonschema([*SHIPPED, *files.values()])
    assert rejected_by_schema.isdisjoint(SHIPPED)
    for name, path in files.items():
        page, errors = load_page(path)
        assert (page is not None) == CASES[name][1], (name, [e.format() for e in errors])
        assert (path in rejected_by_schema) == (page is None), name


def test_check_jsonschema_names_the_field_of_the_declared_kind(tmp_path: Path) -> None:
    page = tmp_path / "a.yaml"
    page.write_text(CONCEPT.replace("emerging", "new"), encoding="utf-8")
    pytest.importorskip("check_jsonschema")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema.SCHEMA_FILE)]
        + [str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 1
    assert "$.status: 'new' is not one of" in result.stdout
    assert "entity" not in result.stdout.lower()
