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
printed test cases in tests/test_course_calls.py; here the reference is the judge, so it has no rows.
"""

import ast
import copy
import functools
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reference_numpy import activations as ref_activations
from reference_numpy import deep as ref_deep
from reference_numpy import logistic as ref_logistic
from reference_numpy.activations import HIDDEN_ACTIVATIONS

from ..core.backends import load_backend
from ..core.registry import PACKAGES
from ..core.spec import ModelSpec
from . import printed
from .cases import Case, make_case
from .judge import compare, label_difference
from .measure import exception_line, flatten, measure, port_frames
from .probes import cost_probe, derivative_probe, with_biases

STEPS = 10  # the training functions run this many steps (record_every 1, then RECORD_EVERY)
RECORD_EVERY = 4  # not a divisor of STEPS - 1: a loop that records its last iteration whatever it is asked fails


@dataclass(frozen=True)
class Function:
    """A function of the course's API: its module in the port, the functions it calls (a failure that
    follows from theirs is named so), whether the port may leave it out, and whether it takes a mode."""

    name: str
    module: str  # "arrays", "deep" or "logistic"
    calls: tuple[str, ...] = ()
    moded: bool = False  # takes mode=: checked in every mode, the others in eager only

    @property
    def key(self) -> str:
        return f"logistic.{self.name}" if self.module == "logistic" else self.name


ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
# bottom-up: a function comes after every function it calls
FUNCTIONS = (
    Function("from_numpy", "arrays"),  # every other check goes through these two
    Function("to_numpy", "arrays", ("from_numpy",)),
    Function("resolve_device", "arrays"),
    Function("sync", "arrays", ("from_numpy",)),
    *(Function(a, "deep") for a in ACTIVATIONS),
    Function("linear_forward", "deep"),
    Function("linear_activation_forward", "deep", ("linear_forward", *ACTIVATIONS)),
    Function("L_model_forward", "deep", ("linear_activation_forward",)),
    Function("compute_cost", "deep"),
    Function("compute_cost_from_logits", "deep"),
    Function("L_model_grads", "deep", ("L_model_forward", "compute_cost_from_logits", *ACTIVATIONS)),
    Function("update_parameters", "deep"),
    Function("train_step", "deep", ("L_model_grads", "update_parameters")),
    Function("predict", "deep", ("L_model_forward",)),
    Function("L_layer_model", "deep", ("train_step",), moded=True),
    Function("propagate", "logistic", ("compute_cost_from_logits",)),
    Function("train_step", "logistic", ("logistic.propagate",)),
    Function("optimize", "logistic", ("logistic.train_step",), moded=True),
    Function("predict", "logistic"),
    Function("model", "logistic", ("logistic.optimize", "logistic.predict"), moded=True),
)
BY_KEY = {f.key: f for f in FUNCTIONS}
# a port's helpers that are not functions of the course's API: the course functions a bug in them shows in
HELPERS = {
    "make_train_step": ("train_step", "L_layer_model"),
    "make_train_loop": ("L_layer_model",),
    "autograd_leaves": ("L_model_grads", "logistic.propagate"),
    "_loss": ("compute_cost_from_logits",),
    "LEAKY_RELU_SLOPE": ("leaky_relu",),
    "log_sigmoid": ("compute_cost_from_logits",),
    "exp": ("sigmoid", "compute_cost_from_logits"),
}
# in logistic.py the same helpers serve the logistic functions: what each deep function above is there
LOGISTIC_COUNTERPARTS = {
    "train_step": "logistic.train_step",
    "L_layer_model": "logistic.optimize",
    "L_model_grads": "logistic.propagate",
}


def helper_homes(module: str, name: str) -> tuple[str, ...]:
    """The course functions a bug in the helper `name` of a port's deep.py or logistic.py shows in (HELPERS;
    in logistic.py, their logistic counterparts: its make_train_step serves logistic.train_step); () for a
    name that is no helper."""
    homes = HELPERS.get(name, ())
    if module == "logistic":
        homes = tuple(dict.fromkeys(LOGISTIC_COUNTERPARTS.get(h, h) for h in homes))
    return homes


def course_function(filename: str, name: str, line: int = 0) -> str | None:
    """The course function a frame of a port's file belongs to (arrays.py, deep.py, logistic.py; a lambda of
    the ACTIVATIONS dict is its activation), what a helper shows in, or None (a module of the framework)."""
    stem = filename.rsplit("/", 1)[-1].removesuffix(".py")
    if name == "<lambda>" and stem == "deep":
        return _dict_key(filename, line)
    key = f"logistic.{name}" if stem == "logistic" else name if stem in ("deep", "arrays") else None
    if key in BY_KEY:
        return key
    homes = helper_homes(stem, name) if stem in ("deep", "logistic") else ()
    return homes[0] if homes else None


@functools.cache
def _dict_keys(filename: str) -> tuple[tuple[int, int, str], ...]:
    """(first line, last line, key) of each entry of the file's dicts whose keys are course functions."""
    try:
        tree = ast.parse(Path(filename).read_text())
    except (OSError, SyntaxError):
        return ()
    return tuple(
        (v.lineno, v.end_lineno or v.lineno, k.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for k, v in zip(node.keys, node.values, strict=True)
        if isinstance(k, ast.Constant) and k.value in BY_KEY
    )


def _dict_key(filename: str, line: int) -> str | None:
    return next((key for first, last, key in _dict_keys(filename) if first <= line <= last), None)


ARRAYS = ("from_numpy", "to_numpy")
# what a derivative is read through besides L_model_grads: a failure there explains the derivative's
THROUGH_GRADS = ("linear_forward", "linear_activation_forward", "L_model_forward", "compute_cost_from_logits")
MODULES = ("arrays", "logistic", "deep")


class NotWritten(Exception):
    """A function this check needs raised NotImplementedError."""


class WrongResult(Exception):
    """A function returned what no tolerance can judge: floats of another dtype than the run's, an array of
    another shape than the reference's."""


@dataclass
class Verdict:
    function: str
    status: str  # green, wrong, not written yet, raised, not checked
    detail: str = ""  # what is wrong, where and how far; the exception's last line
    max_rel_err: float = 0.0
    tolerance: float = 0.0
    via: tuple[str, ...] = ()  # other functions the failing check went through (a derivative: the forward)

    def worse(self, other: "Verdict") -> "Verdict":
        rank = ["green", "not checked", "wrong", "raised", "not written yet"]
        return other if rank.index(other.status) > rank.index(self.status) else self


class Checker:
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
        for function in FUNCTIONS:
            if (
                (self.mode != "eager" and not function.moded and not every_mode)
                or (self.only is not None and function.key not in self.only)
                or (keys is not None and function.key not in keys)
            ):
                continue
            if function.module == "arrays":
                if not hasattr(getattr(self.backend, "arrays", None), function.name):
                    continue  # the reference has no boundary; the built-in three's clocks wait in core/frameworks.py
                check, cases = getattr(self, f"check_arrays_{function.name}"), [logistic_case]
            elif function.name in ACTIVATIONS:
                check, cases = self.check_activation, [deep_cases[function.name]]  # on its own probe
            else:
                check = getattr(self, f"check_{function.module}_{function.name}")
                cases = (
                    [logistic_case]
                    if function.module == "logistic"
                    else list({id(c): c for c in deep_cases.values()}.values())
                )
            verdict = Verdict(function.key, "green")
            for case in cases:
                verdict = verdict.worse(self.attempt(function, check, case))
                if verdict.status in ("not written yet", "raised"):
                    break
            self.verdicts[function.key] = verdict

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

    # --- arrays -------------------------------------------------------------------------------------
    def arrays_cases(self, case: Case) -> list[tuple[str, object]]:
        """What the boundary is given: a matrix, m = 1, a (1, 1) and a (1, m) array, and a dict of them."""
        X = case.X
        shapes = {"an array": X[:, :5], "m = 1": X[:, :1], "a (1, 1) array": X[:1, :1], "a (1, m) array": X[:1, :]}
        return [*shapes.items(), ("a dict", {"W1": X[:, :3].T.copy(), "b1": X[:3, :1].copy()})]

    def check_arrays_from_numpy(self, function: Function, case: Case) -> Verdict:
        """Each input as the framework's arrays of exactly the run's dtype, the same shape and the same values
        (read with np.asarray, not through to_numpy, which has its own check)."""
        other = "float64" if self.dtype == "float32" else "float32"
        for what, given in self.arrays_cases(case):
            made = self.backend.arrays.from_numpy(copy.deepcopy(given), self.dtype, self.device)
            pairs = (
                [(None, given, made)]
                if not isinstance(given, dict)
                else [(k, v, made.get(k) if isinstance(made, dict) else None) for k, v in given.items()]
            )
            for key, want, got in pairs:
                name = f"{what} ({key})" if key else what
                if got is None:
                    return Verdict(function.key, "wrong", f"from_numpy of {what} gives no {key!r}", float("inf"))
                text = str(getattr(got, "dtype", ""))
                if other in text or (self.dtype not in text and text):
                    return Verdict(
                        function.key, "wrong", f"from_numpy of {name} in {self.dtype} makes {text} arrays", float("inf")
                    )
                shape = tuple(int(n) for n in getattr(got, "shape", np.shape(want)))
                if shape != want.shape:
                    return Verdict(
                        function.key, "wrong", f"from_numpy of {name} {want.shape} makes shape {shape}", float("inf")
                    )
                try:
                    values = np.asarray(got, dtype=np.float64)
                except Exception:  # a framework whose arrays NumPy cannot read: its dtype and shape are checked
                    continue
                if not np.array_equal(values, want.astype(self.dtype).astype(np.float64)):
                    return Verdict(function.key, "wrong", f"from_numpy of {name} changes its values", float("inf"))
        x = np.array(self.arrays_cases(case)[0][1], dtype=self.dtype)  # a copy of the caller's, not a view of it
        made = self.backend.arrays.from_numpy(x, self.dtype, self.device)
        x[...] = np.nan
        try:
            shared = bool(np.isnan(np.asarray(made, dtype=np.float64)).any())  # read by NumPy, not by to_numpy
        except Exception:  # a framework whose arrays NumPy cannot read
            shared = False
        if shared:
            return Verdict(
                function.key,
                "wrong",
                "from_numpy shares memory with the caller's NumPy array: changing "
                "the array afterwards changes the framework's (it must copy)",
                float("inf"),
            )
        return Verdict(function.key, "green")

    def check_arrays_to_numpy(self, function: Function, case: Case) -> Verdict:
        """to_numpy(from_numpy(x)) is x: a NumPy array of the run's dtype, its shape and values (a dict a dict)."""
        arrays = self.backend.arrays
        for what, given in self.arrays_cases(case):
            back = arrays.to_numpy(arrays.from_numpy(copy.deepcopy(given), self.dtype, self.device))
            pairs = (
                [(None, given, back)]
                if not isinstance(given, dict)
                else [(k, v, back.get(k) if isinstance(back, dict) else None) for k, v in given.items()]
            )
            for key, want, got in pairs:
                name = f"{what} ({key})" if key else what
                if not isinstance(got, np.ndarray):
                    return Verdict(
                        function.key,
                        "wrong",
                        f"to_numpy of {name} gives {type(got).__name__}, not a NumPy array",
                        float("inf"),
                    )
                if got.dtype != self.dtype:
                    return Verdict(
                        function.key, "wrong", f"to_numpy of {name} in {self.dtype} gives {got.dtype}", float("inf")
                    )
                if got.shape != want.shape or not np.array_equal(got, want.astype(self.dtype)):
                    return Verdict(
                        function.key,
                        "wrong",
                        f"to_numpy(from_numpy(x)) is not x for {name} of {want.shape} in {self.dtype}",
                        float("inf"),
                    )
        return Verdict(function.key, "green")

    def check_arrays_resolve_device(self, function: Function, case: Case) -> Verdict:
        """A device for "cpu"; for "gpu" a device or RuntimeError with the reason (never another exception)."""
        self.backend.arrays.resolve_device("cpu")
        try:
            self.backend.arrays.resolve_device("gpu")
        except RuntimeError:
            pass
        return Verdict(function.key, "green")

    def check_arrays_sync(self, function: Function, case: Case) -> Verdict:
        """Returns (having waited) for an array and for a dict of them."""
        for _, given in self.arrays_cases(case)[::4]:
            self.backend.arrays.sync(self.backend.arrays.from_numpy(copy.deepcopy(given), self.dtype, self.device))
        return Verdict(function.key, "green")

    # --- deep ---------------------------------------------------------------------------------------
    def check_activation(self, function: Function, case: Case) -> Verdict:
        """The value on the z grid, then the derivative its backward uses there (derivative_probe)."""
        probe = derivative_probe(function.name, self.dtype)
        g = self.backend.deep.ACTIVATIONS[function.name]
        value = self.judge(function, probe, {"A1": g(self.put(probe.params["W1"]))}, "value ")
        if value.status != "green":
            return value
        value = self.entrywise(function, probe.params["W1"], self.get(g(self.put(probe.params["W1"])), "A1"))
        if value.status != "green":
            return value
        try:
            grads, _ = self.needs(
                "L_model_grads",
                lambda: self.backend.deep.L_model_grads(
                    self.put(probe.params), *self.put([probe.X, probe.Y]), function.name
                ),
            )
            dW1, want = self.get(grads["dW1"], "dW1"), self.reference(probe)["dW1"]
        except (NotWritten, NotImplementedError, WrongResult):
            raise
        except Exception as err:  # read through L_model_grads: its raise (a gradient that never came) is seen here
            line = exception_line(err, self.package)
            return Verdict(function.key, "raised", f"derivative: {line}", float("inf"), via=("L_model_grads",))
        verdict = self.judge(function, probe, {"dW1": dW1}, "derivative ")
        verdict.via = THROUGH_GRADS
        if verdict.status == "wrong" and dW1.shape == want.shape:
            factor = probe.params["W2"][0][:, None] * (self.reference(probe)["AL"] - probe.Y) / probe.X.shape[1]
            bad = ~np.isfinite(dW1)
            if bad.any():  # a whole row: its sizes of z
                zs = sorted(set(probe.params["W1"][bad].tolist()))
                verdict.detail = f"derivative is {dW1[bad][0]} at z in {{{', '.join(f'{z:g}' for z in zs)}}}"
            else:
                i, j = np.unravel_index(np.argmax(np.abs(dW1 - want)), dW1.shape)
                verdict.detail = (
                    f"derivative at z = {probe.params['W1'][i, j]:g}: {dW1[i, j] / factor[i, j]:.6g} "
                    f"where the reference has {want[i, j] / factor[i, j]:.6g}"
                )
        return verdict

    def entrywise(self, function: Function, z: np.ndarray, got: np.ndarray) -> Verdict:
        """An activation's value at each z of the grid against its own size: tiny ones too (sigmoid(-50) is 2e-22,
        which a normwise comparison beside values of 1 cannot see: 1 - 1 / (1 + e^z) gives 0 there). Allowed: the
        rounding of z through the slope, |g'(z) z| u, and of the value, |g(z)| u, 16 times over; below the dtype's
        smallest normal number, that number (a subnormal result is exact to it only)."""
        dtype = np.dtype(self.dtype)
        z_in = z.astype(dtype).astype(np.float64)  # what the port was given
        ref, slope = ref_activations.FORWARD[function.name](z_in)[0], _slope(function.name, z_in)
        u, tiny = float(np.finfo(dtype).eps) / 2, float(np.finfo(dtype).tiny)
        allowed = 16 * u * (np.abs(ref) + np.abs(slope * z_in)) + 16 * tiny
        bad = np.abs(np.asarray(got, dtype=np.float64) - ref) > allowed
        if not bad.any():
            return Verdict(function.key, "green")
        i = np.unravel_index(np.argmax(np.abs(got - ref) / allowed), ref.shape)
        detail = f"value at z = {z_in[i]:g}: {got[i]:.6g} where the reference has {ref[i]:.6g}"
        detail += f" (wrong at {int(bad.sum())} of the {bad.size} z of the grid)"
        return Verdict(function.key, "wrong", detail, float(np.max(np.abs(got - ref) / np.maximum(np.abs(ref), tiny))))

    def check_deep_linear_forward(self, function: Function, case: Case) -> Verdict:
        _, caches = ref_deep.L_model_forward(case.X, case.params, case.spec.hidden_activation)
        verdict = Verdict(function.key, "green")
        for l, ((A_prev, W, b), _) in enumerate(caches, start=1):
            got = self.backend.deep.linear_forward(*self.put([A_prev, W, b]))
            verdict = verdict.worse(self.judge(function, case, {f"Z{l}": got}, f"layer {l}: "))
        return verdict if verdict.status != "green" else self.gradients_through(function, case, rebuilt_linear_forward)

    def check_deep_linear_activation_forward(self, function: Function, case: Case) -> Verdict:
        act = case.spec.hidden_activation
        _, caches = ref_deep.L_model_forward(case.X, case.params, act)
        verdict, L = Verdict(function.key, "green"), len(caches)
        for l, ((A_prev, W, b), _) in enumerate(caches, start=1):
            activation = act if l < L else "sigmoid"
            A, cache = self.backend.deep.linear_activation_forward(*self.put([A_prev, W, b]), activation)
            got = {f"A{l}" if l < L else "AL": A, f"Z{l}": cache[1]}
            found = self.judge(function, case, got, f"layer {l} ({activation}): ")
            if found.status == "wrong" and f": Z{l}" in found.detail:
                found.detail += " (the cache's second entry is Z, the pre-activation)"
            verdict = verdict.worse(found)
        if verdict.status != "green":
            return verdict
        return self.gradients_through(function, case, rebuilt_linear_activation_forward(self.backend.deep))

    def check_deep_L_model_forward(self, function: Function, case: Case) -> Verdict:
        """On the case, and (on the ReLU net) on one of 11 layers: a loop over sorted keys takes W10 before W2."""
        verdict = Verdict(function.key, "green")
        for c in [case, *([many_layers(case)] if case.spec.hidden_activation == "relu" else [])]:
            act = c.spec.hidden_activation
            AL, caches = self.backend.deep.L_model_forward(self.put(c.X), self.put(c.params), act)
            got = {"AL": AL}
            for l, (_, Z) in enumerate(caches, start=1):
                got[f"Z{l}"] = Z
                if l < len(caches):
                    got[f"A{l}"] = caches[l][0][0]  # A[l] is the next layer's A_prev
            verdict = verdict.worse(self.judge(function, c, got, f"{act} net of {c.spec.L} layers: "))
        if verdict.status != "green":
            return verdict
        return self.gradients_through(function, case, rebuilt_L_model_forward(self.backend.deep))

    def gradients_through(self, function: Function, case: Case, rebuilt: Callable) -> Verdict:
        """A forward function whose values are right can still stop the gradients through it (its cache detached
        or under stop_gradient, an operation autodiff does not see through). When L_model_grads is wrong as
        written, it runs again with this function rebuilt from the port's other parts (`rebuilt`, put in the
        port's module for the call): right then, this function is the one that breaks its gradients."""
        act, module = case.spec.hidden_activation, self.backend.deep
        keys = list(self.ref_grads(case))

        def grads() -> Verdict:
            found, cost = module.L_model_grads(self.put(case.params), *self.put([case.X, case.Y]), act)
            if any(k not in found for k in keys):
                return Verdict(function.key, "not checked")
            return self.judge(BY_KEY["L_model_grads"], case, {**{k: found[k] for k in keys}, "cost": cost})

        def attempt() -> Verdict:
            try:
                return grads()
            except Exception as err:  # a gradient autodiff never produced (None) fails on its way out
                return Verdict(function.key, "raised", exception_line(err), float("inf"))

        written = attempt()
        if written.status not in ("wrong", "raised"):
            return Verdict(function.key, "green")
        real = getattr(module, function.name)
        setattr(module, function.name, rebuilt)
        try:
            again = attempt()
        finally:
            setattr(module, function.name, real)
        if again.status != "green":  # L_model_grads's own failure, or not this function's: their checks name them
            return Verdict(function.key, "green")
        return Verdict(
            function.key,
            "wrong",
            f"{act} net: its values are right, but gradients do not flow through it: L_model_grads fails "
            f"through it ({written.detail}) and right with {function.name} rebuilt from {rebuilt.__doc__}",
            written.max_rel_err,
            written.tolerance,
        )

    def check_deep_compute_cost(self, function: Function, case: Case) -> Verdict:
        """On the case, and (on the ReLU net) on a second m: a cost that kept the first m it saw divides by it. Not
        on a case whose AL rounds to 0 or 1 in the run's dtype (a replay of a saturated case), where the course's
        formula is log(0) by design."""
        verdict = Verdict(function.key, "green")
        others = [another_m(case)] if case.spec.hidden_activation == "relu" else []
        for c in (case, *others):
            AL = self.reference(c)["AL"]
            if np.isin(AL.astype(self.dtype), (0.0, 1.0)).any():  # a saturated case's replay: the course's formula
                verdict.detail = f"not judged at m = {c.m}: AL rounds to 0 or 1 there, where the course's formula is "
                verdict.detail += "log(0) by design (compute_cost_from_logits is judged there)"
                continue
            got = self.backend.deep.compute_cost(*self.put([AL, c.Y]))
            verdict = verdict.worse(self.judge(function, c, {"course_cost": got}, f"m = {c.m}: "))
        return verdict

    def check_deep_compute_cost_from_logits(self, function: Function, case: Case) -> Verdict:
        """On the case's logits, and on the probe's, which are confident and wrong: large losses that a loss
        taken through sigmoid(z) loses to log(0)."""
        verdict = Verdict(function.key, "green")
        for c in (case, derivative_probe(case.spec.hidden_activation, self.dtype)):
            ZL = self.reference(c)[f"Z{c.spec.L}"]
            got = self.backend.deep.compute_cost_from_logits(*self.put([ZL, c.Y]))
            verdict = verdict.worse(self.judge(function, c, {"cost": got}, f"{c.name or 'the case'}: "))
        return verdict if verdict.status != "green" else self.cost_derivative(function)

    def cost_derivative(self, function: Function) -> Verdict:
        """The derivative in the logits that the port's backward takes of its cost, read from L_model_grads on
        the cost probe (probes.cost_probe: dW1 = (sigmoid(z) - y) / m), for a cost whose value is right: autodiff
        through the reference's stable formula (max, abs) is wrong where z = 0, a loss through sigmoid(z)
        overflows at large |z|. It is the cost's only where the evidence says the backward took this cost's
        derivative faithfully: the cost L_model_grads returns is the port's own compute_cost_from_logits of the
        same logits, the derivative is wrong at some z but not wherever it is not 0 (a dW scaled is the
        backward's), and the same logits reached through X = 2I give exactly twice the dW1 (an error that
        depends on W or X, a weight decay say, is the backward's). Otherwise, or if L_model_grads is not
        written or raises, it says nothing of the cost: L_model_grads's own check has it."""
        probe, green = cost_probe(self.dtype), Verdict(function.key, "green")
        doubled = {**probe.params, "W1": probe.params["W1"] / 2}  # ZL = (z / 2) (2 I) = z, exactly
        deep = self.backend.deep
        try:
            grads, cost = deep.L_model_grads(self.put(probe.params), *self.put([probe.X, probe.Y]), "relu")
            dW1 = self.get(grads["dW1"], "dW1")
            twice = self.get(deep.L_model_grads(self.put(doubled), *self.put([2 * probe.X, probe.Y]), "relu")[0]["dW1"])
            own = self.get(deep.compute_cost_from_logits(*self.put([probe.params["W1"], probe.Y])), "cost")
            cost = self.get(cost, "cost")
        except Exception:  # a stub, a raise or a wrong dtype of L_model_grads: its own check's verdict
            return green
        want = self.reference(probe)["dW1"]
        found = self.judge(function, probe, {"dW1": dW1}, "derivative in the logits ")
        if found.status != "wrong" or dW1.shape != want.shape or twice.shape != dW1.shape:
            return green
        floor = found.tolerance * np.max(np.abs(want))
        with np.errstate(invalid="ignore"):
            bad = ~(np.abs(dW1 - want) <= floor)
            scales = np.allclose(twice, 2 * dW1, rtol=8 * np.finfo(self.dtype).eps, atol=0.0, equal_nan=True)
        same_cost = np.isfinite(cost) and np.isclose(cost, own, rtol=16 * np.finfo(self.dtype).eps, atol=0.0)
        if not same_cost or not scales or bad[np.abs(want) > floor].all():
            return green
        j = int(np.argmax(bad[0]))
        z, y, m = probe.params["W1"][0, j], probe.Y[0, j], probe.m
        found.detail = (
            f"its derivative in the logits at z = {z:g}, y = {y:g} is {dW1[0, j] * m:.6g} where the "
            f"reference has {want[0, j] * m:.6g} (sigmoid(z) - y; read through L_model_grads, wrong at "
            f"{int(bad.sum())} of {bad.size} points)"
        )
        found.via = ("linear_forward", "L_model_forward")
        return found

    def ref_grads(self, case: Case) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.reference(case).items() if k.startswith(("dW", "db"))}

    def check_deep_L_model_grads(self, function: Function, case: Case) -> Verdict:
        """The gradients and the cost; then the same call again on the same arrays, which must give the same (a
        gradient that accumulates on the caller's arrays, or state kept between calls, gives another)."""
        act = case.spec.hidden_activation
        args = [self.put(case.params), *self.put([case.X, case.Y]), act]
        grads, cost = self.backend.deep.L_model_grads(*args)
        missing = [k for k in self.ref_grads(case) if k not in grads]
        if missing:
            return Verdict(function.key, "wrong", f"{act} net: no {', '.join(missing)} among {sorted(grads)}", np.inf)
        got = {**{k: grads[k] for k in self.ref_grads(case)}, "cost": cost}
        return self.judge(function, case, got, f"{act} net: ").worse(
            self.same_again(function, got, lambda: self.backend.deep.L_model_grads(*args), f"{act} net: ")
        )

    def same_again(self, function: Function, first: dict, call: Callable, where: str = "") -> Verdict:
        """call() once more on the arguments of the first: the course's functions keep no state between calls."""
        before = {k: np.array(self.get(v, k)) for k, v in first.items()}  # now: the second call may change the first's
        grads, cost = call()
        again = {**{k: grads.get(k) for k in first if k != "cost"}, "cost": cost}
        for key in first:
            a, b = before[key], (None if again[key] is None else self.get(again[key], key))
            if b is None or a.shape != np.shape(b) or not np.array_equal(a, b, equal_nan=True):
                why = "state is kept between calls (gradients accumulated on the caller's arrays?)"
                return Verdict(
                    function.key, "wrong", f"{where}called again on the same arrays, {key} differs: {why}", float("inf")
                )
        return Verdict(function.key, "green")

    def check_deep_update_parameters(self, function: Function, case: Case) -> Verdict:
        new = self.backend.deep.update_parameters(
            self.put(case.params), self.put(self.ref_grads(case)), case.learning_rate
        )
        return self.judge(function, case, {"params@1": self.flat(new, case.params)})

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

    def check_deep_train_step(self, function: Function, case: Case) -> Verdict:
        act = case.spec.hidden_activation
        new, cost = self.backend.deep.train_step(
            self.put(case.params), *self.put([case.X, case.Y]), case.learning_rate, act
        )
        return self.judge(function, case, {"params@1": self.flat(new, case.params), "cost": cost}, f"{act} net: ")

    def check_deep_predict(self, function: Function, case: Case) -> Verdict:
        """On the case; with the last layer zero, where AL = 1/2 exactly and the course predicts 0; and on 4001
        samples with b[L] moved to the middle of their logits, where dozens of labels sit within a few
        thousandths of the boundary: products rounded coarser than the dtype (mixed precision, bfloat16) flip
        some of them, where the dtype's own rounding reaches none."""
        act, L = case.spec.hidden_activation, case.spec.L
        half = {**case.params, f"W{L}": np.zeros_like(case.params[f"W{L}"]), f"b{L}": np.zeros((1, 1))}
        verdict = Verdict(function.key, "green")
        for c in (case, Case(case.spec, case.X, case.Y, half, case.learning_rate, name="AL = 1/2"), middle(case)):
            got = self.backend.deep.predict(self.put(c.X), self.put(c.params), act)
            verdict = verdict.worse(self.judge(function, c, {"predictions": got}, f"{act} net, {c.name}: "))
        return verdict

    def recorded(self, function: Function, case: Case, train: Callable[[int], tuple], where: str) -> Verdict:
        """A training function's STEPS steps recording every cost, judged against the reference; then recording
        every RECORD_EVERY-th: the costs at 0, 4 and 8 of that same run, and not the last, 9 (record_every is the
        function's to honour, whatever it compiles)."""
        every_step = train(1)
        got = {
            f"params@{STEPS}": self.flat(every_step[0], case.params),
            f"cost@{STEPS}": np.array(every_step[1], float),
        }
        verdict = self.judge(function, case, {**got, **every_step[2]}, where)
        if verdict.status != "green":
            return verdict
        costs = np.array(train(RECORD_EVERY)[1], dtype=float)
        want = got[f"cost@{STEPS}"][::RECORD_EVERY]
        if costs.shape != want.shape or not np.allclose(costs, want, rtol=1e-6 if self.dtype == "float32" else 1e-12):
            at = ", ".join(map(str, range(0, STEPS, RECORD_EVERY)))
            return Verdict(
                function.key,
                "wrong",
                f"{where}record_every {RECORD_EVERY} recorded "
                f"{np.round(costs, 6).tolist()}; the costs at iterations {at} of the same run are "
                f"{np.round(want, 6).tolist()}",
                float("inf"),
            )
        return verdict.worse(self.reference_records(function, case))

    def reference_records(self, function: Function, case: Case) -> Verdict:
        """The judge's own record_every: the reference's L_layer_model or optimize recording every RECORD_EVERY-th
        cost must give the reference's costs at 0, 4, 8 (the matrix trains it one step at a time, so nothing else
        reads its record_every), and the lines it prints must be the course's (printed.py); a reference that does
        not fails every backend's row, saying so."""
        p = case.params
        if function.module == "logistic":
            costs = ref_logistic.optimize(
                p["w"], p["b"], case.X, case.Y, STEPS, case.learning_rate, record_every=RECORD_EVERY
            )[2]
        else:
            costs = ref_deep.L_layer_model(
                case.X,
                case.Y,
                list(case.spec.layer_dims),
                case.learning_rate,
                STEPS,
                hidden_activation=case.spec.hidden_activation,
                parameters=p,
                record_every=RECORD_EVERY,
            )[1]
        want = self.reference(case)[f"cost@{STEPS}"][::RECORD_EVERY]
        costs = np.array(costs, dtype=float)
        if costs.shape != want.shape or not np.allclose(costs, want, rtol=1e-12, atol=0):
            return Verdict(
                function.key,
                "wrong",
                f"the reference's {function.name} with record_every {RECORD_EVERY} "
                f"recorded {np.round(costs, 6).tolist()}; its costs at 0, 4, 8 are "
                f"{np.round(want, 6).tolist()}",
                float("inf"),
            )
        difference = printed.difference(function.name)  # and what it prints, line by line as the course does
        if difference:
            return Verdict(function.key, "wrong", difference, float("inf"))
        return Verdict(function.key, "green")

    def check_deep_L_layer_model(self, function: Function, case: Case) -> Verdict:
        """Each hidden activation (a compiled loop that lost it fails), and on the ReLU net a second m with
        the same layers and rate (a compiled program kept for the first m it saw fails)."""
        act = case.spec.hidden_activation
        verdict = Verdict(function.key, "green")
        for c in [case, *([another_m(case)] if act == "relu" else [])]:

            def train(every: int, c: Case = c) -> tuple:
                params, costs = self.backend.deep.L_layer_model(
                    *self.put([c.X, c.Y]),
                    self.put(c.params),
                    c.learning_rate,
                    STEPS,
                    hidden_activation=act,
                    mode=self.mode,
                    record_every=every,
                )
                return params, costs, {}

            verdict = verdict.worse(self.recorded(function, c, train, f"{act} net, m = {c.m}, {self.mode}: "))
        return verdict

    # --- logistic regression ------------------------------------------------------------------------
    def wbXY(self, case: Case) -> list:
        return self.put([case.params["w"], case.params["b"], case.X, case.Y])

    def check_logistic_propagate(self, function: Function, case: Case) -> Verdict:
        """With the case's (1, 1) b, twice on the same arrays; then with b a Python float, as the course's
        initialize_with_zeros gives it (db then a 0-d number of the run's dtype, as the reference's)."""
        args = self.wbXY(case)
        grads, cost = self.backend.logistic.propagate(*args)
        got = {"dw": grads["dw"], "db": grads["db"], "cost": cost}
        verdict = self.judge(function, case, got).worse(
            self.same_again(function, got, lambda: self.backend.logistic.propagate(*args))
        )
        return verdict if verdict.status != "green" else self.with_float_b(function, case)

    def with_float_b(self, function: Function, case: Case) -> Verdict:
        """propagate with b a Python float, against the reference's own call with that b."""
        w, X, Y, b = case.params["w"], case.X, case.Y, float(case.params["b"][0, 0])
        want, want_cost = ref_logistic.propagate(w, b, X, Y)
        grads, cost = self.backend.logistic.propagate(*self.put([w]), b, *self.put([X, Y]))
        ref = {"dw": want["dw"], "db": np.asarray(want["db"], dtype=np.float64), "cost": np.asarray(want_cost)}
        return self.judge(
            function, case, {"dw": grads["dw"], "db": grads["db"], "cost": cost}, "b a Python float: ", ref=ref
        )

    def check_logistic_train_step(self, function: Function, case: Case) -> Verdict:
        w, b, cost = self.backend.logistic.train_step(*self.wbXY(case), case.learning_rate)
        params = self.flat({"w": w, "b": b}, case.params)
        return self.judge(function, case, {"params@1": params, "cost": cost})

    def check_logistic_optimize(self, function: Function, case: Case) -> Verdict:
        """On the case, then on a second m in the same process, as L_layer_model: a compiled step kept for the
        first m it saw (a shapeless compile with m baked in) divides by the old m."""
        verdict = Verdict(function.key, "green")
        for c in (case, another_m(case)):

            def train(every: int, c: Case = c) -> tuple:
                params, grads, costs = self.backend.logistic.optimize(
                    *self.wbXY(c), STEPS, c.learning_rate, mode=self.mode, record_every=every
                )
                return params, costs, {f"grads@{STEPS}": self.flat(grads, {f"d{k}": v for k, v in c.params.items()})}

            verdict = verdict.worse(self.recorded(function, c, train, f"m = {c.m}, {self.mode}: "))
        return verdict

    def check_logistic_predict(self, function: Function, case: Case) -> Verdict:
        """On the case, and with b moved to the middle of the logits w^T X: there every decision is b's to make
        (a predict that drops or flips b, or rounds the logits, is wrong on half the samples)."""
        logits = case.params["w"].T @ case.X
        middle = Case(
            case.spec,
            case.X,
            case.Y,
            {"w": case.params["w"], "b": -np.median(logits, keepdims=True)},
            case.learning_rate,
            name="b decides",
        )
        zeros = {"w": np.zeros_like(case.params["w"]), "b": np.zeros((1, 1))}  # AL = 1/2 exactly: the course says 0
        verdict = Verdict(function.key, "green")
        for c in (case, middle, Case(case.spec, case.X, case.Y, zeros, case.learning_rate, name="AL = 1/2")):
            got = self.backend.logistic.predict(*self.wbXY(c)[:3])
            verdict = verdict.worse(self.judge(function, c, {"predictions": got}, f"{c.name or 'the case'}: "))
        return verdict

    def accuracies_counted(self, function: Function, case: Case) -> Verdict:
        """With a test set of another size than the training set (its first m // 2 + 1 columns, labels flipped):
        each accuracy is the count of the port's own right predictions over that set's m, exactly (an accuracy
        over the other set's m, or a floor division, is not)."""
        X_test, Y_test = case.X[:, : case.m // 2 + 1], 1 - case.Y[:, : case.m // 2 + 1]
        out = self.backend.logistic.model(
            *self.put([case.X, case.Y, X_test, Y_test]), STEPS, case.learning_rate, mode=self.mode
        )
        for split, Y_ in (("train", case.Y), ("test", Y_test)):
            predictions = np.asarray(self.get(out[f"Y_prediction_{split}"], "predictions"), dtype=np.float64)
            if predictions.shape != Y_.shape:
                return Verdict(
                    function.key, "wrong", f"Y_prediction_{split} has shape {predictions.shape}, not {Y_.shape}"
                )
            right, m = int(np.sum(predictions == Y_)), Y_.shape[1]
            if float(out[f"{split}_accuracy"]) != right / m:
                return Verdict(
                    function.key,
                    "wrong",
                    f"{split}_accuracy is {float(out[f'{split}_accuracy'])!r} where its own predictions are right on "
                    f"{right} of {m} ({right / m!r}); the training set has m = {case.m}, the test set {m}",
                    float("inf"),
                )
        return Verdict(function.key, "green")

    def check_logistic_model(self, function: Function, case: Case) -> Verdict:
        """On the case and on a second m whose accuracies (k / m) no float32 holds exactly: an accuracy taken as a
        float32 mean is then off by float32's rounding, in a float64 run too."""
        verdict = Verdict(function.key, "green")
        for c in (case, another_m(case)):
            out = self.backend.logistic.model(
                *self.put([c.X, c.Y, c.X, 1 - c.Y]), STEPS, c.learning_rate, mode=self.mode
            )
            accuracy = np.array([float(out["train_accuracy"]), float(out["test_accuracy"])])
            got = {f"model@{STEPS}": self.flat({"w": out["w"], "b": out["b"]}, c.params), f"accuracy@{STEPS}": accuracy}
            verdict = verdict.worse(self.judge(function, c, got, f"m = {c.m}, {self.mode}: "))
        if verdict.status != "green":
            return verdict
        verdict = self.accuracies_counted(function, case)
        if verdict.status != "green":
            return verdict
        # the course's model takes a test set that may be None: then there is no test prediction and no accuracy
        out = self.backend.logistic.model(
            *self.put([case.X, case.Y]), None, None, STEPS, case.learning_rate, mode=self.mode
        )
        stood_in = {
            k: type(out.get(k)).__name__ for k in ("Y_prediction_test", "test_accuracy") if out.get(k) is not None
        }
        if stood_in:
            what = ", ".join(f"{k} a {t}" for k, t in stood_in.items())
            return Verdict(function.key, "wrong", f"without a test set (None, None): {what}, where the course has None")
        return verdict


def _slope(name: str, z: np.ndarray) -> np.ndarray:
    """g'(z) of an activation, from the reference's backward with dA = 1."""
    return ref_activations.BACKWARD[name](np.ones_like(z), z)


def rebuilt_linear_forward(A_prev, W, b):
    """W @ A_prev + b"""
    return W @ A_prev + b


def rebuilt_linear_activation_forward(deep) -> Callable:
    def linear_activation_forward(A_prev, W, b, activation):
        """the port's linear_forward and ACTIVATIONS"""
        Z = deep.linear_forward(A_prev, W, b)
        return deep.ACTIVATIONS[activation](Z), ((A_prev, W, b), Z)

    return linear_activation_forward


def rebuilt_L_model_forward(deep) -> Callable:
    def L_model_forward(X, parameters, hidden_activation="relu"):
        """the port's linear_activation_forward, layer by layer"""
        A, caches, L = X, [], len(parameters) // 2
        for l in range(1, L + 1):
            activation = hidden_activation if l < L else "sigmoid"
            A, cache = deep.linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activation)
            caches.append(cache)
        return A, caches

    return L_model_forward


