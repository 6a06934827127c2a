"""Around every `wiki` command: settings, options and the wiki turned into values or a
one-line exit, and how problems, summaries and warnings are printed.

Results (tables, JSON, trees) go to `console` (stdout); diagnostics go to `error_console`
(stderr). Exit codes: 0 ok, 1 content errors, 2 usage errors.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from wiki.errors import ContentError, display_path

if TYPE_CHECKING:  # imported where used: `wiki --help` loads neither pydantic nor networkx
    from wiki.corpus import Wiki
    from wiki.executor import Executor
    from wiki.ledger import Ledger
    from wiki.parse_cache import ParseCache
    from wiki.settings import Settings

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2

# Piped output (CI logs, files) gets 120 columns instead of rich's 80, so tables stay readable.
PIPED_WIDTH = None if sys.stdout.isatty() else 120
console = Console(highlight=False, soft_wrap=True, width=PIPED_WIDTH)  # results
error_console = Console(stderr=True, highlight=False, soft_wrap=True)  # diagnostics


def settings_or_exit(root: Path | None = None, out: Path | None = None) -> Settings:
    """Settings from pyproject.toml and options; a usage error (exit 2) when they are unusable."""
    from wiki.settings import SettingsError, load_settings

    try:
        settings = load_settings(root=root, out=out)
    except SettingsError as error:
        fail_usage(str(error))
    from wiki.experiments import RegistryError, active_catalog, use_registries

    use_registries(settings.experiments)
    try:
        active_catalog()  # a registry that is not installed is a usage error, said once
    except RegistryError as error:
        fail_usage(str(error))
    if not settings.root.is_dir():
        fail_usage(f"content folder {display_path(settings.root)} does not exist (see --root)")
    return settings


def output_folder_or_exit(settings: Settings) -> None:
    """Refuse (exit 2, one line) an --out whose replacement could delete the user's files."""
    from wiki.output_folder import UnsafeOutput, check_settings_output

    try:
        check_settings_output(settings)
    except UnsafeOutput as refusal:
        fail_usage(str(refusal))


def load_wiki_or_exit(
    settings: Settings,
    strict: bool = False,
    check_experiments: Callable[[Wiki], list[ContentError]] | None = None,
    quiet: bool = False,
    parse_cache: ParseCache | None = None,
) -> Wiki:
    """Load the wiki, print its errors, warnings and a summary; exit 1 on content errors.

    With `strict`, warnings count as errors. `quiet` prints only errors (no summary).
    `parse_cache` (`wiki build` records it, `wiki check` reads it): files parsed last build are
    not parsed again.
    """
    from wiki.corpus import Wiki, load_wiki
    from wiki.errors import ContentErrors

    started = time.perf_counter()
    errors: list[ContentError] = []
    wiki: Wiki | object | None
    gc.disable()  # loading allocates millions of objects and frees few: no cycles to find
    try:
        wiki = load_wiki(
            settings.root,
            check_experiments=check_experiments,
            max_page_bytes=settings.max_page_bytes,
            allow_remote_images=settings.allow_remote_images,
            parse_cache=parse_cache,
        )
    except ContentErrors as failure:
        errors, wiki = failure.errors, failure.wiki
    finally:
        gc.freeze()  # the wiki lives until the command ends: later collections skip it
        gc.enable()
    elapsed = time.perf_counter() - started
    warnings = wiki.warnings if isinstance(wiki, Wiki) else []
    if strict:
        errors, warnings = sorted([*errors, *warnings], key=ContentError.sort_key), []
    if quiet:
        print_problems(errors, [])
    else:
        print_problems(errors, warnings)
        print_summary(wiki if isinstance(wiki, Wiki) else None, errors, warnings, elapsed)
    if errors or not isinstance(wiki, Wiki):
        raise typer.Exit(EXIT_CONTENT)
    return wiki


