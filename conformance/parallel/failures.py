"""What a lost data-parallel worker is said to be, in one line: a worker's own message, or which rank died of
what (torchrun's summary, a signal, a status line of the engine's log), and how the others ended after it."""

import re
import signal
import time
from pathlib import Path


def progress(folder: Path, rank: int) -> list[str]:
    path = folder / f"progress-{rank}"
    return path.read_text().splitlines() if path.is_file() else []


def what_failed(name: str, folder: Path, key, code: int, address: str) -> str:
    """The failure in one line: a worker's own message, or which rank died of what."""
    errors = sorted(folder.glob("error-*"))
    if errors:
        return errors[0].read_text().strip()
    log_path = folder / (f"log-{key}" if name == "torch" else f"log-rank{key}")
    log = log_path.read_text(errors="replace") if log_path.is_file() else ""
    if name == "torch":  # torchrun's summary: "rank: 1 (local_rank: 1) exitcode: -9 (pid: 1234)"
        pattern = r"rank\s*:\s*(\d+)\s*\(local_rank: \d+\)\s+exitcode\s*:\s*(-?\d+)\s*\(pid: (\d+)\)"
        root = log[log.find("Root Cause") :] if "Root Cause" in log else log  # the first failure, not the others'
        # a rank killed by a signal is the cause even when torchrun saw its peer's exit first (the peer's
        # collective failed because it had gone: under load, a race); SIGTERM is torchrun's own, to the rest
        killed = [f for f in re.finditer(pattern, log) if int(f.group(2)) < 0 and int(f.group(2)) != -15]
        found = killed[0] if killed else re.search(pattern, root)
        if found:
            rank, code, pid = (int(g) for g in found.groups())
            return f"rank {rank} (pid {pid}) {how(code)}, reported by torchrun"
        if "RendezvousTimeoutError" in log or ("rendezvous" in log.lower() and "timed out" in log.lower()):
            return f"torchrun's c10d rendezvous at {address} timed out: not every node joined"
        return f"torchrun {key} {how(code)}: {last_line(log)}"
    pid = started_pid(folder, key)
    who = f"rank {key}{f' (pid {pid})' if pid else ''}"
    if "joined" not in progress(folder, key):  # the engine gave up meeting the others (JAX aborts)
        return f"{who} could not join the processes at {address}: it {how(code)} ({last_line(log)})"
    return f"{who} {how(code)}" + (f": {last_line(log)}" if code > 0 else "")


def started_pid(folder: Path, rank: int) -> int | None:
    """The pid a worker noted when it started (None before that)."""
    lines = progress(folder, rank)
    return int(lines[0].split()[1]) if lines and lines[0].startswith("pid ") else None


def how(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"


def last_line(log: str) -> str:
    """The line of a log that says most: an error or status line if there is one (without glog's prefix
    or a stack trace), else the last line."""
    lines = [line.strip() for line in log.strip().splitlines() if line.strip() and line.strip()[0] not in "@*"]
    said = [line for line in lines if re.search(r"Error|error|Status|status", line)] or lines
    if not said:
        return "no output"
    status = re.search(r"Status: (.*)$", said[-1])  # absl's "Status: DEADLINE_EXCEEDED: ..." says it all
    return (status.group(1) if status else re.sub(r"^[FEW]\d{4} [\d:.]+\s+\d+ \S+\] ", "", said[-1]))[:300]


def wait_for_others(started: dict, lost, grace_s: float) -> str:
    """Give the other processes grace_s to stop on their own; say how each ended."""
    deadline = time.monotonic() + grace_s
    others = {key: p for key, p in started.items() if key != lost}
    while time.monotonic() < deadline and any(p.poll() is None for p in others.values()):
        time.sleep(0.1)
    stopped = [
        f"{label(key)} {'stopped by itself' if p.poll() is not None else 'was stopped'}" for key, p in others.items()
    ]
    return ", ".join(stopped)


def label(key) -> str:
    return f"rank {key}" if isinstance(key, int) else f"torchrun {key}"
