"""`python -m conformance.learner.child FILE RESULT PROGRESS ASSIGNMENT PER_CALL_S`: a learner's file checked
in this process, which check.py starts and watches. The verdicts go to RESULT (JSON); before each call of the
learner's code, a line naming it goes to PROGRESS, so a crash or a hang is reported against the function that
was running."""

import json
import sys
from pathlib import Path

from . import functions
from .assignments import ASSIGNMENTS
from .source import read


def main(path: str, result: str, progress: str, assignment: str, per_call_s: str) -> None:
    functions.PER_CALL_S = float(per_call_s)
    with open(progress, "a", buffering=1) as log:
        checked = functions.check(read(Path(path)), ASSIGNMENTS[assignment], lambda line: log.write(line + "\n"))
    Path(result).write_text(json.dumps(checked, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:6])
