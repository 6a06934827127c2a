"""The graph document behind the interactive graph: complete, deterministic, inert."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from wiki.corpus import load_wiki
from wiki.graph_data import (
    LOCAL_MAX_NODES,
    LocalGraphs,
    graph_document,
    graph_script,
    plain_statement,
)

REPO = Path(__file__).parent.parent
MINI = Path(__file__).parent / "fixtures" / "mini"
sys.path.insert(0, str(REPO / "benchmarks"))
from dense_wiki import dense_pages, write_pages  # noqa: E402


def test_every_page_and_claim_is_a_node_with_a_url() -> None:
    wiki = load_wiki(MINI)
    document = graph_document(wiki)
    nodes = {node["id"]: node for node in document["nodes"]}
    assert set(nodes) == set(wiki.pages) | set(wiki.claims)
    assert nodes["jepa"]["url"] == "concepts/jepa.html"
    assert nodes["lewm-stable"]["url"] == "concepts/jepa.html#claim:lewm-stable"  # its anchor
    assert nodes["lewm-stable"]["page"] == "jepa" and nodes["lewm-stable"]["moved"] is None


def test_nodes_and_edges_are_sorted_and_thesis_edges_carry_their_role() -> None:
    document = graph_document(load_wiki(MINI))
    ids = [node["id"] for node in document["nodes"]]
    pairs = [(edge["source"], edge["target"]) for edge in document["edges"]]
    assert ids == sorted(ids) and pairs == sorted(pairs)
    kinds = {edge["kind"] for edge in document["edges"] if edge["source"] == "latent-planning"}
    assert kinds <= {"supports", "challenges", "depends_on", "mentions", "links"}
    assert "supports" in kinds


def test_the_script_parses_back_to_the_document() -> None:
    document = graph_document(load_wiki(MINI))
    script = graph_script(document)
    prefix = "window.wikiGraphData = "
    data = json.loads(script[script.index(prefix) + len(prefix) :].rstrip().rstrip(";"))
    nodes, kinds = data["nodes"], data["edge_kinds"]
    edges = [
        {"source": nodes[s]["id"], "target": nodes[t]["id"], "kind": kinds[k]}
        for s, t, k in data["edges"]
    ]
    assert {"nodes": nodes, "edges": edges} == json.loads(json.dumps(document))
    assert graph_script(graph_document(load_wiki(MINI))) == script


def test_a_local_graph_holds_the_page_its_claims_and_their_neighbours() -> None:
    document = graph_document(load_wiki(MINI))
    local = LocalGraphs(document).document("jepa")
    ids = {node["id"] for node in local["nodes"]}
    assert {"jepa", "lewm-stable", "latent-planning", "lewm"} <= ids
    neighbours = {"jepa"} | {n["id"] for n in document["nodes"] if n.get("page") == "jepa"}
    for edge in document["edges"]:  # every direct neighbour of the page or a claim on it
        if edge["source"] in neighbours:
            assert edge["target"] in ids
    assert all(edge["source"] in ids and edge["target"] in ids for edge in local["edges"])
    assert len(local["edges"]) == sum(
        1 for e in document["edges"] if e["source"] in ids and e["target"] in ids
    )
    assert all("statement" not in node for node in local["nodes"])  # only what it draws


def test_a_local_graph_stops_at_its_node_limit() -> None:
    hub = {"id": "hub", "kind": "concept", "title": "Hub", "url": "concepts/hub.html"}
    others = [
        {"id": f"n{i:03d}", "kind": "source", "title": str(i), "url": f"sources/n{i:03d}.html"}
        for i in range(100)
    ]
    edges = [{"source": "hub", "target": node["id"], "kind": "cites"} for node in others]
    local = LocalGraphs({"nodes": [hub, *others], "edges": edges}).document("hub")
    assert len(local["nodes"]) == LOCAL_MAX_NODES
    assert [n["id"] for n in local["nodes"]][:3] == ["hub", "n000", "n001"]


def test_a_local_graph_holds_every_edge_between_its_nodes(tmp_path: Path) -> None:
    """Edges come from each node's source side, with a hub's few kept targets looked up
    rather than its every edge scanned: still exactly the document's edges between the
    drawn nodes, in its order, on a dense wiki and around a hub past the node limit."""
    write_pages(dense_pages(60, seed=4), tmp_path / "pages")
    hub = {"id": "hub", "kind": "concept", "title": "Hub", "url": "concepts/hub.html"}
    others = [
        {"id": f"n{i:03d}", "kind": "source", "title": str(i), "url": f"sources/n{i:03d}.html"}
        for i in range(100)
    ]
    star_edges = [{"source": "hub", "target": node["id"], "kind": "cites"} for node in others]
    star_edges += [{"source": "n001", "target": "n002", "kind": "cites"}]
    star_edges.sort(key=lambda edge: (edge["source"], edge["target"]))
    for document in (
        graph_document(load_wiki(tmp_path / "pages")),
        {"nodes": [hub, *others], "edges": star_edges},
    ):
        local_graphs = LocalGraphs(document)
        for node in document["nodes"]:
            local = local_graphs.document(node["id"])
            ids = {drawn["id"] for drawn in local["nodes"]}
            expected = [e for e in document["edges"] if e["source"] in ids and e["target"] in ids]
            assert local["edges"] == expected, node["id"]


def test_inline_graph_data_cannot_leave_its_attribute() -> None:
    title = "' onclick='x()' </div><b>&amp;"
    node = {"id": "x", "kind": "concept", "title": title, "url": "concepts/x.html"}
    html = LocalGraphs({"nodes": [node], "edges": []}).html("x")
    start = html.index("data-graph='") + len("data-graph='")
    value = html[start : html.index("'", start)]
    assert html[start + len(value) :] == "'></div>"  # the attribute ends where it should
    assert not set("<>&'") & set(value)
    assert json.loads(value)["nodes"][0]["title"] == title


def test_statements_become_one_line_of_text() -> None:
    assert plain_statement("A **bold** [[jepa|JEPA]] claim\nover [[lewm]].") == (
        "A bold JEPA claim over lewm."
    )
    assert plain_statement("word " * 100).endswith("…")


def test_a_source_with_a_short_name_carries_it(tmp_path: Path) -> None:
    import shutil

    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    source = root / "sources" / "lewm.yaml"
    source.write_text(source.read_text(encoding="utf-8") + "short: LW\n", encoding="utf-8")
    nodes = {node["id"]: node for node in graph_document(load_wiki(root))["nodes"]}
    assert nodes["lewm"]["short"] == "LW" and "short" not in nodes["jepa"]
    local = LocalGraphs(graph_document(load_wiki(root))).document("lewm")
    assert next(n for n in local["nodes"] if n["id"] == "lewm")["short"] == "LW"


def test_local_graph_json_joined_from_parts_is_the_documents_json(tmp_path: Path) -> None:
    """`LocalGraphs.json` joins JSON made once per node and edge; it must be the JSON of
    `document`, on every node of a generated wiki (after other nodes reused the parts)."""
    from wiki.graph_data import _json

    write_pages(dense_pages(60, seed=3), tmp_path / "pages")
    wiki = load_wiki(tmp_path / "pages")
    local = LocalGraphs(graph_document(wiki))
    nodes = sorted(wiki.pages) + sorted(wiki.claims)
    for node in nodes + nodes:
        assert local.json(node) == _json(local.document(node))


def test_local_graphs_made_from_the_wiki_are_those_of_the_whole_document(tmp_path: Path) -> None:
    """`LocalGraphs.of_wiki` (a build rendering a few pages) reads nodes and edges from the
    wiki graph as pages need them; every node's local graph must be the document's, with
    scores (a dense wiki) and on the shipped wiki with its ledger."""
    from wiki.evidence import gather_evidence
    from wiki.ledger import Ledger
    from wiki.settings import load_settings

    write_pages(dense_pages(60, seed=4), tmp_path / "pages")
    settings = load_settings(REPO)
    shipped = load_wiki(settings.root)
    scored = gather_evidence(shipped, Ledger(settings.ledger).records(), settings)
    for wiki, evidence in ((load_wiki(tmp_path / "pages"), None), (shipped, scored)):
        whole = LocalGraphs(graph_document(wiki, evidence))
        lazy = LocalGraphs.of_wiki(wiki, evidence)
        for node in [*sorted(wiki.pages), *sorted(wiki.claims), "not-a-node"]:
            assert lazy.html(node) == whole.html(node), node
