"""Run shares of one job in forked processes: how a build uses more than one core.

`map_in_processes(work, items, processes)` is `[work(item) for item in items]` computed
by this process and children forked from it, each taking the next item nobody has taken
yet; `run_shares(work, shares)` runs `work(share)` for every share, the first here and
each other one in a forked child. A child sees everything this process built before the
call (config, nav, the wiki model) without copying or pickling it; only its results come
back (pickled, through a pipe), in the order a single process would have made them. An
exception in a child is raised here. A child's writes to files are its own business: the
work items write disjoint files.

`build_processes()` is how many processes a build uses: `WIKI_BUILD_PROCESSES` if set,
else 2 where two cores are available (the build machine class has two), else 1. Without
`os.fork` (Windows), or by default while other threads run, everything runs in this
process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

ENV_VAR = "WIKI_BUILD_PROCESSES"
DEFAULT_PROCESSES = 2
# A build step with fewer items (pages) than this keeps them in one process: a fork costs more.
MIN_ITEMS_TO_FORK = 64

T = TypeVar("T")
R = TypeVar("R")


def build_processes() -> int:
    """Processes a build may render pages in (1: everything in this one).

    By default 1 too while other threads run (`wiki serve`'s live-reload server): a child
    forked from a threaded process can block forever on a lock another thread held at
    the fork.
    """
    if not hasattr(os, "fork"):
        return 1
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            return 1
    if threading.active_count() > 1:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(DEFAULT_PROCESSES, cores))


def map_in_processes(
    work: Callable[[T], R],
    items: Sequence[T],
    processes: int,
    weights: Sequence[int] | None = None,
) -> list[R]:
    """`[work(item) for item in items]`, computed by `processes` processes: this one and
    children forked from it. Each process takes the next item not yet taken (heaviest
    `weights` first), so a process that got light items takes more of them; the results
    come back in the order of `items` whoever computed them."""
    count = len(items)
    if processes <= 1 or count < 2 or not hasattr(os, "fork"):
        return [work(item) for item in items]
    import multiprocessing

    order = list(range(count))
    if weights is not None:
        order.sort(key=lambda index: (-weights[index], index))
    taken = multiprocessing.get_context("fork").Value("q", 0)  # shared by the processes

    def drain() -> list[tuple[int, R]]:
        done: list[tuple[int, R]] = []
        while True:
            with taken.get_lock():
                position = taken.value
                taken.value = position + 1
            if position >= count:
                return done
            index = order[position]
            done.append((index, work(items[index])))

    results: list[Any] = [None] * count
    for share in run_shares(lambda _: drain(), [[]] * min(processes, count)):
        for index, result in share:
            results[index] = result
    return results


def run_shares(work: Callable[[list[T]], R], shares: list[list[T]]) -> list[R]:
    """`[work(share) for share in shares]`, the shares after the first in forked children."""
    if len(shares) <= 1 or not hasattr(os, "fork"):
        return [work(share) for share in shares]
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    gc.collect()
    _release_free_memory()  # what was freed stays out of both processes' resident memory
    gc.freeze()  # the objects made so far stay shared: a child's collector does not touch them
    try:
        for share in shares[1:]:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read)
                _child(work, share, write)
            os.close(write)
            children.append((pid, read))
        first = work(shares[0])
        results = [first]
        while children:
            pid, read = children.pop(0)
            try:
                ok, value = _receive(read)
            except Exception as error:  # nothing, or a stream cut short (see _child)
                os.close(read)
                _, status = os.waitpid(pid, 0)
                raise ChildFailed(
                    f"a build process ended without a result (status {status})"
                ) from error
            os.close(read)
            os.waitpid(pid, 0)
            if not ok:
                raise value
            results.append(value)
        return results
    finally:
        gc.unfreeze()
        for pid, read in children:  # only after a failure here: stop and reap the rest
            os.close(read)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass


def _release_free_memory() -> None:
    """Give memory Python freed back to the system (glibc keeps it otherwise, and a child
    forked now would hold its own copy of those pages in its resident set)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class ChildFailed(RuntimeError):
    """A forked build process died or sent back something unusable."""


def _child(work: Callable[[list[Any]], Any], share: list[Any], write: int) -> None:
    status = 1
    try:
        with os.fdopen(write, "wb") as pipe:
            try:
                value = work(share)
            except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
                try:
                    payload = pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # an exception that does not pickle: its text does
                    text = f"{type(error).__name__}: {error}"
                    payload = pickle.dumps((False, ChildFailed(text)))
                pipe.write(payload)
            else:
                # streamed into the pipe, not made as one bytes object first: a share of
                # rendered pages is held once here, not twice (a result that does not
                # pickle leaves the stream cut short: the parent raises ChildFailed)
                pickle.dump((True, value), pipe, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _receive(fd: int) -> tuple[bool, Any]:
    """What a child sent through the pipe `fd`, unpickled as it is read (the pickle is
    never held whole here)."""
    with open(fd, "rb", closefd=False) as pipe:
        ok, value = pickle.load(pipe)
    return ok, value
