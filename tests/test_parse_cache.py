"""The parse cache gives what parsing gives, and never hides a file's problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiki import parse_cache
from wiki.corpus import Wiki, load_wiki
from wiki.errors import ContentErrors
from wiki.parse_cache import ParseCache


def loaded(root: Path, cache: ParseCache | None) -> Wiki:
    return load_wiki(root, parse_cache=cache)


def through_a_saved_cache(root: Path, build_dir: Path) -> tuple[Wiki, ParseCache]:
    """Load with the cache in `build_dir`, then save it, as `wiki build` does."""
    cache = ParseCache.load(build_dir)
    wiki = loaded(root, cache)
    cache.save(build_dir)
    return wiki, cache


def same_pages(left: Wiki, right: Wiki) -> bool:
    return [
        (page.id, page.model, page.locations.spans, page.locations.keys, page.locations.source)
        for page in left.pages.values()
    ] == [
        (page.id, page.model, page.locations.spans, page.locations.keys, page.locations.source)
        for page in right.pages.values()
    ]


def test_a_second_load_parses_nothing_and_gives_the_same_pages(
    mini_root: Path, tmp_path: Path
) -> None:
    first, cache = through_a_saved_cache(mini_root, tmp_path)
    assert cache.hits == 0
    second, cache = through_a_saved_cache(mini_root, tmp_path)
    assert cache.hits == len(first.pages) > 5
    assert same_pages(second, loaded(mini_root, None))
    assert same_pages(first, second)


def test_an_edited_file_is_parsed_again(mini_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    through_a_saved_cache(mini_copy, tmp_path / "build")
    page = next(mini_copy.rglob("*.yaml"))
    page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1))
    wiki, cache = through_a_saved_cache(mini_copy, tmp_path / "build")
    assert cache.hits == len(wiki.pages) - 1
    assert wiki.pages[page.stem].model.title.startswith("Edited ")


def test_a_file_with_a_problem_is_reported_every_time(mini_copy: Path, tmp_path: Path) -> None:
    page = next(mini_copy.rglob("*.yaml"))
    page.write_text(page.read_text(encoding="utf-8") + "title: twice\n", encoding="utf-8")
    for _ in range(2):
        cache = ParseCache.load(tmp_path)
        with pytest.raises(ContentErrors) as failure:
            loaded(mini_copy, cache)
        cache.save(tmp_path)  # as if the build had gone on: the broken file is not kept
        assert any("title" in error.message for error in failure.value.errors)
    assert ParseCache.load(tmp_path).recorded  # the other files were kept


def test_other_parsing_code_makes_every_entry_a_miss(
    mini_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    through_a_saved_cache(mini_root, tmp_path)
    monkeypatch.setattr(parse_cache, "code_key", lambda: "another version of located_yaml")
    _, cache = through_a_saved_cache(mini_root, tmp_path)
    assert cache.hits == 0


def test_what_a_caller_does_with_the_values_does_not_change_the_cache(
    mini_root: Path, tmp_path: Path
) -> None:
    through_a_saved_cache(mini_root, tmp_path)
    cache = ParseCache.load(tmp_path)
    text = next(mini_root.rglob("*.yaml")).read_text(encoding="utf-8")
    value, _, _ = cache.get(text) or pytest.fail("the file was not cached")
    value["title"] = "changed by a caller"
    again, _, _ = cache.get(text) or pytest.fail("the file was not cached")
    assert again["title"] != "changed by a caller"


def test_an_unreadable_cache_is_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / parse_cache.CACHE_FILE).write_bytes(b"not marshal data")
    assert ParseCache.load(tmp_path).recorded == {}


def test_wiki_check_reads_the_cache_a_build_left_and_writes_none(
    mini_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from wiki import read_pages
    from wiki.cli import app
    from wiki.settings import load_settings

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.wiki]\nroot = "{mini_copy}"\n', encoding="utf-8"
    )
    monkeypatch.chdir(project)
    parsed: list[str] = []
    parse_yaml = read_pages.parse_yaml

    def counted(text: str, *args: object, **kwargs: object) -> object:
        parsed.append(text)
        return parse_yaml(text, *args, **kwargs)

    monkeypatch.setattr(read_pages, "parse_yaml", counted)

    def check() -> str:
        result = CliRunner().invoke(app, ["check"])
        assert result.exit_code == 0, result.output
        return result.output

    first = check()
    build_dir = load_settings(project).build_dir
    assert len(parsed) > 5 and not build_dir.exists()  # no cache yet, and none written
    through_a_saved_cache(mini_copy, build_dir)  # what `wiki build` leaves
    saved = (build_dir / parse_cache.CACHE_FILE).read_bytes()
    parsed.clear()
    assert check().split(" in ")[0] == first.split(" in ")[0]  # the same summary
    assert parsed == []
    page = next(mini_copy.rglob("*.yaml"))
    page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1))
    check()
    assert len(parsed) == 1  # the edited file only
    assert (build_dir / parse_cache.CACHE_FILE).read_bytes() == saved  # check left it as it was