def executor_or_exit(
    settings: Settings, name: str | None, address: str | None, jobs: int | None
) -> Executor:
    """The executor `--executor` (or tool.wiki.executor) names, checked before anything runs."""
    from wiki.executor import LocalExecutor, capped_jobs

    name = name or settings.executor
    if name == "local":
        if address is not None:
            fail_usage("--address names a Ray cluster: add --executor ray")
        jobs, jobs_note = capped_jobs(jobs)
        if jobs_note:
            error_console.print(Text(f"note: {jobs_note}", style="dim"))
        return LocalExecutor(jobs)
    if name != "ray":
        fail_usage(f"executor {name!r}: use --executor local or --executor ray")
    from wiki.ray_executor import RayExecutor, RayUnavailable

    # On Ray, runs without --jobs take every core of this machine's count, as before.
    executor = RayExecutor.for_jobs(address or settings.ray_address or None, jobs or 1)
    try:
        executor.check()
    except RayUnavailable as error:
        fail_usage(str(error))
    return executor


def parse_seeds_or_exit(text: str | None) -> list[int] | None:
    """`--seeds` as a sorted list, or a usage error naming the accepted forms."""
    if text is None:
        return None
    from wiki.verify import parse_seeds

    try:
        return parse_seeds(text)
    except ValueError as error:
        fail_usage(f"--seeds {text!r}: {error}")


def known_id_or_exit(wiki: Wiki, node_id: str, known: list[str]) -> None:
    """A usage error with a did-you-mean hint when `node_id` is not among `known`."""
    if node_id in known:
        return
    from wiki.schema_errors import did_you_mean

    hint = did_you_mean(node_id, known)
    fail_usage(f"unknown id {node_id!r}" + (f"; {hint}" if hint else ""))


def select_claims(
    wiki: Wiki,
    ledger: Ledger,
    target: str | None,
    target_id: str | None,
    all_claims: bool,
    stale: bool,
) -> list[str]:
    """The claims `wiki verify` works on, from `claim ID`, `page ID`, `--all` or `--stale`."""
    testable = [cid for cid, entry in wiki.claims.items() if entry.claim.experiments]
    if sum([target is not None, all_claims, stale]) != 1:
        fail_usage("say what to verify: `claim ID`, `page ID`, `--all` or `--stale`")
    if all_claims:
        return testable
    if stale:
        from wiki.scoring.wiki_scores import score_wiki

        scores = score_wiki(wiki, ledger.records())
        return [
            claim_id
            for claim_id in testable
            if any(link.missing_seeds for link in scores.claims[claim_id].links)
        ]
    if target not in ("claim", "page") or target_id is None:
        fail_usage(f"`wiki verify claim ID` or `wiki verify page ID` (got {target!r})")
    if target == "claim":
        known_id_or_exit(wiki, target_id, list(wiki.claims))
        if target_id not in testable:
            fail_usage(f"claim {target_id!r} has no experiments: it is untestable here")
        return [target_id]
    known_id_or_exit(wiki, target_id, [page.id for page in wiki.by_kind("concept")])
    return [cid for cid in wiki.claim_ids_of(target_id) if cid in testable]


def warn_if_no_ledger(settings: Settings, wiki: Wiki) -> None:
    """A missing ledger is said out loud: otherwise every claim silently reads `not-run`."""
    testable = any(entry.claim.experiments for entry in wiki.claims.values())
    if settings.ledger.exists() or not testable:
        return
    error_console.print(
        Text(
            f"warning: no run ledger at {display_path(settings.ledger)} (project "
            f"{display_path(settings.project_dir)}): claims with experiments show not-run; "
            "`wiki verify --all` records runs, tool.wiki.ledger sets the path",
            style="yellow",
        )
    )


def print_ledger_warnings(ledger: Ledger, strict: bool = False) -> None:
    """Torn, corrupt or conflicting ledger lines; with `strict` a conflict is an error (exit 1)."""
    conflicts = [warning for warning in ledger.warnings if warning.conflict]
    for warning in ledger.warnings:
        label = "error" if strict and warning.conflict else "warning"
        error_console.print(Text(f"{label}: {warning.format()}", style="yellow"))
    if strict and conflicts:
        raise typer.Exit(EXIT_CONTENT)


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
    error_console.print(Text(line, style=style))


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
    error_console.print(text)


def _plural(count: int, noun: str) -> str:
    plural = "theses" if noun == "thesis" else f"{noun}s"
    return f"{count} {noun if count == 1 else plural}"
