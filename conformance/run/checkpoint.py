"""Nothing lost: the finished rows of a `quartet check` or `quartet bench` run are on disk after every
unit of work, so Ctrl-C or SIGTERM keeps them, and `--resume DIR` finishes the run.

    progress.json   {"command", "settings", "complete", "extra", "seconds": {key: s}, "units": {key: [row, ...]}}

is rewritten atomically (a temporary file, then a rename) after each unit, so a reader, or a resumed
run, sees the state before or after a unit and never half of one. Each unit's rows are encoded once, when
it finishes: encoding them all again after every unit made a quick check spend a tenth of its time in json.
A resumed run takes its settings from the file, not from the command line, so its rows stay comparable
with the ones already there."""

import contextlib
import json
import signal
from pathlib import Path

from .files import write_atomically

FILE = "progress.json"


class Checkpoint:
    """The units of work a run has finished, each with its result rows."""

    def __init__(
        self, folder: Path, command: str, settings: dict, units: dict | None = None, extra: dict | None = None
    ) -> None:
        self.folder, self.command, self.settings = Path(folder), command, settings
        self.units: dict[str, list[dict]] = units or {}
        self.extra: dict = extra or {}
        self.complete = False
        self.seconds: dict[str, float] = {}  # how long each unit took (docs/check-speed.md reads them)
        self._encoded: dict[str, tuple[list, str]] = {}  # key: (its rows, their JSON)

    @classmethod
    def resume(cls, folder: Path, command: str) -> "Checkpoint":
        """The checkpoint of an earlier run in `folder`; ValueError when there is none for `command`."""
        path = Path(folder) / FILE
        if not path.is_file():
            raise ValueError(f"--resume {folder}: no {FILE} there (is it a results folder of quartet {command}?)")
        state = json.loads(path.read_text())
        if state.get("command") != command:
            raise ValueError(
                f"--resume {folder}: that folder holds a quartet {state.get('command')} run, not quartet {command}"
            )
        if state.get("complete"):
            raise ValueError(f"--resume {folder}: that run is already complete")
        resumed = cls(folder, command, state["settings"], state["units"], state.get("extra"))
        resumed.seconds = state.get("seconds", {})
        return resumed

    def done(self, key: str) -> bool:
        return key in self.units

    def add(self, key: str, rows: list[dict], seconds: float | None = None) -> None:
        self.units[key] = rows
        if seconds is not None:
            self.seconds[key] = round(seconds, 3)
        self.save()

    def rows(self) -> list[dict]:
        return [row for rows in self.units.values() for row in rows]

    def save(self, complete: bool = False) -> None:
        self.complete = complete
        state = {
            "command": self.command,
            "settings": self.settings,
            "complete": complete,
            "extra": self.extra,
            "seconds": self.seconds,
        }
        head = json.dumps(state, indent=1, default=str)
        units = ",\n  ".join(f"{json.dumps(key)}: {self._encode(key, rows)}" for key, rows in self.units.items())
        write_atomically(self.folder / FILE, f'{head[:-2]},\n "units": {{\n  {units}\n }}\n}}'.encode())

    def _encode(self, key: str, rows: list[dict]) -> str:
        """A unit's rows as JSON, encoded once (again only when the rows under `key` are other rows)."""
        known = self._encoded.get(key)
        if known is None or known[0] is not rows:
            known = self._encoded[key] = (rows, json.dumps(rows, default=str))
        return known[1]


def status(folder: Path) -> dict | None:
    """{"complete": bool, "units": n} of a results folder, or None when it has no checkpoint."""
    path = Path(folder) / FILE
    if not path.is_file():
        return None
    state = json.loads(path.read_text())
    return {"complete": bool(state.get("complete")), "units": len(state.get("units", {}))}


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the same unwinding as Ctrl-C."""


class Signals:
    """The handler of SIGINT and SIGTERM inside interruptible(): raises KeyboardInterrupt or Terminated, and
    keeps what it raised until check() is called. Python prints and drops an exception raised in a garbage
    collector's callback (JAX installs one), so a signal that lands there would otherwise be lost and the run
    would go on to the end as if nobody had asked it to stop."""

    def __init__(self) -> None:
        self.pending: type[KeyboardInterrupt] | None = None

    def __call__(self, signum, frame):
        self.pending = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        raise self.pending()

    def check(self) -> None:
        """Raises the signal that arrived within the block, if it has not stopped the run already (a caller
        that catches it stops; one that never saw it learns of it here)."""
        if self.pending is not None:
            raise self.pending()


@contextlib.contextmanager
def interruptible():
    """Within the block, SIGTERM raises Terminated (a KeyboardInterrupt) and SIGINT KeyboardInterrupt, so a
    killed run unwinds like an interrupted one and writes what it finished. Yields the Signals handler: call
    its check() between units of work, for a signal whose exception was swallowed where it landed."""
    signals = Signals()
    try:
        # a signal ignored (nohup, a job in a script's background) stays ignored
        previous = {
            signum: signal.signal(signum, signals)
            for signum in (signal.SIGTERM, signal.SIGINT)
            if signal.getsignal(signum) != signal.SIG_IGN
        }
    except ValueError:  # not the main thread: leave the signals alone
        yield signals
        return
    try:
        yield signals
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
