"""The reference graph: who refers to whom, which theses depend on what, thesis cycles."""

from __future__ import annotations

from pathlib import Path

from wiki.corpus import load_wiki
from wiki.graph import CONTAINS, DEPENDS_ON, WikiGraph


def small_graph() -> WikiGraph:
    """concept c holds claim c1 (cites source s); thesis t1 depends on c1, t2 on t1,
    t3 on concept c, t4 on concept d (unrelated)."""
    graph = WikiGraph()
    for node, kind in [("c", "concept"), ("d", "concept"), ("s", "source")]:
        graph.add_node(node, kind)
    for thesis in ("t1", "t2", "t3", "t4"):
        graph.add_node(thesis, "thesis")
    graph.add_node("c1", "claim", page="c")
    graph.add_reference("c", "c1", CONTAINS)
    graph.add_reference("c1", "s", "cites")
    graph.add_reference("t1", "c1", DEPENDS_ON, role="supports")
    graph.add_reference("t2", "t1", DEPENDS_ON, role="supports")
    graph.add_reference("t3", "c", DEPENDS_ON, role="challenges")
    graph.add_reference("t4", "d", DEPENDS_ON, role="supports")
    graph.add_reference("d", "t1", "mentions")  # a prose link is not a dependency
    return graph


def test_referrers_and_references_are_direct_and_sorted() -> None:
    graph = small_graph()
    assert graph.referrers("c1") == ["c", "t1"]
    assert graph.references("c1") == ["s"]
    assert graph.references("t1") == ["c1"]


def test_dependents_are_transitive() -> None:
    assert small_graph().dependents("s") == ["c", "c1", "d", "t1", "t2", "t3", "t4"]


def test_node_kind_and_owning_page() -> None:
    graph = small_graph()
    assert graph.kind("c1") == "claim"
    assert graph.page_of("c1") == "c"
    assert graph.page_of("c") == "c"


def test_theses_depending_on_a_claim_directly_and_through_another_thesis() -> None:
    # t3 leans on concept c, which holds c1; t4 only links to t1 in prose via d
    assert small_graph().theses_depending_on("c1") == ["t1", "t2", "t3"]


def test_theses_depending_on_a_concept_include_those_through_its_claims() -> None:
    assert small_graph().theses_depending_on("c") == ["t1", "t2", "t3"]


def test_theses_depending_on_a_thesis_exclude_itself() -> None:
    graph = small_graph()
    assert graph.theses_depending_on("t1") == ["t2"]
    assert graph.theses_depending_on("t2") == []


def test_sources_reached_only_by_citation_have_no_dependent_theses() -> None:
    assert small_graph().theses_depending_on("s") == []


def test_one_edge_keeps_every_relation_and_the_role() -> None:
    graph = small_graph()
    graph.add_reference("t1", "c1", "mentions")
    edge = graph.digraph.edges["t1", "c1"]
    assert edge["relations"] == {DEPENDS_ON, "mentions"}
    assert edge["role"] == "supports"


def test_no_thesis_cycle_in_an_acyclic_graph() -> None:
    assert small_graph().thesis_cycle() is None


def test_thesis_cycle_is_closed_and_starts_at_the_smallest_id() -> None:
    graph = small_graph()
    graph.add_reference("t1", "t2", DEPENDS_ON)
    assert graph.thesis_cycle() == ["t1", "t2", "t1"]


def test_self_dependency_is_a_cycle() -> None:
    graph = small_graph()
    graph.add_reference("t4", "t4", DEPENDS_ON)
    assert graph.thesis_cycles() == [["t4", "t4"]]


def test_prose_links_between_theses_are_not_cycles() -> None:
    graph = small_graph()
    graph.add_reference("t1", "t2", "mentions")
    assert graph.thesis_cycle() is None


def test_mini_wiki_graph_matches_its_pages(mini_root: Path) -> None:
    wiki = load_wiki(mini_root)
    assert wiki.graph.kind("lewm-stable") == "claim"
    assert wiki.graph.references("lewm-stable") == ["lewm"]
    assert "jepa" in wiki.graph.referrers("meta-fair")
    assert wiki.graph.theses_depending_on("lewm-stable") == ["latent-planning", "planning-at-scale"]
    # latent-planning reaches it through its concept world-models, planning-at-scale directly
    assert wiki.graph.theses_depending_on("latent-planning-works") == [
        "latent-planning",
        "planning-at-scale",
    ]
    assert wiki.graph.theses_depending_on("masking-helps") == [
        "latent-planning",
        "planning-at-scale",
    ]
    assert wiki.graph.theses_depending_on("lewm") == []


def test_attributes_and_outgoing_are_what_the_digraph_holds(mini_root: Path) -> None:
    graph = load_wiki(mini_root).graph
    digraph = graph.digraph
    assert graph.nodes() == list(digraph.adj)
    for node in graph.nodes():
        assert graph.attributes(node) == digraph.nodes[node]
        assert graph.outgoing(node) == {t: dict(data) for t, data in digraph.adj[node].items()}
