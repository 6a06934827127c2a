"""The `wiki` command. Thin: each command loads settings, calls the modules and reports.

Exit codes: 0 ok, 1 content errors, 2 usage errors (bad option, missing content root,
unreadable settings). Results (tables, JSON, trees) go to stdout; diagnostics (errors,
warnings, summaries, progress) go to stderr, so `wiki status --json | jq` stays clean.
Everything past typer and rich is imported inside the commands that need it: mkdocs,
matplotlib and torch only where used, pydantic and networkx only once a command reads
content, so `wiki --help` starts in a fraction of a second (tests/test_startup.py).
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.text import Text

from wiki.cli_guards import (
    EXIT_CONTENT,
    console,
    error_console,
    executor_or_exit,
    fail_usage,
    known_id_or_exit,
    load_wiki_or_exit,
    output_folder_or_exit,
    parse_seeds_or_exit,
    print_ledger_warnings,
    print_problems,
    select_claims,
    settings_or_exit,
    warn_if_no_ledger,
)
from wiki.errors import ContentErrors, display_path

if TYPE_CHECKING:
    from wiki.corpus import Wiki
    from wiki.errors import ContentError
    from wiki.site import BuildReport


def check_experiments(wiki: Wiki) -> list[ContentError]:
    """The experiment checks of `wiki verify` (`wiki.experiment_check`), imported on use."""
    from wiki.experiment_check import check_experiments as check

    return check(wiki)


app = typer.Typer(
    name="wiki",
    help="Compile, check and publish the research wiki.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def package_version() -> str:
    """The installed version of jepa-wiki (the distribution `wiki` ships in)."""
    from importlib import metadata

    try:
        return metadata.version("jepa-wiki")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"wiki (jepa-wiki) {package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Compile, check and publish the research wiki.

    Every command that reads content takes --root DIR; `wiki schema` and `wiki new` do
    not read it. Settings come from [tool.wiki] of the nearest pyproject.toml at or above
    --root (or the current folder).
    """


RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root", metavar="DIR", help="Content folder (default: tool.wiki.root in pyproject.toml)."
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="DIR",
        help="Site output folder (default: tool.wiki.out in pyproject.toml).",
    ),
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Treat warnings as errors (exit 1 on any).")
]


@app.command()
def check(root: RootOption = None, strict: StrictOption = False) -> None:
    """Validate every page: schema, ids, references, links, thesis cycles and experiments."""
    settings = settings_or_exit(root=root)
    from wiki.parse_cache import ParseCache

    # the last build's parsed files, read only: a check writes nothing
    parse_cache = ParseCache.load(settings.build_dir)
    load_wiki_or_exit(
        settings, strict=strict, check_experiments=check_experiments, parse_cache=parse_cache
    )


@app.command()
def build(root: RootOption = None, out: OutOption = None, strict: StrictOption = False) -> None:
    """Check the wiki, then render it to Markdown and build the static site."""
    settings = settings_or_exit(root=root, out=out)
    output_folder_or_exit(settings)
    from wiki.input_manifest import input_manifest, record_manifest, unchanged_since_last_build

    started = time.perf_counter()
    inputs = input_manifest(settings, strict)  # before the content is read
    if unchanged_since_last_build(settings, inputs):
        elapsed = time.perf_counter() - started
        error_console.print(
            Text(
                f"site in {display_path(settings.out)} is current: nothing changed since the "
                f"last build ({elapsed:.2f} s; 0 files written, mkdocs not run)"
            )
        )
        return
    from wiki.parse_cache import ParseCache

    parse_cache = ParseCache.load(settings.build_dir)
    wiki = load_wiki_or_exit(
        settings, strict=strict, check_experiments=check_experiments, parse_cache=parse_cache
    )
    parse_cache.save(settings.build_dir)  # now: it holds ~4 KiB a page the build can do without
    del parse_cache
    from wiki.evidence import gather_evidence
    from wiki.ledger import Ledger
    from wiki.output_folder import UnsafeOutput
    from wiki.site import SiteBuildError, build_site  # imports mkdocs: only when building

    started = time.perf_counter()
    warn_if_no_ledger(settings, wiki)
    ledger = Ledger(settings.ledger)
    evidence = gather_evidence(wiki, ledger.records(), settings)
    print_ledger_warnings(ledger, strict=strict)
    try:
        report = build_site(wiki, settings, strict=strict, evidence=evidence)
    except ContentErrors as failure:  # e.g. problems only rendering finds, under --strict
        print_problems(failure.errors, [])
        raise typer.Exit(EXIT_CONTENT) from None
    except UnsafeOutput as refusal:  # the folder changed since the check above
        fail_usage(str(refusal))
    except SiteBuildError as failure:
        error_console.print(Text(str(failure), style="bold red"))
        error_console.print(Text("the previous site was left as it was", style="dim"))
        raise typer.Exit(EXIT_CONTENT) from None
    record_manifest(settings.build_dir, inputs)  # the next build with these inputs is a no-op
    for warning in report.warnings:
        error_console.print(Text(f"mkdocs: warning: {warning}", style="yellow"))
    elapsed = time.perf_counter() - started
    error_console.print(
        Text(
            f"site built in {display_path(settings.out)} ({elapsed:.2f} s: compile "
            f"{report.compile_seconds:.2f} s, mkdocs {report.mkdocs_seconds:.2f} s; "
            f"{report.pages_written} pages written, {report.pages_unchanged} unchanged; "
            f"{_html_summary(report)})"
        )
    )


