"""The spread between runs, measured (between.py holds what it is and how it widens an interval): from two or
more runs' bench.json on one machine, hours apart, the sigma of each group of ratios and of each goal.

    python -m conformance.bench.calibrate RUN_A/bench.json RUN_B/bench.json ... > between-runs.json
"""

import json
import sys
from pathlib import Path

from .agree import load as load_run
from .agree import row_ratios
from .between import calibrate
from .goals import goals


def main(argv: list[str]) -> int:

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
    print(json.dumps(calibrate([row_ratios(f) for f in frames], metas, measured), indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3 or not all(Path(p).is_file() and p.endswith(".json") for p in sys.argv[1:]):
        sys.exit(
            "usage: python -m conformance.bench.calibrate RUN_A/bench.json RUN_B/bench.json ...: two or more "
            "runs' bench.json, hours apart, on one machine"
        )
    sys.exit(main(sys.argv[1:]))
