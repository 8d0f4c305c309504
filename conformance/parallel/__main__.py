"""The child process of a data-parallel run: `python -m conformance.parallel FOLDER` reads FOLDER/job.pkl
and writes FOLDER/result.pkl (engine.run starts it)."""

import sys

from .engine import child

child(sys.argv[1])