def _html_summary(report: BuildReport) -> str:
    if not report.site_rebuilt:
        return "site already current, mkdocs not run"
    if report.incremental:
        return f"{report.pages_rendered} changed pages rendered to HTML, the rest kept"
    return f"all {report.pages_rendered} pages rendered to HTML"


@app.command()
def serve(
    root: RootOption = None,
    dev_addr: Annotated[
        str, typer.Option("--dev-addr", metavar="HOST:PORT", help="Where to serve.")
    ] = "127.0.0.1:8000",
) -> None:
    """Serve the site with live reload; also rebuilds on page YAML and ledger changes."""
    settings = settings_or_exit(root=root)
    load_wiki_or_exit(settings, check_experiments=check_experiments)
    from mkdocs.commands.serve import serve as mkdocs_serve

    from wiki.mkdocs_config import (
        GeneratedWriteError,
        UserConfigError,
        user_mkdocs_config,
        write_serve_config,
    )

    try:
        config_path = user_mkdocs_config(settings) or write_serve_config(settings)
    except (UserConfigError, GeneratedWriteError) as failure:
        fail_usage(str(failure))
    error_console.print(Text(f"serving on http://{dev_addr}/ (Ctrl-C stops)", style="green"))
    try:
        mkdocs_serve(config_file=str(config_path), dev_addr=dev_addr, livereload=True)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


# --- evidence: verify, status, impact, review -------------------------------------------


