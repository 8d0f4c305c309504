"""Bitwise reproducibility: does the same seed give the same bits, run to run?

Each target computes the gradients and 100 training steps of fixed cases; the result is a SHA-256 of
the bytes of every array. "In-process" runs it twice in one process (what a test that calls twice
sees); "fresh processes" runs it in separate interpreters (what two users running the same command
see: thread pools, allocator alignment and autotuning start afresh). Bitwise equality is stricter
than conformance: a sum whose order depends on thread scheduling changes the last bit and nothing else.
"""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np

from .. import ROOT
from ..core.backends import load_backend
from ..core.spec import ModelSpec
from .cases import make_case

CASES = {  # a small course-like net (latency-bound) and a wide one (split across threads by the BLAS)
    "deep[64,20,7,5,1] m=209": (ModelSpec("deep", (64, 20, 7, 5, 1), "relu"), 209),
    "wide[256,256,1] m=1024": (ModelSpec("deep", (256, 256, 1), "tanh"), 1024),
}
STEPS = 100


def fingerprint(name: str, mode: str, dtype: str) -> dict[str, str]:
    """{case: sha256 of the gradients and the parameters after STEPS steps} for one target."""
    out = {}
    for label, (spec, m) in CASES.items():
        case = make_case(spec, m=m, seed=5, learning_rate=0.01)
        backend = load_backend(name, spec, mode, dtype)
        grads = backend.grads(case.params, case.X, case.Y)
        params, costs = backend.train(case.params, case.X, case.Y, case.learning_rate, STEPS, record_every=1)
        digest = hashlib.sha256()
        for arrays in (grads, params):
            for key in sorted(arrays):
                digest.update(np.ascontiguousarray(arrays[key]).tobytes())
        digest.update(np.asarray(costs).tobytes())
        out[label] = digest.hexdigest()[:16]
    return out


def fresh(name: str, mode: str, dtype: str) -> dict[str, str]:
    """fingerprint() in a new interpreter."""
    code = f"import json; from conformance.check.determinism import fingerprint; print(json.dumps(fingerprint({name!r}, {mode!r}, {dtype!r})))"  # noqa: E501
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(name: str, mode: str, dtype: str, runs: int = 3) -> dict:
    """One row: bitwise equal in-process (2 calls) and across `runs` fresh processes, per case."""
    first, second = fingerprint(name, mode, dtype), fingerprint(name, mode, dtype)
    processes = [fresh(name, mode, dtype) for _ in range(runs)]
    row = {"backend": name, "mode": mode, "dtype": dtype}
    for label in CASES:
        row[f"{label}: in-process"] = first[label] == second[label]
        row[f"{label}: fresh processes"] = len({p[label] for p in processes}) == 1
    return row
