"""The `wiki` command. Thin: each command loads settings, calls the modules and reports.

Exit codes: 0 ok, 1 content errors, 2 usage errors (bad option, missing content root,
unreadable settings). Heavy libraries (mkdocs, matplotlib, torch) are imported inside
the commands that need them, so `wiki check` starts fast.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from wiki.corpus import Wiki, load_wiki
from wiki.errors import ContentError, ContentErrors, display_path
from wiki.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    name="wiki",
    help="Compile, check and publish the research wiki.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)
error_console = Console(stderr=True, highlight=False, soft_wrap=True)

RootOption = Annotated[
    Path | None,
    typer.Option("--root", metavar="DIR", help="Content folder (default: [tool.wiki] root)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", metavar="DIR", help="Site output folder (default: [tool.wiki] out)."),
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Treat warnings as errors (exit 1 on any).")
]


@app.command()
def check(root: RootOption = None, strict: StrictOption = False) -> None:
    """Validate every page: schema, ids, references, links and thesis cycles."""
    settings = settings_or_exit(root=root)
    load_wiki_or_exit(settings, strict=strict)


@app.command()
def build(root: RootOption = None, out: OutOption = None, strict: StrictOption = False) -> None:
    """Check the wiki, then render it to Markdown and build the static site."""
    settings = settings_or_exit(root=root, out=out)
    wiki = load_wiki_or_exit(settings, strict=strict)
    from wiki.site import build_site  # imports mkdocs: only when building

    started = time.perf_counter()
    try:
        build_site(wiki, settings, strict=strict)
    except ContentErrors as failure:  # e.g. problems only rendering finds, under --strict
        print_problems(failure.errors, [])
        raise typer.Exit(EXIT_CONTENT) from None
    elapsed = time.perf_counter() - started
    console.print(Text(f"site built in {display_path(settings.out)} ({elapsed:.2f} s)"))


@app.command("schema")
def print_schema() -> None:
    """Print the JSON Schema of a page file (for editors and external tools)."""
    from wiki.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


# --- shared by every command that reads the wiki --------------------------------------------


def settings_or_exit(root: Path | None = None, out: Path | None = None) -> Settings:
    """Settings from pyproject.toml and options; a usage error (exit 2) when they are unusable."""
    try:
        settings = load_settings(root=root, out=out)
    except SettingsError as error:
        fail_usage(str(error))
    if not settings.root.is_dir():
        fail_usage(f"content folder {display_path(settings.root)} does not exist (see --root)")
    return settings


def load_wiki_or_exit(
    settings: Settings,
    strict: bool = False,
    check_experiments: Callable[[Wiki], list[ContentError]] | None = None,
) -> Wiki:
    """Load the wiki, print its errors, warnings and a summary; exit 1 on content errors.

    With `strict`, warnings count as errors.
    """
    started = time.perf_counter()
    errors: list[ContentError] = []
    try:
        wiki = load_wiki(settings.root, check_experiments=check_experiments)
    except ContentErrors as failure:
        errors, wiki = failure.errors, failure.wiki
    elapsed = time.perf_counter() - started
    warnings = wiki.warnings if isinstance(wiki, Wiki) else []
    if strict:
        errors, warnings = sorted([*errors, *warnings], key=ContentError.sort_key), []
    print_problems(errors, warnings)
    print_summary(wiki if isinstance(wiki, Wiki) else None, errors, warnings, elapsed)
    if errors:
        raise typer.Exit(EXIT_CONTENT)
    return wiki


def print_problems(errors: list[ContentError], warnings: list[ContentError]) -> None:
    """Print each problem as `path:line:col: message` (+ hint), paths relative to cwd."""
    for error in errors:
        _print_problem(error, None)
    for warning in warnings:
        _print_problem(warning, "warning")


def print_summary(
    wiki: Wiki | None, errors: list[ContentError], warnings: list[ContentError], elapsed: float
) -> None:
    """One line: what was checked, how long it took, and how many problems were found."""
    counts = "no pages"
    if wiki is not None:
        counts = ", ".join(
            _plural(count, noun)
            for count, noun in (
                (len(wiki.pages), "page"),
                (len(wiki.claims), "claim"),
                (len(wiki.by_kind("thesis")), "thesis"),
            )
        )
    problems = [_plural(len(errors), "error")] if errors else []
    if warnings:
        problems.append(_plural(len(warnings), "warning"))
    line = f"checked {counts} in {elapsed:.2f} s"
    style = "bold red" if errors else "yellow" if warnings else "green"
    if problems:
        line += ": " + ", ".join(problems)
    console.print(Text(line, style=style))


def fail_usage(message: str) -> NoReturn:
    """Print a usage error (no traceback) and exit with code 2."""
    error_console.print(Text(f"error: {message}", style="bold red"))
    raise typer.Exit(EXIT_USAGE)


def _print_problem(problem: ContentError, label: str | None) -> None:
    text = Text(f"{display_path(problem.path)}:{problem.line}:{problem.col}: ", style="bold")
    if label:
        text.append(f"{label}: ", style="yellow")
    text.append(problem.message)
    if problem.hint:
        text.append(f"\n  hint: {problem.hint}", style="cyan")
    console.print(text)


def _plural(count: int, noun: str) -> str:
    plural = "theses" if noun == "thesis" else f"{noun}s"
    return f"{count} {noun if count == 1 else plural}"


def main() -> None:
    """Console entry point of `wiki`."""
    app()
