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


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename, so a reader never sees half a file. Ctrl-C and
    SIGTERM wait for the rename: a run stopped while it saves keeps the file it was writing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with signals_held():
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):  # the rename may have happened before the exception
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM that arrive within the block are delivered when it ends (where signal masks exist)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
