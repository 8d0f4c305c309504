"""The course functions the check knows, and what a verdict on one is: the API (FUNCTIONS, each with
the functions it calls), the helpers of a port that show in them (HELPERS), the file and line a traceback names
mapped back to a course function (course_function), and Verdict."""

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

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
    "_check_hidden_activation": ("L_model_forward",),
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
