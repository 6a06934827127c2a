"""The graph document behind the interactive graph: complete, deterministic, inert."""

from __future__ import annotations

import json
from pathlib import Path

from wiki.corpus import load_wiki
from wiki.graph_data import graph_document, graph_script, plain_statement

MINI = Path(__file__).parent / "fixtures" / "mini"


def test_every_page_and_claim_is_a_node_with_a_url() -> None:
    wiki = load_wiki(MINI)
    document = graph_document(wiki)
    nodes = {node["id"]: node for node in document["nodes"]}
    assert set(nodes) == set(wiki.pages) | set(wiki.claims)
    assert nodes["jepa"]["url"] == "concepts/jepa.html"
    assert nodes["lewm-stable"]["url"] == "concepts/jepa.html#lewm-stable"
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
    body = script[script.index(prefix) + len(prefix) :].rstrip().rstrip(";")
    assert json.loads(body) == json.loads(json.dumps(document))
    assert graph_script(graph_document(load_wiki(MINI))) == script


def test_statements_become_one_line_of_text() -> None:
    assert plain_statement("A **bold** [[jepa|JEPA]] claim\nover [[lewm]].") == (
        "A bold JEPA claim over lewm."
    )
    assert plain_statement("word " * 100).endswith("…")
