"""One runner for every resumable command (check, check --workers, bench, bench --workers).

A command plans its work as units, each with a key, a label and a function that returns its rows; the
runner shows a progress bar naming the unit at work, turns Ctrl-C and SIGTERM into an orderly stop,
saves the checkpoint after every finished unit (conformance/run/checkpoint.py), starts a fresh results
folder or resumes one with the first run's settings, and says how to finish an interrupted run:

    runner = Runner.start(base, "bench", settings, console)  # or Runner.resume(folder, "bench", console)
    runner.run("bench", units)                               # interrupted or not, every finished row is kept
    rows, note = runner.rows(), runner.incomplete_note()     # note: "" unless interrupted, for the files
    status = runner.finish()                                 # None, or 130 (Ctrl-C) / 143 (SIGTERM)
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .checkpoint import FILE, Checkpoint, Terminated, interruptible
from .child import Child
from .files import INCOMPLETE, fresh_results_dir


@dataclass(frozen=True)
class Unit:
    """One piece of work: `work()` returns its rows, or None to keep nothing (it runs again on --resume)."""

    key: str  # its name in progress.json
    label: str  # what the progress line shows while it runs
    work: Callable[[], list[dict] | None]


def progress_bar(console: Console, *fields: TextColumn) -> Progress:
    """The bar every long command shows: what is being done, how far, how long; `fields` add columns."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *fields,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


CLAIMS = "claims"  # run_in_processes: one empty file per unit a child has taken


