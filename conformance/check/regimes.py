"""The regimes where implementations really differ, as cases of the check: confident predictions whose
per-sample loss is tiny (down to the smallest normal numbers), saturated logits with wrong labels,
pre-activations far past any clipping point in every hidden layer, weights of very different scales,
one sample, one label only, deep narrow nets. A bug that only shows there (a loss computed with log
where log1p is needed, an activation that clips at 20) passes every case of the default matrix.

Each case carries a name, so its rows are told apart in the check's CSV (the "model" column)."""

import dataclasses

import numpy as np

from reference_numpy.deep import L_model_backward, L_model_forward

from ..core.spec import ModelSpec
from .cases import Case, make_case

DEEP = ModelSpec("deep", (3, 4, 1), "relu")


def _named(case: Case, name: str) -> Case:
    return dataclasses.replace(case, name=name)


def _stable_learning_rate(case: Case, step: float = 0.01) -> Case:
    """A learning rate that moves no parameter by more than `step` in the first step: a steep net must
    train, not diverge, for its trajectory to be compared."""
    p = {"W1": case.params["w"].T, "b1": case.params["b"]} if case.spec.kind == "logistic" else case.params
    with np.errstate(over="ignore"):
        AL, caches = L_model_forward(case.X, p, case.spec.hidden_activation)
        grads = L_model_backward(AL, case.Y, caches, case.spec.hidden_activation, need_dA0=False)
    largest = max(float(np.max(np.abs(g))) for g in grads.values())
    return dataclasses.replace(case, learning_rate=min(0.05, step / largest) if largest > 0 else 0.05)


def confident(spec: ModelSpec, z: float, y: float, seed: int = 5) -> Case:
    """One sample whose logit is exactly z (the output bias is set so), with label y: its loss
    log(1 + exp(-|z|)) is tiny when the label agrees with the sign of z, |z| when it does not."""
    case = make_case(spec, m=1, seed=seed, kink=False)
    key = "b" if spec.kind == "logistic" else f"b{spec.L}"
    p = {"W1": case.params["w"].T, "b1": case.params["b"]} if spec.kind == "logistic" else case.params
    _, caches = L_model_forward(case.X, p, spec.hidden_activation)
    case.params[key] = case.params[key] + (z - caches[-1][1])  # (1, 1): Z[L] becomes z
    case.Y = np.full((1, 1), y)
    return _stable_learning_rate(_named(case, f"z={z:g} y={y:g}"))


def saturated(spec: ModelSpec, z: float = 1000.0, m: int = 16) -> Case:
    """Logits of +-z: the output layer's weights scaled until max |Z[L]| = z, half the labels wrong."""
    case = make_case(spec, m=m, seed=4)
    key = "w" if spec.kind == "logistic" else f"W{spec.L}"
    p = {"W1": case.params["w"].T, "b1": case.params["b"]} if spec.kind == "logistic" else case.params
    ZL = L_model_forward(case.X, p, spec.hidden_activation)[1][-1][1]
    case.params[key] = case.params[key] * (z / np.max(np.abs(ZL)))
    case.Y = (np.arange(case.m) % 2).reshape(1, -1).astype(np.float64)  # (1, m)
    case.learning_rate = 1e-4  # saturated sigmoids pass gradients of size 1: keep the steps small
    case.per_sample = True  # confident samples' tiny losses beside wrong ones' large: judge each on its own
    return _named(case, f"saturated |z|={z:g}")


def steep(spec: ModelSpec, scale: float = 30.0) -> Case:
    """Every weight times `scale`: |Z| in every hidden layer far past the region where activations bend."""
    case = make_case(spec, m=16, seed=6)
    case.params = {k: v * scale for k, v in case.params.items()}
    return _stable_learning_rate(_named(case, f"weights x{scale:g}"))


def mixed_scales(spec: ModelSpec) -> Case:
    """Layers whose weights differ by a factor of a million: 1e-3 and 1e3 alternately."""
    case = make_case(spec, m=16, seed=8)
    case.params = {k: v * (1e-3 if int(k[1:]) % 2 else 1e3) for k, v in case.params.items()}
    # a step through layers a million apart in scale is stable only when tiny (the curvature is huge)
    return _stable_learning_rate(_named(case, "weights 1e-3 / 1e3"), step=1e-5)


def one_label(spec: ModelSpec, y: float) -> Case:
    case = make_case(spec, m=16, seed=9)
    case.Y = np.full_like(case.Y, y)
    return _named(case, f"all labels {y:g}")


def cases(quick: bool = False) -> list[Case]:
    """The regimes, for eager modes: a few dozen small cases (each costs milliseconds eagerly)."""
    tiny = [(14.0, 1.0), (-14.0, 0.0), (40.0, 1.0), (-80.0, 0.0), (300.0, 1.0), (-700.0, 0.0), (-700.0, 1.0)]
    found = [confident(ModelSpec("logistic", (3, 1)), z, y) for z, y in tiny]
    # a decision on the boundary: w^T X about 1 and b about -1, so w^T X + b = +-5e-11 survives only in float64
    # (a product rounded to float32 in a float64 predict moves it by 1e-8 and flips one of the two)
    found += [
        _named(confident(ModelSpec("logistic", (3, 1)), z, y), f"on the boundary z={z:g}")
        for z, y in ((5e-11, 1.0), (-5e-11, 0.0))
    ]
    found += [confident(DEEP, z, y) for z, y in tiny[:: 1 if not quick else 2]]
    found += [saturated(DEEP), saturated(ModelSpec("logistic", (3, 1))), saturated(DEEP, z=80.0)]
    found += [steep(ModelSpec("deep", (4, 5, 5, 1), act)) for act in ("relu", "tanh", "leaky_relu", "sigmoid")]
    found += [steep(ModelSpec("logistic", (4, 1)), 100.0), mixed_scales(ModelSpec("deep", (4, 6, 5, 1), "tanh"))]
    found += [one_label(ModelSpec("deep", (3, 4, 1), "tanh"), y) for y in (0.0, 1.0)]
    found += [_named(make_case(ModelSpec("deep", (3, 4, 1), "leaky_relu"), m=1, kink=False), "one sample")]
    if not quick:
        found += [
            _named(make_case(ModelSpec("deep", (3, *[3] * 9, 1), act), m=16), "deep narrow")
            for act in ("relu", "sigmoid", "tanh")
        ]
        found += [_named(make_case(ModelSpec("deep", (1, 1, 1, 1, 1), "tanh"), m=16), "one unit per layer")]
        found += [_named(make_case(ModelSpec("deep", (1, 4, 1), "sigmoid"), m=16), "one feature")]
    # a tiny loss or gradient beside large ones is judged against its own size, sample by sample
    return [dataclasses.replace(case, per_sample=True) if case.m > 1 else case for case in found]


def compiled_cases() -> list[Case]:
    """For compiled modes, whose every new shape costs seconds: the cases most fragile in arithmetic."""
    return [
        dataclasses.replace(case, per_sample=True)
        for case in (saturated(DEEP), saturated(ModelSpec("logistic", (3, 1))))
    ]
