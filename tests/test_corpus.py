"""Linking: ids, references, [[links]], backlinks, cycles; every error of a run together."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiki.corpus import LINK_PATTERN, Wiki, load_wiki
from wiki.errors import ContentError, ContentErrors

CONCEPT = """
kind: concept
title: A concept
status: emerging
summary: s
claims:
  - id: {claim}
    statement: s
    evidence:
      grade: weak
      sources: [paper]
"""
PAPER = "kind: source\ntitle: Paper\nyear: 2024\n"


def errors_of(root: Path) -> list[ContentError]:
    with pytest.raises(ContentErrors) as failure:
        load_wiki(root)
    return failure.value.errors


def only_error(root: Path) -> ContentError:
    errors = errors_of(root)
    assert len(errors) == 1, [error.format() for error in errors]
    return errors[0]


def thesis(*dependencies: str, position: str = "p") -> str:
    lines = [f"  - {dependency}" for dependency in dependencies]
    return "\n".join(
        ["kind: thesis", "title: T", f"position: {position}", "confidence: low", "depends_on:"]
        + lines
    )


# --- the linked wiki --------------------------------------------------------------------------


@pytest.fixture
def mini(mini_root: Path) -> Wiki:
    return load_wiki(mini_root)


def test_mini_wiki_links_without_errors_or_warnings(mini: Wiki) -> None:
    assert len(mini.pages) == 9
    assert list(mini.pages) == sorted(mini.pages)
    assert list(mini.claims) == ["lewm-stable", "masking-helps", "latent-planning-works"]
    assert mini.warnings == []


def test_pages_by_kind_and_kind_of_any_id(mini: Wiki) -> None:
    assert [page.id for page in mini.by_kind("thesis")] == ["latent-planning", "planning-at-scale"]
    assert mini.kind_of("jepa") == "concept"
    assert mini.kind_of("lewm-stable") == "claim"
    assert mini.kind_of("yann-lecun") == "entity"
    with pytest.raises(KeyError):
        mini.kind_of("nope")


def test_claim_entry_knows_its_page_and_position(mini: Wiki) -> None:
    entry = mini.claims["masking-helps"]
    assert (entry.page_id, entry.index) == ("jepa", 1)
    assert entry.claim.evidence.sources == ["i-jepa", "v-jepa-2"]
    assert mini.page_of("masking-helps").id == "jepa"


def test_location_of_a_field(mini: Wiki, mini_root: Path) -> None:
    path, line, col = mini.location("jepa", ("claims", 1, "id"))
    assert path == mini_root / "concepts" / "jepa.yaml"
    assert (line, col) == (30, 9)


def test_backlinks_are_computed_from_references_to_a_page_and_its_claims(mini: Wiki) -> None:
    # latent-planning depends on claim lewm-stable; meta-fair links to jepa; jepa is not its own
    assert mini.backlinks("jepa") == ["latent-planning", "meta-fair", "world-models"]
    assert mini.backlinks("latent-planning") == ["planning-at-scale", "yann-lecun"]
    assert mini.backlinks("i-jepa") == ["jepa"]


def test_claims_citing_a_source(mini: Wiki) -> None:
    assert mini.claims_citing("v-jepa-2") == ["latent-planning-works", "masking-helps"]
    assert mini.claims_citing("lewm") == ["lewm-stable"]


def test_theses_depending_on_through_claims_and_theses(mini: Wiki) -> None:
    assert mini.theses_depending_on("jepa") == ["latent-planning", "planning-at-scale"]
    assert mini.theses_depending_on("latent-planning") == ["planning-at-scale"]


def test_link_pattern_reads_ids_and_labels() -> None:
    text = "See [[jepa]], [[lewm-stable|the LeWM claim]] and [[ world-models | models ]]."
    found = [(m.group(1), m.group(2)) for m in LINK_PATTERN.finditer(text)]
    assert found == [("jepa", None), ("lewm-stable", "the LeWM claim"), ("world-models", "models")]


def test_labelled_links_resolve_to_pages_and_claims(mini: Wiki) -> None:
    # jepa's sections link [[lewm-stable|the LeWM claim]]; the open question [[world-models|...]]
    assert "world-models" in mini.graph.references("jepa")
    assert "lewm-stable" in mini.graph.references("jepa")


# --- errors: message and exact location -----------------------------------------------------


def test_duplicate_page_id_across_sub_folders(write_pages) -> None:
    root = write_pages({"a/paper.yaml": PAPER, "b/paper.yaml": PAPER})
    error = only_error(root)
    assert error.path == root / "b" / "paper.yaml"
    assert (error.line, error.col) == (1, 1)
    assert error.message.startswith("duplicate page id 'paper': also defined in")
    assert error.message.endswith("a/paper.yaml")


def test_duplicate_claim_id_is_reported_at_the_second_claim(write_pages) -> None:
    root = write_pages(
        {
            "paper.yaml": PAPER,
            "a.yaml": CONCEPT.format(claim="same"),
            "b.yaml": CONCEPT.format(claim="same"),
        }
    )
    error = only_error(root)
    assert error.path == root / "b.yaml"
    assert (error.line, error.col) == (6, 9)
    assert error.message.startswith("duplicate claim id 'same' (first defined in")
    assert error.message.endswith("a.yaml:6)")


def test_claim_id_colliding_with_a_page_id(write_pages) -> None:
    root = write_pages({"paper.yaml": PAPER, "a.yaml": CONCEPT.format(claim="paper")})
    error = only_error(root)
    assert (error.line, error.col) == (6, 9)
    assert error.message.startswith("claim id 'paper' is also a page id")


def test_dangling_source_is_located_at_the_list_item_with_a_suggestion(write_pages) -> None:
    root = write_pages({"papers.yaml": PAPER, "a.yaml": CONCEPT.format(claim="c")})
    error = only_error(root)
    assert (error.line, error.col) == (10, 17)
    assert error.message == "'paper' referenced by claim 'c' does not exist"
    assert error.hint == "did you mean 'papers'?"


def test_source_that_is_not_a_source_page(write_pages) -> None:
    root = write_pages(
        {"paper.yaml": PAPER, "a.yaml": CONCEPT.format(claim="c").replace("[paper]", "[paper, a]")}
    )
    error = only_error(root)
    assert (error.line, error.col) == (10, 24)
    assert error.message == "'a' referenced by claim 'c' is a concept, not a source"


def test_dangling_link_in_prose_is_located_inside_the_text(write_pages) -> None:
    root = write_pages(
        {
            "paper.yaml": PAPER,
            "a.yaml": CONCEPT.format(claim="c")
            + "open_questions:\n  - Is it like [[world-model|models]]?\n",
        }
    )
    error = only_error(root)
    assert (error.line, error.col) == (12, 16)
    assert error.message == "'world-model' linked from concept 'a' does not exist"


def test_dangling_link_in_a_claim_statement_names_the_claim(write_pages) -> None:
    text = CONCEPT.format(claim="c").replace("statement: s", "statement: As [[papr]] shows.")
    root = write_pages({"paper.yaml": PAPER, "a.yaml": text})
    error = only_error(root)
    assert (error.line, error.col) == (7, 19)
    assert error.message == "'papr' linked from claim 'c' does not exist"
    assert error.hint == "did you mean 'paper'?"


def test_dangling_depends_on(write_pages) -> None:
    root = write_pages({"paper.yaml": PAPER, "a.yaml": CONCEPT.format(claim="lewm-stable")})
    (root / "t.yaml").write_text(thesis("claim: lewm-stable", "claim: lewm-stabel"))
    error = only_error(root)
    assert (error.path.name, error.line, error.col) == ("t.yaml", 7, 12)
    assert error.message == "'lewm-stabel' referenced by thesis 't' does not exist"
    assert error.hint == "did you mean 'lewm-stable'?"


def test_depends_on_with_the_wrong_kind_says_which_key_to_use(write_pages) -> None:
    root = write_pages({"paper.yaml": PAPER, "a.yaml": CONCEPT.format(claim="c")})
    (root / "t.yaml").write_text(thesis("concept: c"))
    error = only_error(root)
    assert (error.line, error.col) == (6, 14)
    assert error.message == "'c' referenced by thesis 't' is a claim, not a concept"
    assert error.hint == "write 'claim: c'"


def test_thesis_cycle_is_located_at_the_first_theses_dependency(write_pages) -> None:
    root = write_pages(
        {
            "a.yaml": thesis("thesis: b"),
            "b.yaml": thesis("thesis: c"),
            "c.yaml": thesis("thesis: a"),
        }
    )
    error = only_error(root)
    assert (error.path.name, error.line, error.col) == ("a.yaml", 6, 13)
    assert error.message == "cycle: a --> b --> c --> a"


def test_thesis_depending_on_itself(write_pages) -> None:
    root = write_pages({"a.yaml": thesis("claim: x", "thesis: a").replace("claim: x", "thesis: a")})
    errors = errors_of(root)
    assert [error.message for error in errors] == ["cycle: a --> a"]


def test_every_error_of_a_run_is_collected(write_pages) -> None:
    root = write_pages(
        {
            "paper.yaml": PAPER + "zzz: 1\n",  # a load error...
            "a.yaml": CONCEPT.format(claim="c").replace("[paper]", "[paper, nope]"),
            "t.yaml": thesis("claim: missing"),
        }
    )
    errors = errors_of(root)
    # ...does not make references to 'paper' dangling; the other two are independent
    assert [(error.path.name, error.line) for error in errors] == [
        ("a.yaml", 10),
        ("paper.yaml", 4),
        ("t.yaml", 6),
    ]


def test_references_to_claims_of_a_page_with_errors_are_not_dangling(write_pages) -> None:
    broken = CONCEPT.format(claim="c").replace("status: emerging", "status: nope")
    root = write_pages({"paper.yaml": PAPER, "a.yaml": broken, "t.yaml": thesis("claim: c")})
    errors = errors_of(root)
    assert [error.path.name for error in errors] == ["a.yaml"]


def test_errors_carry_the_partly_linked_wiki(write_pages) -> None:
    root = write_pages({"a.yaml": thesis("thesis: a")})
    with pytest.raises(ContentErrors) as failure:
        load_wiki(root)
    assert isinstance(failure.value.wiki, Wiki)
    assert list(failure.value.wiki.pages) == ["a"]


def test_check_experiments_hook_adds_its_errors(mini_root: Path) -> None:
    def check(wiki: Wiki) -> list[ContentError]:
        path, line, col = wiki.location("jepa", ("claims", 0, "experiments", 0, "experiment"))
        return [ContentError(path, line, col, "unknown experiment")]

    with pytest.raises(ContentErrors) as failure:
        load_wiki(mini_root, check_experiments=check)
    assert [(e.line, e.message) for e in failure.value.errors] == [(23, "unknown experiment")]


def test_missing_root_folder_is_not_an_empty_wiki(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_wiki(tmp_path / "absent")


# --- warnings ---------------------------------------------------------------------------------


def test_uncited_source_is_a_warning_and_claimless_concept_is_not(write_pages) -> None:
    root = write_pages(
        {
            "paper.yaml": PAPER,
            "lonely.yaml": PAPER,
            "a.yaml": CONCEPT.format(claim="c"),
            "empty.yaml": "kind: concept\ntitle: E\nstatus: emerging\nsummary: s\n",
        }
    )
    wiki = load_wiki(root)
    assert [(w.path.name, w.message) for w in wiki.warnings] == [
        ("lonely.yaml", "source 'lonely' is not cited or linked by any page"),
    ]
