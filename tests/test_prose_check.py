"""`wiki check` keeps the offline promise: every form of remote image is a located error,
unsafe URL schemes are errors, outbound links are warnings, and the renderer agrees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app
from wiki.corpus import load_wiki
from wiki.errors import ContentError, ContentErrors
from wiki.markdown_text import prose_block, prose_inline
from wiki.prose_parser import UrlKind, url_kind

PAPER = "kind: source\ntitle: A paper\nyear: 2024\n"


def concept(summary: str) -> str:
    """A valid concept page whose summary (from line 5 on) is `summary`; it cites `paper`."""
    body = textwrap.indent(summary, "  ")
    return (
        "kind: concept\ntitle: Topic\nstatus: emerging\nsummary: |\n"
        f"{body}\n"
        "claims:\n  - id: a-claim\n    statement: s\n"
        "    evidence: {grade: weak, sources: [paper]}\n"
    )


def check(root: Path, allow_remote_images: bool = False):
    """(errors, warnings) of loading `root`."""
    try:
        wiki = load_wiki(root, allow_remote_images=allow_remote_images)
    except ContentErrors as failure:
        return failure.errors, failure.wiki.warnings
    return [], wiki.warnings


def no_resolve(node_id: str):
    return None


def rendered_images(prose: str) -> list[str]:
    """The src of every <img> the site would show for this prose, block and inline."""
    html = prose_block(prose, no_resolve) + prose_inline(prose, no_resolve)
    return [part.split('"', 1)[0] for part in html.split('<img src="')[1:]]


REMOTE_IMAGE_FORMS = {
    "inline": "![x](http://host.example/a.png)",
    "https": "![x](https://host.example/a.png)",
    "protocol-relative": "![x](//host.example/a.png)",
    "no slashes, upper case": "![x](HTTP:host.example/a.png)",
    "angle brackets": "![x](<http://host.example/a b.png>)",
    "reference": "![x][r]\n\n[r]: http://host.example/a.png",
    "collapsed reference": "![r][]\n\n[r]: http://host.example/a.png",
    "shortcut reference": "![r]\n\n[r]: http://host.example/a.png",
    "inside a link": "[![x](http://host.example/a.png)](https://a.example)",
    "in a [[link|label]]": "[[paper|![x](http://host.example/a.png)]]",
    "entity in the scheme": "![x](&#104;ttp://host.example/a.png)",
    "in a list": "- item ![x](http://host.example/a.png)",
    "in a quote": "> ![x](http://host.example/a.png)",
    "in a heading": "# ![x](http://host.example/a.png)",
    "in a table": "| a |\n| - |\n| ![x](http://host.example/a.png) |",
    "in a link label of a reference": "[![x](//host.example/a.png)][r]\n\n[r]: https://a.example",
}


@pytest.mark.parametrize("form", REMOTE_IMAGE_FORMS)
def test_every_form_of_remote_image_is_a_located_error(write_pages, form: str) -> None:
    prose = REMOTE_IMAGE_FORMS[form]
    root = write_pages({"topic.yaml": concept(prose), "paper.yaml": PAPER})
    errors, _ = check(root)
    [error] = [e for e in errors if "another host" in e.message]
    assert error.path == root / "topic.yaml"
    text = (root / "topic.yaml").read_text()
    if "host.example/a" in text and "&#104;" not in prose:  # pointed at the URL itself
        url_line = next(n for n, line in enumerate(text.splitlines(), 1) if "host.example" in line)
        assert error.line == url_line
        assert (
            text.splitlines()[error.line - 1][error.col - 1 :]
            .lstrip("<")
            .startswith(("http", "HTTP", "//"))
        )
    else:
        assert error.line >= 4
    assert "allow_remote_images" in error.hint


@pytest.mark.parametrize("form", REMOTE_IMAGE_FORMS)
def test_no_form_of_remote_image_renders_as_an_image(form: str) -> None:
    sources = rendered_images(REMOTE_IMAGE_FORMS[form])
    assert all(url_kind(src) is UrlKind.LOCAL for src in sources), sources


def test_remote_images_are_allowed_by_the_setting(write_pages) -> None:
    root = write_pages({"topic.yaml": concept(REMOTE_IMAGE_FORMS["inline"]), "paper.yaml": PAPER})
    errors, _ = check(root, allow_remote_images=True)
    assert errors == []
    html = prose_block(REMOTE_IMAGE_FORMS["inline"], no_resolve, allow_remote_images=True)
    assert '<img src="http://host.example/a.png"' in html


def test_the_setting_reaches_wiki_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "concepts").mkdir()
    (tmp_path / "concepts" / "topic.yaml").write_text(concept(REMOTE_IMAGE_FORMS["inline"]))
    (tmp_path / "concepts" / "paper.yaml").write_text(PAPER)
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(app, ["check"])
    assert refused.exit_code == 1
    assert "concepts/topic.yaml:5:8: image 'http://host.example/a.png'" in refused.output
    (tmp_path / "pyproject.toml").write_text("[tool.wiki]\nallow_remote_images = true\n")
    allowed = CliRunner().invoke(app, ["check", "--strict"])
    assert allowed.exit_code == 0, allowed.output


def test_local_images_are_fine(write_pages) -> None:
    root = write_pages({"topic.yaml": concept("![x](../plots/a.svg)"), "paper.yaml": PAPER})
    assert check(root) == ([], [])
    assert rendered_images("![x](../plots/a.svg)") == ["../plots/a.svg"] * 2


UNSAFE_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x](data:text/html,hi)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](data:image/png;base64,AAAA)",
    "![x](mailto:a@b.example)",
]


@pytest.mark.parametrize("link", UNSAFE_LINKS)
def test_unsafe_url_schemes_in_prose_are_located_errors(write_pages, link: str) -> None:
    root = write_pages({"topic.yaml": concept(link), "paper.yaml": PAPER})
    errors, _ = check(root)
    [error] = errors
    assert "unsafe URL scheme" in error.message
    # at the URL (line 7 for a reference definition); at the field when it is not written
    # as the browser reads it (an entity)
    assert error.line == (7 if "[r]:" in link else 4 if "&#" in link else 5)
    assert "http, https and mailto" in error.hint


def test_unsafe_url_in_a_url_field_is_a_located_error(write_pages) -> None:
    root = write_pages(
        {"topic.yaml": concept("s"), "paper.yaml": PAPER + "url: 'javascript:alert(1)'\n"}
    )
    errors, _ = check(root)
    assert [(e.path.name, e.line, e.col) for e in errors] == [("paper.yaml", 4, 7)]
    assert "scheme other than http(s)/mailto" in errors[0].message


def test_outbound_links_are_located_warnings_and_stay_links(write_pages) -> None:
    prose = "See [the paper](https://arxiv.example/abs/1)\nand <https://b.example/x>."
    root = write_pages({"topic.yaml": concept(prose), "paper.yaml": PAPER})
    errors, warnings = check(root)
    assert errors == []
    assert [(w.line, w.col) for w in warnings] == [(5, 19), (6, 8)]
    assert all("leads to another host" in w.message for w in warnings)
    assert 'href="https://arxiv.example/abs/1"' in prose_block(prose, no_resolve)


def test_links_by_path_are_warnings_suggesting_wiki_links(write_pages) -> None:
    root = write_pages({"topic.yaml": concept("[notes](missing-notes.md)"), "paper.yaml": PAPER})
    errors, [warning] = check(root)
    assert errors == [] and (warning.line, warning.col) == (5, 11)
    assert "[[id]]" in warning.hint


def test_mailto_anchors_and_wiki_links_are_clean(write_pages) -> None:
    prose = "Mail <mailto:a@b.example>, see [above](#top) and [[paper]] or [[a-claim|it]]."
    root = write_pages({"topic.yaml": concept(prose), "paper.yaml": PAPER})
    assert check(root) == ([], [])


def test_claim_statements_and_other_prose_fields_are_checked_too(write_pages) -> None:
    page = concept("s").replace("statement: s", "statement: '![x](//host.example/a.png)'")
    page += "open_questions:\n  - 'Why [x](javascript:1)?'\n"
    root = write_pages({"topic.yaml": page, "paper.yaml": PAPER})
    errors, _ = check(root)
    assert sorted((e.line, e.message.split(" ", 1)[0]) for e in errors) == [
        (8, "image"),
        (11, "link"),
    ]


def test_each_problem_is_one_located_line_and_a_hint(write_pages) -> None:
    root = write_pages({"topic.yaml": concept(UNSAFE_LINKS[0]), "paper.yaml": PAPER})
    errors, _ = check(root)
    assert [len(ContentError.format(e).splitlines()) for e in errors] == [2]


# --- the pre-filter never hides a URL ------------------------------------------------------


def _url_tokens(text: str) -> list[str]:
    """Every link or image a full parse of `text` yields, `[[wiki links]]` left out."""
    from wiki.prose_parser import WIKI_LINK_MARKUP, checking_parser, walk

    return [
        token.type
        for token in walk(checking_parser().parse(text, {}))
        if token.type == "image" or (token.type == "link_open" and token.markup != WIKI_LINK_MARKUP)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "![[a]](http://x/p.png)",  # an image whose label is a wiki link
        "[\\[[x]](http://x)",  # an escaped bracket shifts where the label ends
        "[[a]]\n\n[b]: http://x\n\nsee [b]",  # a reference definition after a wiki link
        "> [b]: http://x\n> [b]",
        "[b\nc]: http://x\n\n[b c]",  # a definition's label over two lines
        "<http://x>",
    ],
)
def test_prefilter_lets_every_url_through(text: str) -> None:
    from wiki.prose_check import may_hold_urls

    assert _url_tokens(text), "the case must hold a URL, or it tests nothing"
    assert may_hold_urls(text)


def test_prefilter_skips_prose_with_only_wiki_links() -> None:
    from wiki.prose_check import may_hold_urls

    assert not may_hold_urls("Builds on [[jepa]]: see [[a-claim|the claim]] (and *more*).")


def test_prefilter_agrees_with_the_parser_on_random_markup() -> None:
    """Random strings of link syntax: whenever the filter skips the parse, the parse finds
    no link or image (the converse need not hold: the filter may parse needlessly)."""
    import random

    from wiki.prose_check import may_hold_urls

    rng = random.Random(0)
    pieces = ["[", "]", "[[", "]]", "(", ")", "!", ":", "\\", "`", "a", " ", "\n", "x|", "> "]
    pieces += ["http://h", "<", "*", "    "]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        if not may_hold_urls(text):
            assert not _url_tokens(text), repr(text)


@pytest.mark.parametrize(
    "quoted",
    [
        r'"\x3chttp://host.example/a.png>"',  # '<' written as a YAML escape
        r'"![x]\u0028http://host.example/a.png)"',  # '(' written as a YAML escape
        '"![x]\\\n  (http://host.example/a.png)"',  # an escaped line break joins '](' up
    ],
)
def test_urls_spelled_with_yaml_escapes_are_still_checked(write_pages, quoted: str) -> None:
    page = concept("x").replace("summary: |\n  x\n", f"summary: {quoted}\n")
    root = write_pages({"topic.yaml": page, "paper.yaml": PAPER})
    errors, warnings = check(root)
    assert [p for p in [*errors, *warnings] if "host.example" in p.message], (errors, warnings)
