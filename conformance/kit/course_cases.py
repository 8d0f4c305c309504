"""The course's public test cases, as data: the inputs its notebooks build (their seeds and arrays) and the
values they print, for each function of the port's API. One source for two readers: tests/test_reference_course_calls.py
checks the NumPy reference against them, and the test `quartet new-backend` writes into a port
(template_course_test.py.txt) checks the port's own functions, one test per function, so a port's `pytest`
says `test_linear_forward FAILED` as the notebooks' checks do.

Each case gives float64 NumPy inputs (a port converts them with its arrays.from_numpy) and what its function
returns, in the port's API (impl_jax/'s: linear_forward returns Z; the reference also returns a cache).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference_numpy import activations, deep, logistic

ATOL = 5e-9  # the notebooks print 8 significant digits


@dataclass(frozen=True)
class CourseCase:
    """One notebook check: `function` of `module` ("deep" or "logistic") called with `inputs()` (the arrays
    in call order, then keyword options) returns what `expected` holds, within ATOL."""

    name: str  # the test's name: test_<name>
    module: str
    function: str
    inputs: Callable[[], tuple[list, dict]]
    expected: dict  # what of the result is checked: "value" (the whole result), or a key of a tuple or dict
    source: str = "the notebook prints"  # or, where the notebooks print nothing in this API, the reference's values


def _seeded(seed: int, *shapes: tuple[int, int]) -> list[np.ndarray]:
    rng = np.random.RandomState(seed)  # the notebook's np.random.seed(k): its printed values need this stream
    return [rng.randn(*shape) for shape in shapes]


W, B = np.array([[1.0], [2.0]]), np.array([[1.5]])  # the week-2 notebook's propagate and optimize case
X = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]])
Y = np.array([[1.0, 1.0, 0.0]])


def _deep_params() -> tuple[list, dict]:
    X6, *layers = _seeded(6, (5, 4), (4, 5), (4, 1), (3, 4), (3, 1), (1, 3), (1, 1))
    params = {f"{k}{l}": layers[2 * (l - 1) + (k == "b")] for l in (1, 2, 3) for k in ("W", "b")}
    return [X6, params], {}


def _parts(function: str, returned) -> dict[str, np.ndarray]:
    if function == "propagate":
        grads, cost = returned
        parts = {"dw": grads["dw"], "db": grads["db"], "cost": cost}
    elif function == "optimize":
        params, grads, _ = returned
        parts = {"w": params["w"], "b": params["b"], "dw": grads["dw"], "db": grads["db"]}
    elif function in ("linear_activation_forward", "L_model_forward"):
        parts = {"A" if function == "linear_activation_forward" else "AL": returned[0]}
    elif function in ("L_model_grads", "train_step"):
        values, cost = returned
        parts = {**{k: v for k, v in values.items() if not k.startswith("dA")}, "cost": cost}
    elif function == "update_parameters":
        parts = dict(returned)
    elif function == "L_layer_model":
        params, costs = returned
        parts = {**params, "costs": np.asarray(costs, dtype=np.float64)}
    else:
        parts = {"value": returned}
    return {k: np.asarray(v, dtype=np.float64) for k, v in parts.items()}


class ReferenceAsPort:
    """The NumPy reference under a port's API, for these cases: its linear_forward also returns a cache and
    its sigmoid (A, Z); this gives Z and A alone, as a port's do."""

    def __init__(self, module) -> None:
        self.module = module
        self.ACTIVATIONS = {"sigmoid": lambda Z: activations.sigmoid(Z)[0]}

    def __getattr__(self, name: str):
        function = getattr(self.module, name)
        if name == "linear_forward":
            return lambda *args: function(*args)[0]
        return function

    def L_model_grads(self, parameters, X, Y, hidden_activation="relu"):
        """The port's L_model_grads from the reference's forward and hand-written backward."""
        AL, caches = deep.L_model_forward(X, parameters, hidden_activation)
        grads = deep.L_model_backward(AL, Y, caches, hidden_activation, need_dA0=False)
        return grads, deep.compute_cost_from_logits(caches[-1][1], Y)

    def L_layer_model(
        self,
        X,
        Y,
        parameters,
        learning_rate=0.0075,
        num_iterations=3000,
        hidden_activation="relu",
        mode="eager",
        record_every=100,
    ):
        """The port's L_layer_model (from given parameters) as the reference's, which takes the layers' sizes."""
        dims = [X.shape[0], *(parameters[f"W{l}"].shape[0] for l in range(1, len(parameters) // 2 + 1))]
        return deep.L_layer_model(
            X,
            Y,
            dims,
            learning_rate,
            num_iterations,
            hidden_activation=hidden_activation,
            parameters=parameters,
            record_every=record_every,
        )


def reference(module: str) -> ReferenceAsPort:
    """The reference's "deep" or "logistic" module as a port's: course_cases.call(case, reference(case.module), ...)."""
    return ReferenceAsPort({"deep": deep, "logistic": logistic}[module])


def _training(function: str) -> tuple[list, dict]:
    """The notebook's L_model_forward inputs with labels: the backward and training functions of the port's API."""
    (X6, params), _ = _deep_params()
    Y6 = np.array([[1.0, 0.0, 1.0, 0.0]])
    if function == "L_model_grads":
        return [params, X6, Y6, "relu"], {}
    if function == "update_parameters":
        grads, _ = reference("deep").L_model_grads(params, X6, Y6, "relu")
        return [params, grads, 0.1], {}
    if function == "train_step":
        return [params, X6, Y6, 0.1, "relu"], {}
    return [X6, Y6, params], {
        "learning_rate": 0.1,
        "num_iterations": 10,
        "hidden_activation": "relu",
        "record_every": 1,
    }


def _reference_training(function: str) -> dict:
    """What the reference returns for _training(function), under the names results() gives (its backward is
    written by hand: a port's autodiff must agree with it)."""
    args, options = _training(function)
    return _parts(function, getattr(reference("deep"), function)(*args, **options))


CASES = (
    CourseCase("sigmoid", "deep", "sigmoid", lambda: ([np.array([[0.0, 2.0]])], {}), {"value": [[0.5, 0.88079708]]}),
    CourseCase(
        "propagate",
        "logistic",
        "propagate",
        lambda: ([W, B, X, Y], {}),
        {"dw": [[0.25071532], [-0.06604096]], "db": [[-0.1250040450043965]], "cost": 0.15900537707692405},
    ),
    CourseCase(
        "optimize",
        "logistic",
        "optimize",
        lambda: ([W, B, X, Y], {"num_iterations": 100, "learning_rate": 0.009}),
        {
            "w": [[0.80956046], [2.0508202]],
            "b": [[1.5948713189708588]],
            "dw": [[0.17860505], [-0.04840656]],
            "db": [[-0.08888460336847771]],
        },
    ),
    CourseCase(
        "logistic_predict",
        "logistic",
        "predict",
        lambda: (
            [np.array([[0.1124579], [0.23106775]]), np.array([[-0.3]]), np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])],
            {},
        ),
        {"value": [[1.0, 1.0, 0.0]]},
    ),
    CourseCase(
        "linear_forward",
        "deep",
        "linear_forward",
        lambda: (_seeded(1, (3, 2), (1, 3), (1, 1)), {}),
        {"value": [[3.26295337, -1.23429987]]},
    ),
    CourseCase(
        "linear_activation_forward_sigmoid",
        "deep",
        "linear_activation_forward",
        lambda: ([*_seeded(2, (3, 2), (1, 3), (1, 1)), "sigmoid"], {}),
        {"A": [[0.96890023, 0.11013289]]},
    ),
    CourseCase(
        "linear_activation_forward_relu",
        "deep",
        "linear_activation_forward",
        lambda: ([*_seeded(2, (3, 2), (1, 3), (1, 1)), "relu"], {}),
        {"A": [[3.43896131, 0.0]]},
    ),
    CourseCase(
        "L_model_forward",
        "deep",
        "L_model_forward",
        _deep_params,
        {"AL": [[0.03921668, 0.70498921, 0.19734387, 0.04728177]]},
    ),
    CourseCase(
        "compute_cost",
        "deep",
        "compute_cost",
        lambda: ([np.array([[0.8, 0.9, 0.4]]), np.array([[1.0, 1.0, 0.0]])], {}),
        {"value": 0.2797765635793422},
    ),
    # the backward and the training, which the notebooks test through the reference's own API: the reference's
    # values on the notebook's inputs (its hand-written backward is checked against the notebooks in the tests)
    *(
        CourseCase(
            f,
            "deep",
            f,
            lambda f=f: _training(f),
            {k: np.asarray(v).tolist() for k, v in _reference_training(f).items()},
            "the reference gives",
        )
        for f in ("L_model_grads", "update_parameters", "train_step", "L_layer_model")
    ),
)


def call(case: CourseCase, module, from_numpy: Callable, to_numpy: Callable) -> dict[str, np.ndarray]:
    """The case's function of `module` (an activation from its ACTIVATIONS) on the case's inputs, each array
    through `from_numpy`, its results back through `to_numpy`, under the names of `case.expected`."""
    activations = getattr(module, "ACTIVATIONS", {})
    function = activations[case.function] if case.function in activations else getattr(module, case.function)
    args, options = case.inputs()
    returned = function(*[from_numpy(a) if isinstance(a, np.ndarray | dict) else a for a in args], **options)
    return results(case, _tree(returned, to_numpy))


def _tree(value, to_numpy: Callable):
    if isinstance(value, tuple | list):
        return type(value)(_tree(v, to_numpy) for v in value)
    if isinstance(value, dict):
        return {k: _tree(v, to_numpy) for k, v in value.items()}
    return value if isinstance(value, float | int | str) else to_numpy(value)


def results(case: CourseCase, returned) -> dict[str, np.ndarray]:
    """What a function returned, under the names of `case.expected`, as float64 NumPy: a tuple's parts by
    the course's names, a dict's by key."""
    return _parts(case.function, returned)


def mismatch(case: CourseCase, got: dict[str, np.ndarray]) -> str:
    """ "" when every checked part is the notebook's within ATOL, else what differs, as the notebook says it."""
    for key, want in case.expected.items():
        want = np.asarray(want, dtype=np.float64)
        if key not in got:
            return f"{case.function}: no {key} among {sorted(got)}"
        value = got[key].reshape(want.shape) if got[key].size == want.size else got[key]
        if value.shape != want.shape or not np.allclose(value, want, rtol=0, atol=ATOL):
            return f"{case.function}: {key} is {np.array2string(got[key], precision=8)}; {case.source} {want}"
    return ""