class Runner:
    """A run in its own results folder: its settings, its finished units, and whether it was interrupted."""

    def __init__(self, checkpoint: Checkpoint, console: Console, resumed: bool) -> None:
        self.checkpoint, self.console, self.resumed = checkpoint, console, resumed
        self.interrupted: KeyboardInterrupt | None = None
        self.total = 0
        self.children: list[subprocess.Popen] = []  # run_in_processes's, while they run
        self.claim: Callable[[str], bool] = lambda key: True  # a child of run_in_processes claims each unit

    @classmethod
    def start(cls, base: Path, command: str, settings: dict, console: Console) -> "Runner":
        """A fresh folder base/COMMAND-<time>/ holding the settings, before any work."""
        checkpoint = Checkpoint(fresh_results_dir(base, command), command, settings)
        checkpoint.save()
        return cls(checkpoint, console, resumed=False)

    @classmethod
    def resume(cls, folder: Path, command: str, console: Console) -> "Runner":
        """The interrupted run in `folder`, with its own settings; ValueError when there is none."""
        return cls(Checkpoint.resume(folder, command), console, resumed=True)

    @property
    def folder(self) -> Path:
        return self.checkpoint.folder

    @property
    def settings(self) -> dict:
        return self.checkpoint.settings

    @property
    def extra(self) -> dict:
        """What the run measured once and keeps for a resume (the bench's machine probe)."""
        return self.checkpoint.extra

    def save(self) -> None:
        self.checkpoint.save()

    def run(self, title: str, units: list[Unit]) -> None:
        """Every unit not finished yet, in order; stops at Ctrl-C or SIGTERM with what it finished saved."""
        self.total += len(units)
        start, logged = time.perf_counter(), not self.console.is_terminal
        with progress_bar(self.console) as progress, interruptible() as signals:
            task = progress.add_task(title, total=len(units))
            try:
                for done, unit in enumerate(units):
                    if not self.checkpoint.done(unit.key) and self.claim(unit.key):
                        progress.update(task, description=unit.label)
                        if logged:  # no live bar in a log file or a pipe: a line per unit, with the time so far
                            line = f"{time.perf_counter() - start:5.0f} s {title} {done + 1}/{len(units)}: {unit.label}"
                            self.console.print(line, soft_wrap=True, highlight=False, markup=False)
                        began = time.perf_counter()
                        rows = unit.work()
                        if rows is not None:
                            self.checkpoint.add(unit.key, rows, time.perf_counter() - began)
                        signals.check()  # a signal swallowed during the unit stops the run here, its rows kept
                    progress.advance(task)
                progress.update(task, description=f"{title}: done")
            except KeyboardInterrupt as err:
                self.interrupted = err
                progress.update(task, description=f"{title}: interrupted")

    def run_in_processes(
        self, title: str, units: list[Unit] | Callable[[], list[Unit]], jobs: int, process: int | None = None
    ) -> None:
        """The units not finished yet, shared by `jobs` child processes: for work that is independent unit
        by unit and needs no clock (the conformance matrix on a machine of many cores), or, with one job,
        work that must start in a fresh process (a benchmark's share of rounds). Each child is
        `Child(COMMAND, resume=FOLDER, shard=(i, jobs), process=process)` (conformance/run/child.py): it plans
        the same units from the saved settings, takes each next unit that no other child has claimed (a file
        created exclusively in FOLDER/claims/, so a slow unit does not hold up a fixed share), and keeps its
        rows in FOLDER/shard-i/, merged here when it ends. Ctrl-C or SIGTERM reaches every child; what they
        finished is kept either way, and the claims go, so a resumed run redoes what was cut short. `units` may
        be the function that plans them: it is called once the children have started, so that what planning
        imports here is imported while they work."""
        self.save()  # the children read the settings from it
        command = self.checkpoint.command
        children = [subprocess.Popen(Child(command, self.folder, (i, jobs), process).argv()) for i in range(jobs)]
        self.children = children  # for a planner that waits on what they write
        codes, planned, todo = [], [], []
        with interruptible() as signals:  # from here on Ctrl-C or SIGTERM stops the children too, planning included
            try:
                planned = units() if callable(units) else units
                self.total += len(planned)
                todo = [u.key for u in planned if not self.checkpoint.done(u.key)]
                self.console.print(
                    f"{title}: {len(todo)} units in " + (f"{jobs} processes" if jobs > 1 else "a fresh process")
                )
                codes = [child.wait() for child in children]
                signals.check()
            except KeyboardInterrupt as err:
                self.interrupted = err
                for child in children:
                    child.send_signal(signal.SIGINT)
                codes = [child.wait() for child in children]
        for i in range(jobs):
            shard = self.folder / f"shard-{i}"
            if (shard / FILE).is_file():
                state = json.loads((shard / FILE).read_text())
                self.checkpoint.units.update(state["units"])
                self.checkpoint.seconds.update(state.get("seconds", {}))
                shutil.rmtree(shard)
        shutil.rmtree(self.folder / CLAIMS, ignore_errors=True)
        order = {unit.key: i for i, unit in enumerate(planned)}  # the plan's order, as one process writes it
        self.checkpoint.units = dict(sorted(self.checkpoint.units.items(), key=lambda kv: order.get(kv[0], -1)))
        self.save()
        missing = [key for key in todo if not self.checkpoint.done(key)]
        if missing and self.interrupted is None:  # a child that died: the run is incomplete, and resumable
            self.console.print(f"[bold red]{len(missing)} units not finished[/]: child exit codes {codes}")
            self.interrupted = KeyboardInterrupt()

    def shard(self, index: int, jobs: int) -> None:
        """In child `index` of `jobs` of run_in_processes: from here on this runner keeps its rows in
        FOLDER/shard-i/, counts the parent's finished units as done, and runs only the units it claims first."""
        folder = self.folder / f"shard-{index}"
        claims = self.folder / CLAIMS
        folder.mkdir(exist_ok=True)
        claims.mkdir(exist_ok=True)
        parent = self.checkpoint
        self.checkpoint = Checkpoint(folder, parent.command, parent.settings, extra=parent.extra)
        self.checkpoint.done = lambda key: key in parent.units or key in self.checkpoint.units

        def claim(key: str) -> bool:
            try:  # O_EXCL: exactly one child creates it
                os.close(os.open(claims / hashlib.sha1(key.encode()).hexdigest(), os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return False
            return True

        self.claim = claim

    def child(self, index: int, jobs: int) -> None:
        """In child `index` of `jobs` of run_in_processes (--shard i/N): shard(index, jobs), and a line per
        unit instead of a live bar, since the children share a screen."""
        self.console = Console(force_terminal=False, soft_wrap=True)
        self.shard(index, jobs)

    def child_status(self) -> int:
        """A child's exit status, its finished units saved: 0, or 130 when it was interrupted."""
        self.save()
        return 0 if self.complete else 130

    def leave(self) -> NoReturn:
        """A child's end: its units saved (child_status), its output flushed, and the process gone without
        the interpreter's teardown. Unloading TensorFlow, PyTorch and JAX takes 1 to 2.5 s (their exit
        handlers and module teardown; measured on 2 cores), paid by every child at the end of every run in
        processes while the parent waits; nothing of the child's is left to write by then (its rows are in
        its folder, and the compilation caches write each entry as it is compiled)."""
        status = self.child_status()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

    def rows(self) -> list[dict]:
        return self.checkpoint.rows()

    @property
    def complete(self) -> bool:
        return self.interrupted is None

    def incomplete_note(self) -> str:
        """The "Incomplete run" line of an interrupted run's written results; "" when it finished."""
        command = self.checkpoint.command
        return "" if self.complete else INCOMPLETE.format(command=command, folder=self.folder)

    def finish(self) -> int | None:
        """Marks the checkpoint complete or not; an interrupted run says how to finish it and gives its
        exit status (130 for Ctrl-C, 143 for SIGTERM), a complete one None."""
        self.checkpoint.save(complete=self.complete)
        if self.complete:
            return None
        signal = "SIGTERM" if isinstance(self.interrupted, Terminated) else "Ctrl-C"
        command, done = self.checkpoint.command, len(self.checkpoint.units)
        self.console.print(
            f"[bold yellow]interrupted[/] ({signal}): {done} of {self.total} finished units kept in "
            f"{self.folder}; finish the run with [bold]quartet {command} --resume {self.folder}[/]",
            soft_wrap=True,
        )
        return 143 if isinstance(self.interrupted, Terminated) else 130
