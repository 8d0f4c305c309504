"""The conformance matrix: every (backend, mode, dtype, device) target on every case, each compared with
the float64 reference (measure.py computes a row, judge.py judges it), float64 targets also with each other,
and on a GPU each float32 framework measured again with TF32 on (its tf32_drift)."""

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.backends import BackendUnavailable, load_backend
from ..core.frameworks import full_float32_matmuls
from ..core.registry import Target
from ..core.spec import ModelSpec
from .cases import STEPS, Case
from .judge import COLUMNS, compare, errors
from .measure import measure, section


@dataclass
class MatrixResult:
    frame: pd.DataFrame
    skipped: list[dict] = field(default_factory=list)  # backend, mode, dtype, device, reason
    # a part of a backend that raised on a case: model, backend, mode, dtype, device, section, status, detail
    raised: list[dict] = field(default_factory=list)
    functions: list[dict] = field(default_factory=list)  # each course function's verdict (functions.py)
    judge: list[dict] = field(default_factory=list)  # the reference against the course's numbers (reference.py)

    @property
    def passed(self) -> bool:
        """Every comparison within its tolerance, nothing raised, every function green."""
        return (
            bool(len(self.frame))
            and bool(self.frame["passed"].all())
            and not self.raised
            and all(f["status"] == "green" for f in self.functions)
            and all(j["status"] != "wrong" for j in self.judge)
        )


def unavailable(target: Target, spec: ModelSpec) -> dict | None:
    """The skipped entry of a (backend, mode, dtype, device) target that cannot run here, with the reason;
    None when it can."""
    name, mode, dtype, device = target
    try:
        load_backend(name, spec, mode, dtype, device)
    except BackendUnavailable as err:
        return dict(backend=name, mode=mode, dtype=dtype, device=device, reason=str(err))
    return None


def run_matrix(
    cases: list[Case],
    targets: Iterable[Target | tuple[str, str, str, str]],
    steps: Iterable[int] = STEPS,
    pairwise: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> MatrixResult:
    """Each (backend, mode, dtype, device) target on each case, against the float64 reference; float64
    targets also against each other. Unavailable targets are listed in `skipped`, with the reason."""
    targets, steps = [Target(*t) for t in targets], tuple(steps)
    rows, skipped, raised, backends = [], [], [], {}
    for target in targets:
        skip = unavailable(target, cases[0].spec)
        if skip:
            skipped.append(skip)
        else:
            backends[target] = None
    for case in cases:
        ref = _measured(("numpy", "eager", "float64", "cpu"), case, steps)
        ref32 = _measured(("numpy", "eager", "float32", "cpu"), case, steps)
        drift = {
            q: errors(ref32[q], ref[q], float(np.finfo("float32").tiny))[1] for q in ref if np.all(np.isfinite(ref[q]))
        }
        results = {}
        for target in backends:
            name, mode, dtype, device = target
            if on_progress:
                on_progress(f"{case.label} {name} {mode} {dtype} {device}")
            labels = dict(backend=name, mode=mode, dtype=dtype, device=device)
            problems: list[dict] = []  # a part of the backend that raised: its failure, the run goes on
            results[target] = _measured(target, case, steps, problems)
            tf32 = _tf32_drift(target, case, steps, results[target]) if dtype == "float32" and not problems else None
            failed = {p["section"] for p in problems}
            only = [q for q in ref if section(q) not in failed]
            rows += compare(
                results[target],
                ref,
                case,
                labels,
                "numpy/float64",
                drift if dtype == "float32" else None,
                only=only,
                tf32=tf32,
            )
            raised += [{"model": case.label, **labels, **p} for p in problems]
        if pairwise:
            f64 = [t for t in results if t[2] == "float64" and t[0] != "numpy"]
            for a, b in itertools.combinations(f64, 2):  # where both measured a quantity
                labels = dict(backend=a[0], mode=a[1], dtype=a[2], device=a[3])
                both = set(results[a]) & set(results[b])
                rows += compare(results[a], results[b], case, labels, f"{b[0]}/{b[1]}/{b[3]}", only=both)
    return MatrixResult(pd.DataFrame(rows, columns=COLUMNS), skipped, raised)


# What this process measured of a case, kept for the units after it: the reference for every target's unit of
# the case, a float64 target's results for the case's pairwise unit. A measurement is deterministic in one
# process, so the second unit compares the same numbers it would measure again; only the reference and the
# eager float64 targets are kept (the pairwise comparison's), and no more than MEMO_BYTES of them.
_MEMO: dict[tuple, tuple[Case, dict, list[dict]]] = {}
MEMO_BYTES = 512 * 2**20


def _measured(target: Target, case: Case, steps: tuple[int, ...], problems: list[dict] | None = None) -> dict:
    """measure() of `target` on `case`, or what this process measured of it before (its problems too)."""
    key = (target, id(case), steps)
    if key in _MEMO and _MEMO[key][0] is case:  # the case is kept with it, so its id is not reused
        found, raised = _MEMO[key][1:]
        if problems is not None:
            problems += raised
        return found
    name, mode, dtype, device = target
    mine: list[dict] = []
    found = measure(
        load_backend(name, case.spec, mode, dtype, device), case, steps, mine if problems is not None else None
    )
    if problems is not None:
        problems += mine
    kept = sum(a.nbytes for _, values, _ in _MEMO.values() for a in values.values())
    if (name == "numpy" or (mode, dtype) == ("eager", "float64")) and kept < MEMO_BYTES:
        _MEMO[key] = (case, found, mine)
    return found


def _tf32_drift(target: tuple, case: Case, steps: tuple[int, ...], full: dict[str, np.ndarray]) -> dict | None:
    """How far a float32 framework on a GPU moves with TF32 matrix products: the same case measured again
    with TF32 on, against its own full-float32 results (normwise); None on a CPU, where there is no TF32."""
    name, mode, dtype, device = target
    if device != "gpu" or name == "numpy":
        return None
    backend = load_backend(name, case.spec, mode, dtype, device)  # its constructor holds TF32 off; then on
    full_float32_matmuls(name, tf32=True)
    try:
        fast = measure(backend, case, steps)
    finally:
        full_float32_matmuls(name, tf32=False)
    tiny = float(np.finfo("float32").tiny)
    return {q: errors(fast[q], full[q], tiny)[1] for q in full if np.all(np.isfinite(full[q])) and q in fast}
