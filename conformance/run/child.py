"""A `python -m conformance` command run as a child process, built from one typed value.

The parent (the runner's --jobs and --processes, the mutation pass) describes the child as a `Child`
and takes its command line from `argv()`; the child's parser takes the options it reads from
`add_child_options`. Both sides name each flag here, so a renamed flag fails a test
(tests/test_run_runner.py parses every `Child` back with the real parser) instead of a run.
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

RESUME_HELP = (
    "finish an interrupted run in DIR (with its own settings; other options are ignored; default: none, a new run)"
)


@dataclass(frozen=True)
class Child:
    """One `quartet COMMAND` run in a child process."""

    command: str  # "check" or "bench"
    resume: Path | None = None  # the parent's results folder: the child plans from its saved settings
    shard: tuple[int, int] | None = None  # (i, jobs): the child takes each unit no other child has claimed
    process: int | None = None  # bench: which of the fresh processes, one after another, this one is
    quick: bool = False
    modes: tuple[str, ...] = ()  # empty: the command's default
    backends: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()  # check --function: these course functions only
    no_cache: bool = False  # --no-cache: compile afresh (conformance/core/caches.py)
    out: Path | None = None

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "conformance", self.command]
        if self.resume is not None:
            argv += ["--resume", str(self.resume)]
        if self.shard is not None:
            argv += ["--shard", f"{self.shard[0]}/{self.shard[1]}"]
        if self.process is not None:
            argv += ["--process", str(self.process)]
        if self.quick:
            argv.append("--quick")
        if self.modes:
            argv += ["--modes", ",".join(self.modes)]
        if self.backends:
            argv += ["--backends", ",".join(self.backends)]
        if self.functions:
            argv += ["--function", ",".join(self.functions)]
        if self.no_cache:
            argv.append("--no-cache")
        if self.out is not None:
            argv += ["--out", str(self.out)]
        return argv


def shard_spec(text: str) -> tuple[int, int]:
    """--shard's "i/jobs" as (i, jobs), 0 <= i < jobs."""
    try:
        index, jobs = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes i/N, got {text!r}") from None
    if not 0 <= index < jobs:
        raise argparse.ArgumentTypeError(f"--shard {text}: i must be in 0..N-1")
    return index, jobs


def add_child_options(parser: argparse.ArgumentParser, process: bool = False) -> None:
    """--resume DIR (also the user's), and the hidden options only a parent passes: --shard i/N, and
    with `process` bench's --process E."""
    parser.add_argument("--resume", type=Path, default=None, metavar="DIR", help=RESUME_HELP)
    parser.add_argument("--shard", type=shard_spec, default=None, help=argparse.SUPPRESS)
    if process:
        parser.add_argument("--process", type=int, default=0, help=argparse.SUPPRESS)