@app.command()
def verify(
    target: Annotated[
        str | None, typer.Argument(metavar="claim|page", help="What to verify: claim or page.")
    ] = None,
    target_id: Annotated[str | None, typer.Argument(metavar="ID", help="Its id.")] = None,
    all_claims: Annotated[
        bool, typer.Option("--all", help="Every claim that has experiments.")
    ] = False,
    stale: Annotated[
        bool, typer.Option("--stale", help="Only claims whose runs are missing or out of date.")
    ] = False,
    seeds: Annotated[
        str | None,
        typer.Option(metavar="SEEDS", help="Seeds to run instead of each link's: 0-4 or 0,3,7."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun even when cached.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option(min=1, help="Runs in parallel (processes; default: one per core)."),
    ] = None,
    executor_name: Annotated[
        str | None,
        typer.Option(
            "--executor",
            metavar="local|ray",
            help="Where runs execute (default: tool.wiki.executor, else local).",
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            metavar="ADDR",
            help="Ray cluster to join: auto or HOST:PORT (default: tool.wiki.ray_address;"
            " none starts Ray on this machine).",
        ),
    ] = None,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check", help="Exit 1 when a claim is not (fully) reproduced or a thesis went stale."
        ),
    ] = False,
    root: RootOption = None,
) -> None:
    """Rerun a claim's experiments, record the runs, re-score, flag the theses it moves.

    Examples: `wiki verify claim lewm-stable`, `wiki verify page jepa`,
    `wiki verify --all --seeds 0-4`, `wiki verify --stale --jobs 2`,
    `wiki verify --all --executor ray --address auto`.
    """
    settings = settings_or_exit(root=root)
    seed_list = parse_seeds_or_exit(seeds)
    executor = executor_or_exit(settings, executor_name, address, jobs)
    wiki = load_wiki_or_exit(settings, check_experiments=check_experiments)
    from wiki.ledger import Ledger

    ledger = Ledger(settings.ledger)
    claim_ids = select_claims(wiki, ledger, target, target_id, all_claims, stale)
    if not claim_ids:
        console.print(Text("nothing to verify: every selected claim is up to date", style="green"))
        return

    from wiki.ledger import LedgerError
    from wiki.progress import RunProgress
    from wiki.ray_executor import RayUnavailable
    from wiki.report import FAILING_VERDICTS, newly_stale, print_verify_result
    from wiki.verify import verify_claims

    try:  # before anything runs: a finished run must have somewhere to go
        ledger.check_writable()
    except LedgerError as error:
        fail_usage(f"cannot record runs: {error}")
    with RunProgress(error_console) as progress:
        try:
            result = verify_claims(
                wiki,
                claim_ids,
                ledger,
                executor,
                seeds=seed_list,
                force=force,
                on_plan=progress.start_plan,
                on_outcome=progress.finish_run,
                on_start=progress.start_run,
            )
        except KeyboardInterrupt:
            progress.stop()
            error_console.print(
                Text("interrupted: every finished run is in the ledger", style="yellow")
            )
            raise typer.Exit(130) from None
        except RayUnavailable as error:  # the cluster went away or cannot fit a run
            progress.stop()
            fail_usage(str(error))
    print_ledger_warnings(ledger)
    print_verify_result(console, wiki, result)
    for unsaved in result.unsaved:
        where = unsaved.recovery_file or "nowhere (no writable folder)"
        error_console.print(
            Text(
                f"error: run {unsaved.record.key} not recorded: {unsaved.error}; saved to"
                f" {where}: append it to the ledger once fixed (cat FILE >> LEDGER)",
                style="bold red",
            )
        )
        if unsaved.recovery_file is None:  # the last place left: the terminal
            typer.echo(unsaved.record.model_dump_json())
    if result.failures or result.unsaved:
        raise typer.Exit(EXIT_CONTENT)
    if check_only:
        failing = [c for c in claim_ids if result.after.claims[c].verdict in FAILING_VERDICTS]
        if failing or newly_stale(result.before, result.after):
            raise typer.Exit(EXIT_CONTENT)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    root: RootOption = None,
) -> None:
    """Every claim with literature grade, effective grade, verdict, last run; stale theses."""
    settings = settings_or_exit(root=root)
    wiki = load_wiki_or_exit(settings, check_experiments=check_experiments, quiet=as_json)
    from wiki.ledger import Ledger
    from wiki.report import print_stale_theses, status_json, status_table
    from wiki.scoring.wiki_scores import score_wiki

    warn_if_no_ledger(settings, wiki)
    ledger = Ledger(settings.ledger)
    scores = score_wiki(wiki, ledger.records())
    if as_json:
        typer.echo(json.dumps(status_json(wiki, scores), indent=2))
        return
    print_ledger_warnings(ledger)
    console.print(status_table(wiki, scores))
    print_stale_theses(console, scores)
    unreviewed = [t for t, s in scores.theses.items() if s.unreviewed]
    if unreviewed:
        console.print(Text(f"never reviewed: {', '.join(unreviewed)}", style="dim"))


@app.command()
def impact(
    node_id: Annotated[str, typer.Argument(metavar="ID", help="A page or claim id.")],
    root: RootOption = None,
) -> None:
    """Everything that depends on a page or claim, transitively, as a tree."""
    settings = settings_or_exit(root=root)
    wiki = load_wiki_or_exit(settings, quiet=True)
    known_id_or_exit(wiki, node_id, known=[*wiki.pages, *wiki.claims])
    from wiki.report import impact_tree

    console.print(impact_tree(wiki, node_id))


