"""Fuzzing the shipped pages: whatever the bytes or the YAML shape, `wiki check` exits 0 or 1.

Each example breaks one page of a copy of `concepts/` (bytes flipped, cut or inserted; a
YAML node swapped for another value) and runs `wiki check` in-process. A traceback or
any exit code but 0/1 fails. The example counts are small so the default run stays
quick; no deadline, because the test machine is shared and speed is measured elsewhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wiki.cli import app

CONCEPTS = Path(__file__).parent.parent / "concepts"
PAGES = sorted(path.relative_to(CONCEPTS) for path in CONCEPTS.rglob("*.yaml"))
FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
runner = CliRunner()

yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_subnormal=False)  # torch tests flush denormals
    | st.text(max_size=20)
    | st.sampled_from(
        ["[[jepa]]", "[[nope|x]]", "2026-13-40", ">== 0.5", "lewm", "*a", "!!python"]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def wiki_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(CONCEPTS, tmp_path_factory.mktemp("fuzz") / "concepts"))


def check_with(root: Path, page: Path, content: bytes) -> None:
    target = root / page
    original = target.read_bytes()
    target.write_bytes(content)
    try:
        result = runner.invoke(app, ["check", "--root", str(root)])
    finally:
        target.write_bytes(original)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


@FUZZ
@given(
    page=st.sampled_from(PAGES),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "cut", "insert"]),
            st.integers(0, 1000),
            st.binary(min_size=1, max_size=4)
            | st.sampled_from([b"\r", b"\n", b"\t", b": ", b"- ", b"&a ", b"*a", b"\xff", b"\x00"]),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_byte_mutations_never_give_a_traceback(wiki_copy: Path, page: Path, edits) -> None:
    content = bytearray((CONCEPTS / page).read_bytes())
    for operation, where, data in edits:
        at = where * len(content) // 1000
        if operation == "flip":
            content[at : at + len(data)] = data
        elif operation == "cut":
            del content[at : at + 8 * len(data)]
        else:
            content[at:at] = data
    check_with(wiki_copy, page, bytes(content))


@FUZZ
@given(
    page=st.sampled_from(PAGES),
    choices=st.lists(st.integers(0, 10**6), min_size=1),
    value=yaml_values,
)
def test_yaml_structure_mutations_never_give_a_traceback(
    wiki_copy: Path, page: Path, choices: list[int], value
) -> None:
    data = yaml.safe_load((CONCEPTS / page).read_text(encoding="utf-8"))
    replace_somewhere(data, choices, value)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    check_with(wiki_copy, page, text.encode("utf-8"))


def replace_somewhere(data, choices: list[int], value) -> None:
    """Walk down by `choices` (one index per level) and put `value` where the walk stops."""
    node = data
    for choice in choices:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = keys[choice % len(keys)]
        child = node[key]
        if not isinstance(child, dict | list) or choice % 3 == 0:
            node[key] = value
            return
        node = child
    if isinstance(node, dict):
        node["kind" if not node else list(node)[0]] = value
