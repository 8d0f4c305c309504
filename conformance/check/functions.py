"""Every course function of a backend checked on its own, as the course's notebooks test each function.

Each function is called with inputs the float64 reference built (so a wrong callee can neither hide nor
imitate a bug) and its results are judged against the reference's by judge.compare, under the names and
with the tolerances of the matrix (the rounding model of scales.py). A function's verdict is one of

    green            every result within its tolerance
    wrong            a result outside it (what, where, how far)
    not written yet  it raised NotImplementedError (a stub of `quartet new-backend`)
    raised           any other exception (its type and last line)
    not checked      a function it needs to be called through is not written yet

An activation is checked for its value on a grid of z (0, the kinks, large |z|: past float32's exp
overflow at 88.7 and, in float64, past 709.8) and for the derivative the backend's backward uses there,
read from L_model_grads on a probe net where dW1 is g'(Z1) times a known factor (derivative_probe).
suspects.py ranks what to look at first. The reference's own functions are checked against the course's
printed test cases in tests/test_reference_course_calls.py; here the reference is the judge, so it has no rows.
"""

import copy
import functools
import traceback
from collections.abc import Callable

import numpy as np

from reference_numpy.activations import HIDDEN_ACTIVATIONS

from ..core.backends import load_backend
from ..core.registry import PACKAGES
from ..core.spec import ModelSpec
from .alone import CompiledAlone
from .cases import Case, make_case
from .catalogue import (
    ACTIVATIONS,
    ARRAYS,
    BY_KEY,
    FUNCTIONS,
    HELPERS,
    LOGISTIC_COUNTERPARTS,
    MODULES,
    RECORD_EVERY,
    STEPS,
    THROUGH_GRADS,
    Function,
    NotWritten,
    Verdict,
    WrongResult,
    course_function,
    helper_homes,
)
from .checks_arrays import ArrayChecks
from .checks_forward import ForwardChecks
from .checks_logistic import LogisticChecks
from .checks_training import TrainingChecks
from .judge import compare, label_difference
from .measure import exception_line, flatten, measure, port_frames
from .probes import with_biases

# the catalogue's names, re-exported: suspects, planner, localise and the tests take them from here
__all__ = [
    "ACTIVATIONS",
    "ARRAYS",
    "BY_KEY",
    "FUNCTIONS",
    "HELPERS",
    "LOGISTIC_COUNTERPARTS",
    "MODULES",
    "RECORD_EVERY",
    "STEPS",
    "THROUGH_GRADS",
    "Checker",
    "Function",
    "NotWritten",
    "Verdict",
    "WrongResult",
    "check_functions",
    "course_function",
    "helper_homes",
    "replay",
]


