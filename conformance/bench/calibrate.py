"""The spread between runs, measured (between.py holds what it is and how it widens an interval): from two or
more runs' bench.json on one machine, an hour or more apart, the sigma of each group of ratios and of each goal,
kept per machine (its fingerprint): --into adds it to the file beside the other machines', in place of an earlier
one of the same machine; without it, it is printed.

    python -m conformance.bench.calibrate RUN_A/bench.json RUN_B/bench.json ... [--into FILE]
"""

import json
import sys
from pathlib import Path

from .agree import load as load_run
from .agree import row_ratios
from .between import calibrate, store
from .goals import goals


def arguments(argv: list[str]) -> tuple[list[str], Path | None]:
    """(the runs' bench.json, the file --into names or None); ValueError when --into names none."""
    if "--into" not in argv:
        return argv, None
    at = argv.index("--into")
    if at + 1 >= len(argv):
        raise ValueError("--into names no file")
    return argv[:at] + argv[at + 2 :], Path(argv[at + 1])


def main(argv: list[str]) -> int:
    argv, into = arguments(argv)
    metas = []
    for path in argv:
        meta = json.loads(Path(path).read_text())
        meta.pop("rows", None)
        stamp = Path(path).parent.name.removeprefix("bench-")  # the run's folder: bench-YYYYMMDD-HHMMSS
        started = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}" if len(stamp) == 15 else stamp
        meta.setdefault("started", started)
        metas.append(meta)
    frames = [load_run(Path(p)) for p in argv]
    measured = [{g["goal"]: g["value"] for g in goals(f) if g.get("value")} for f in frames]
    entry = calibrate([row_ratios(f) for f in frames], metas, measured)
    if into is None:
        print(json.dumps(entry, indent=1))
    else:
        store(entry, into)
        print(f"{into}: the spread of {entry['machine']}, from {len(frames)} runs ({', '.join(entry['runs'])})")
    return 0


def _usage_ok(argv: list[str]) -> bool:
    try:
        runs, _ = arguments(argv)
    except ValueError:
        return False
    return len(runs) >= 2 and all(Path(p).is_file() and p.endswith(".json") for p in runs)


if __name__ == "__main__":
    if not _usage_ok(sys.argv[1:]):
        sys.exit(
            "usage: python -m conformance.bench.calibrate RUN_A/bench.json RUN_B/bench.json ... [--into FILE]: two or "
            "more runs' bench.json, an hour or more apart, on one machine"
        )
    sys.exit(main(sys.argv[1:]))