def middle(case: Case, m: int = 4001) -> Case:
    """The case's net on m samples with b[L] at minus the median of W[L] A[L-1]: the logits spread around 0, one
    of them exactly 0 (AL = 1/2: the course predicts 0), the nearest others a few thousandths of their terms away."""
    wide = with_biases(make_case(case.spec, m=m, seed=10, kink=False))
    L = case.spec.L
    params = {**wide.params, f"b{L}": np.zeros((1, 1))}
    _, caches = ref_deep.L_model_forward(wide.X, params, case.spec.hidden_activation)
    params[f"b{L}"] = -np.median(caches[-1][1], keepdims=True).reshape(1, 1)  # caches[L-1] = (.., Z[L])
    return Case(case.spec, wide.X, wide.Y, params, case.learning_rate, name=f"b[L] at the median logit, m = {m}")


def another_m(case: Case) -> Case:
    """The case's model at a second m, m + 5 (not a power of two): what kept the first m it saw (a compiled
    program, a cost's 1/m) or counts over m as float32 holds only powers of two exactly shows there."""
    return make_case(case.spec, m=case.m + 5, seed=8)


def many_layers(case: Case) -> Case:
    """A net of 11 layers, as narrow as the case's first hidden layer allows: the layer numbers reach 10 and 11."""
    spec = ModelSpec("deep", (case.spec.layer_dims[0], *([3] * 10), 1), case.spec.hidden_activation)
    return with_biases(make_case(spec, m=case.m, seed=9))


def replay(name: str, mode: str, dtype: str, device: str, case: Case) -> list[dict]:
    """Checker.replay: the verdict rows of each course function of `case`'s model on that case."""
    return Checker(name, mode, dtype, device).replay(case)


def check_functions(name: str, mode: str, dtype: str, device: str, only: tuple[str, ...] | None = None) -> list[dict]:
    """The verdict rows of every course function of one target (its mode-taking ones, when not eager), or of
    those keyed in `only` (a key as FUNCTIONS names it: "L_model_forward", "logistic.propagate")."""
    return Checker(name, mode, dtype, device).run(only)