class Checker(ArrayChecks, ForwardChecks, TrainingChecks, LogisticChecks, CompiledAlone):
    """The checks of one target (backend, mode, dtype, device)."""

    def __init__(self, name: str, mode: str, dtype: str, device: str) -> None:
        self.name, self.mode, self.dtype, self.device = name, mode, dtype, device
        self.labels = dict(backend=name, mode=mode, dtype=dtype, device=device)
        self.package = PACKAGES[name]
        self.verdicts: dict[str, Verdict] = {}
        self._references: dict[int, tuple[Case, dict]] = {}

    def run(self, only: tuple[str, ...] | None = None) -> list[dict]:
        """The verdicts of every course function, or of those keyed in `only` (e.g. "logistic.propagate")."""
        self.only = only
        # the shapes of the matrix's default cases (cases.default_cases), so what a framework compiled for one
        # is reused by the other in the same process (JAX compiles each operation per shape, even eagerly)
        deep_cases = {a: with_biases(make_case(ModelSpec("deep", (8, 7, 6, 1), a), seed=7)) for a in HIDDEN_ACTIVATIONS}
        logistic_case = with_biases(make_case(ModelSpec("logistic", (8, 1)), seed=7))
        self.backend = load_backend(self.name, logistic_case.spec, self.mode, self.dtype, self.device)
        with np.errstate(all="ignore"):  # a port's overflow is judged by its numbers, not warned about
            self.check_each(deep_cases, logistic_case)
        return [{"function_check": True, **self.labels, **vars(v)} for v in self.verdicts.values()]

    def replay(self, case: Case) -> list[dict]:
        """First divergence on a case where the matrix failed: each course function of the case's model called
        on its own, with this case's inputs as the reference computed them, in this target's dtype (and its
        mode, for the functions that take one); the first that disagrees is the one to look at. The rows carry
        the case's label."""
        self.only = None
        deep = case.spec.kind == "deep"
        self.backend = load_backend(self.name, case.spec, self.mode, self.dtype, self.device)
        keys = {f.key for f in FUNCTIONS if f.module == ("deep" if deep else "logistic")}
        keys |= {"from_numpy", "to_numpy", *(("compute_cost_from_logits",) if not deep else ())}
        keys |= {case.spec.hidden_activation, "sigmoid"} if deep else set()
        with np.errstate(all="ignore"):  # the case stands for both models: only its own model's functions run
            self.check_each({a: case for a in HIDDEN_ACTIVATIONS}, case, keys, every_mode=True)
        return [{"function_check": True, **self.labels, **vars(v), "case": case.label} for v in self.verdicts.values()]

    def check_each(
        self, deep_cases: dict[str, Case], logistic_case: Case, keys: set[str] | None = None, every_mode: bool = False
    ) -> None:
        checks = functools.partial(self.check_and_cases, deep_cases=deep_cases, logistic_case=logistic_case)
        for function in FUNCTIONS:
            if (
                (self.mode != "eager" and not function.moded and not every_mode)
                or (self.only is not None and function.key not in self.only)
                or (keys is not None and function.key not in keys)
            ):
                continue
            if function.module == "arrays" and not hasattr(getattr(self.backend, "arrays", None), function.name):
                continue  # the reference has no boundary; the built-in three's clocks wait in core/frameworks.py
            verdict, (check, cases) = Verdict(function.key, "green"), checks(function)
            for case in cases:
                verdict = verdict.worse(self.attempt(function, check, case))
                if verdict.status in ("not written yet", "raised"):
                    break
            self.verdicts[function.key] = verdict
        if not every_mode:  # a replay checks every function in this target already
            self.check_inner_compiled(checks)

    def check_and_cases(self, function: Function, deep_cases: dict[str, Case], logistic_case: Case) -> tuple:
        """(check, cases): the Checker's method that checks `function`, and the cases it runs on."""
        if function.module == "arrays":
            return getattr(self, f"check_arrays_{function.name}"), [logistic_case]
        if function.name in ACTIVATIONS:
            return self.check_activation, [deep_cases[function.name]]  # on its own probe
        check = getattr(self, f"check_{function.module}_{function.name}")
        if function.module == "logistic":
            return check, [logistic_case]
        return check, list({id(c): c for c in deep_cases.values()}.values())

    def attempt(self, function: Function, check: Callable[[Function, Case], Verdict], case: Case) -> Verdict:
        self._given = []  # what put() gave the port, with its values then: changed() compares
        try:
            verdict = check(function, case)
            changed = self.changed()
            return Verdict(function.key, "wrong", changed, float("inf")) if changed else verdict
        except NotWritten as err:
            return Verdict(function.key, "not checked", f"needs {err}, not written yet")
        except WrongResult as err:
            return Verdict(function.key, "wrong", str(err), float("inf"))
        except NotImplementedError as err:  # this function's stub, or one it is called through
            culprit = str(err) or traceback.extract_tb(err.__traceback__)[-1].name
            if culprit == function.name:
                return Verdict(function.key, "not written yet")
            return Verdict(function.key, "not checked", f"needs {culprit}, not written yet")
        except Exception as err:  # the backend's function failing, whatever it raised
            owners = [  # the innermost first, a compiler's quoted frames included; arrays.py: the check's conversion
                course_function(path, name, line)
                for path, name, line in reversed(port_frames(err, self.package))
                if not path.endswith("arrays.py")
            ]
            where = next((k for k in owners if k), None)  # the innermost course function it raised in
            return Verdict(
                function.key,
                "raised",
                exception_line(err, self.package),
                via=(where,) if where and where != function.key else (),
            )

    def changed(self) -> str:
        """What the last check's calls changed of the arrays the check gave them ("" when nothing): the
        course's functions return new arrays and leave their arguments as they were."""
        for given, before in self._given:
            after = self.backend._get(given)
            for key in before if isinstance(before, dict) else [None]:
                old, new = (before[key], after[key]) if key is not None else (before, after)
                if np.shape(old) != np.shape(new) or not np.array_equal(old, new, equal_nan=True):
                    what = f"its argument {key}" if key is not None else "an argument"
                    return f"changes {what} of shape {np.shape(old)} in place"
        return ""

    # --- calling the port and judging -----------------------------------------------------------------
    def put(self, value):
        """NumPy in, as the backend's arrays (a list: each of them); the protocol's own conversion. Each is
        kept with its values, so that a function that changes its arguments in place is found (changed())."""
        if isinstance(value, list):
            return [self.put(v) for v in value]
        given = self.backend._put(copy.deepcopy(value))  # a port that shares memory cannot change the case
        if hasattr(self, "_given"):
            self._given.append((given, copy.deepcopy(self.backend._get(given))))
        return given

    def get(self, value, quantity: str = ""):
        """The port's result as float64 NumPy, after checking that it is an array of the run's dtype: a float64
        result where float32 is asked (or the other way) is the function's failure, before any cast."""
        text, other = str(getattr(value, "dtype", "")), "float64" if self.dtype == "float32" else "float32"
        labels = " (labels: 1.0 and 0.0 in X's dtype, as the reference's predict)" if quantity == "predictions" else ""
        if other in text:  # the framework's own array, a 0-d one too (a cost, a db)
            raise WrongResult(f"{quantity or 'a result'} is {text} where the run asks for {self.dtype}{labels}")
        got = self.backend._get(value)
        dtype = getattr(got, "dtype", None)
        if np.ndim(got) and dtype is not None and (dtype.kind == "f" or labels) and dtype != self.dtype:
            raise WrongResult(f"{quantity or 'a result'} is {dtype} where the run asks for {self.dtype}{labels}")
        return np.asarray(got, dtype=np.float64)

    def needs(self, key: str, call: Callable):
        """call(), where `key` is a function the check goes through: its stub means "not checked"."""
        try:
            return call()
        except NotImplementedError as err:  # the stub it names (itself, or one it is called through)
            raise NotWritten(str(err) or key) from None

    def reference(self, case: Case) -> dict[str, np.ndarray]:
        """Every quantity of the float64 reference on `case` (measure.py), 1 and STEPS steps: what a function
        is judged against, and what the rounding model predicts its tolerance from."""
        if id(case) not in self._references:  # the case is kept with it, so its id is not reused
            numpy = load_backend("numpy", case.spec, "eager", "float64")
            self._references[id(case)] = (case, measure(numpy, case, steps=(1, STEPS)))
        return self._references[id(case)][1]

    def judge(self, function: Function, case: Case, got: dict, where: str = "", ref: dict | None = None) -> Verdict:
        """`got` (quantities under the matrix's names) against the reference's, with judge.compare."""
        ref = {**self.reference(case), **(ref or {})}
        got = {
            k: np.asarray(self.get(v, k) if not isinstance(v, np.ndarray) else v, dtype=np.float64)
            for k, v in got.items()
        }
        for k, v in got.items():
            if v.shape != ref[k].shape:
                return Verdict(
                    function.key,
                    "wrong",
                    f"{where}{k} has shape {v.shape}; the reference's is {ref[k].shape}",
                    float("inf"),
                )
        rows = compare(got, ref, case, self.labels, "numpy/float64", only=set(got))
        bad = [r for r in rows if not r["passed"]]
        if not bad:
            return Verdict(function.key, "green")
        worst = max(bad, key=lambda r: r["max_rel_err"] / max(r["tolerance"], 1e-300))
        what = f"{worst['quantity']}: {worst['max_rel_err']:.2e} > {worst['tolerance']:.2e}"
        if worst["quantity"] == "predictions":  # labels, not a relative error
            what = f"predictions: {label_difference(got['predictions'], ref['predictions'])}"
        elif not worst["in_dtype"]:
            what = f"{worst['quantity']}: not {self.dtype} numbers (computed in another precision)"
        elif not np.all(np.isfinite(value := got[worst["quantity"]])):
            bad = value[~np.isfinite(value)]
            what = (
                f"{worst['quantity']}: {bad.size} of {value.size} {'is' if bad.size == 1 else 'are'} "
                f"{' or '.join(sorted(set(map(str, bad.tolist()))))} where the reference's are finite"
            )
        return Verdict(function.key, "wrong", f"{where}{what}", worst["max_rel_err"], worst["tolerance"])

    def get_all(self, values: dict) -> dict:
        return {k: self.get(v, k) for k, v in values.items()}

    def flat(self, values: dict, like: dict) -> np.ndarray:
        """The port's parameters (or gradients) as one vector, after checking their names and shapes against the
        reference's `like` (flattening alone would hide a b of shape (1,) where the course keeps (1, 1))."""
        got = self.get_all(values)
        if sorted(got) != sorted(like):
            raise WrongResult(f"returns {sorted(got)} where the reference has {sorted(like)}")
        for k, v in got.items():
            if v.shape != np.shape(like[k]):
                raise WrongResult(f"{k} has shape {v.shape}; the reference's is {np.shape(like[k])}")
        return flatten(got)


def replay(name: str, mode: str, dtype: str, device: str, case: Case) -> list[dict]:
    """Checker.replay: the verdict rows of each course function of `case`'s model on that case."""
    return Checker(name, mode, dtype, device).replay(case)


def check_functions(name: str, mode: str, dtype: str, device: str, only: tuple[str, ...] | None = None) -> list[dict]:
    """The verdict rows of every course function of one target (its mode-taking ones, when not eager), or of
    those keyed in `only` (a key as FUNCTIONS names it: "L_model_forward", "logistic.propagate")."""
    return Checker(name, mode, dtype, device).run(only)
