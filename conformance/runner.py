"""One runner for every resumable command (check, check --workers, bench, bench --workers).

A command plans its work as units, each with a key, a label and a function that returns its rows; the
runner shows a progress bar naming the unit at work, turns Ctrl-C and SIGTERM into an orderly stop,
saves the checkpoint after every finished unit (conformance/checkpoint.py), starts a fresh results
folder or resumes one with the first run's settings, and says how to finish an interrupted run:

    runner = Runner.start(base, "bench", settings, console)  # or Runner.resume(folder, "bench", console)
    runner.run("bench", units)                               # interrupted or not, every finished row is kept
    rows, note = runner.rows(), runner.incomplete_note()     # note: "" unless interrupted, for the files
    status = runner.finish()                                 # None, or 130 (Ctrl-C) / 143 (SIGTERM)
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .checkpoint import Checkpoint, Terminated, interruptible
from .files import INCOMPLETE, fresh_results_dir


@dataclass(frozen=True)
class Unit:
    """One piece of work: `work()` returns its rows, or None to keep nothing (it runs again on --resume)."""

    key: str  # its name in progress.json
    label: str  # what the progress line shows while it runs
    work: Callable[[], list[dict] | None]


def progress_bar(console: Console, *fields: TextColumn) -> Progress:
    """The bar every long command shows: what is being done, how far, how long; `fields` add columns."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), *fields,
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False)  # fmt: skip


class Runner:
    """A run in its own results folder: its settings, its finished units, and whether it was interrupted."""

    def __init__(self, checkpoint: Checkpoint, console: Console, resumed: bool) -> None:
        self.checkpoint, self.console, self.resumed = checkpoint, console, resumed
        self.interrupted: KeyboardInterrupt | None = None
        self.total = 0

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
        with progress_bar(self.console) as progress, interruptible():
            task = progress.add_task(title, total=len(units))
            try:
                for unit in units:
                    if not self.checkpoint.done(unit.key):
                        progress.update(task, description=unit.label)
                        rows = unit.work()
                        if rows is not None:
                            self.checkpoint.add(unit.key, rows)
                    progress.advance(task)
                progress.update(task, description=f"{title}: done")
            except KeyboardInterrupt as err:
                self.interrupted = err
                progress.update(task, description=f"{title}: interrupted")

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
        self.console.print(f"[bold yellow]interrupted[/] ({signal}): {done} of {self.total} finished units kept in "
                           f"{self.folder}; finish the run with [bold]quartet {command} --resume {self.folder}[/]",
                           soft_wrap=True)  # fmt: skip
        return 143 if isinstance(self.interrupted, Terminated) else 130