@app.command()
def review(
    kind: Annotated[str, typer.Argument(metavar="thesis", help="Only theses are reviewed.")],
    thesis_id: Annotated[str, typer.Argument(metavar="ID", help="The thesis id.")],
    root: RootOption = None,
) -> None:
    """Record that a thesis was re-read against today's evidence (clears its staleness)."""
    if kind != "thesis":
        fail_usage(f"only theses are reviewed: `wiki review thesis ID` (got {kind!r})")
    settings = settings_or_exit(root=root)
    wiki = load_wiki_or_exit(settings, check_experiments=check_experiments, quiet=True)
    theses = [page.id for page in wiki.by_kind("thesis")]
    known_id_or_exit(wiki, thesis_id, known=theses)
    from wiki.ledger import Ledger
    from wiki.review import write_review
    from wiki.scoring.staleness import current_fingerprints
    from wiki.scoring.wiki_scores import score_wiki

    scores = score_wiki(wiki, Ledger(settings.ledger).records())
    status_before = scores.theses[thesis_id]
    fingerprints = current_fingerprints(wiki, scores, thesis_id)
    page = wiki.pages[thesis_id]
    from wiki.atomic_write import WriteError

    try:
        write_review(page.path, fingerprints, dt.date.today())
    except WriteError as error:
        error_console.print(Text(f"error: {error}", style="bold red"))
        raise typer.Exit(EXIT_CONTENT) from None
    was = (
        "stale" if status_before.stale else "unreviewed" if status_before.unreviewed else "current"
    )
    console.print(
        Text(
            f"reviewed {thesis_id} ({was} before): recorded {len(fingerprints)} fingerprints "
            f"in {display_path(page.path)}"
        )
    )


@app.command("new")
def new_page(
    kind: Annotated[
        str, typer.Argument(metavar="concept|entity|source|thesis", help="Kind of page.")
    ],
    page_id: Annotated[str, typer.Argument(metavar="ID", help="Its id (the file name).")],
    root: RootOption = None,
) -> None:
    """Write a new page that passes `wiki check`, with a schema modeline for editors."""
    from wiki.new_page import KIND_FOLDERS, PageExists, write_new_page
    from wiki.schema import SLUG_PATTERN
    from wiki.schema_errors import did_you_mean

    if kind not in KIND_FOLDERS:
        hint = did_you_mean(kind, KIND_FOLDERS)
        kinds = ", ".join(KIND_FOLDERS)
        fail_usage(f"unknown kind {kind!r}: use {kinds}" + (f"; {hint}" if hint else ""))
    if not re.fullmatch(SLUG_PATTERN, page_id):  # fullmatch: no trailing newline slips by
        fail_usage(f"id {page_id!r} is not a lower-case slug (a-z, 0-9 and '-'), e.g. 'my-page'")
    settings = settings_or_exit(root=root)
    try:
        path = write_new_page(settings.root, kind, page_id)
    except PageExists as error:
        fail_usage(str(error))
    except OSError as error:
        fail_usage(f"cannot write the page: {error.strerror}: {error.filename}")
    console.print(Text(f"wrote {display_path(path)}"))


@app.command("schema")
def print_schema() -> None:
    """Print the JSON Schema of a page file (for editors and external tools)."""
    from wiki.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


# Python's cyclic collector runs after every 700 net allocations; parsing and rendering a
# wiki allocates millions of objects and makes little cyclic garbage, so a one-page build
# at 1,000 pages spent ~0.15 s (5%) in 384 collections. At these thresholds it makes 4, at
# ~7 MiB more peak memory. Restored on return: `main()` is also called in-process (tests).
GC_THRESHOLDS = (50_000, 20, 20)


def main() -> None:
    """Run the `wiki` command line (returns or raises SystemExit, as a typer app does)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        app()
    finally:
        gc.set_threshold(*thresholds)


def run() -> None:
    """Console entry point (`wiki`, `python -m wiki`): `main()`, then exit at once.

    Tearing the interpreter down frees every object a build made, one by one: 0.2-0.5 s
    after a one-page build at 1,000 pages, more than the page took. Exit handlers
    (`atexit`) still run and the output is flushed; only the freeing is skipped. With
    other threads still running, the exit is the normal one, which waits for them."""
    try:
        main()
    except SystemExit as finished:
        exit_now(finished.code)
    exit_now(0)


def exit_now(code: str | int | None) -> NoReturn:
    """Exit with `code` as SystemExit would, without interpreter teardown (see `run`)."""
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if threading.active_count() > 1 or run_handlers is None:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): printed, status 1
        print(code, file=sys.stderr)
        status = 1
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`wiki check | head`) or stream
            pass
    os._exit(status)
