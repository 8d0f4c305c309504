"""Results on disk: every run writes to a fresh folder of its own, each file atomically (never half a
file), with its tables as markdown; an interrupted run says so at the top of what it wrote."""

import contextlib
import os
import signal
import tempfile
import time
from pathlib import Path

INCOMPLETE = (
    "**Incomplete run**: interrupted before every row was finished; the rows below are the finished "
    "ones. Finish it with `quartet {command} --resume {folder}`."
)


def _umask() -> int:
    """The process's umask (reading it means setting it: set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename, so a reader never sees half a file. Ctrl-C and
    SIGTERM wait for the rename: a run stopped while it saves keeps the file it was writing. The file gets
    the permissions the user's umask gives a new file (the temporary one is made for its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with signals_held():
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):  # the rename may have happened before the exception
            os.unlink(tmp)
        raise


HELD = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM that arrive within the block are handled when it ends, by the handler that was in
    place before it. A Python-level handler records them meanwhile: a signal mask would hold them for this
    thread only, and once a framework has started threads of its own the kernel delivers the signal to one
    of those and Python still runs its handler here, at the next bytecode. Off the main thread, where
    Python cannot install handlers (and never runs them), the block is left alone."""
    arrived: list[int] = []

    def record(signum, frame):
        arrived.append(signum)

    try:
        previous = {signum: signal.signal(signum, record) for signum in HELD}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(arrived):  # each once, in the order they came
            _deliver(signum, previous[signum])


def _deliver(signum: int, handler) -> None:
    """Handle `signum` as `handler` (what signal.signal returned) would have when it arrived."""
    if callable(handler):
        handler(signum, None)
    elif handler != signal.SIG_IGN:  # SIG_DFL, or a handler installed outside Python (None)
        signal.raise_signal(signum)


def fresh_results_dir(base: Path, kind: str) -> Path:
    """base/kind-YYYYmmdd-HHMMSS (with a suffix if that exists): every run writes to a folder of its own."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in [""] + [f"-{i}" for i in range(1, 100)]:
        path = Path(base) / f"{kind}-{stamp}{suffix}"
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no fresh folder for {kind} under {base}")


def frame_markdown(frame) -> str:
    """A DataFrame as a GitHub markdown table (no extra dependency)."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
