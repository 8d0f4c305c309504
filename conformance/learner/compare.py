"""What a learner's function returned against what the course's returns, said the way a learner can act on:
a shape (transposed, rank-1, not summed), a sign, a factor (1/m, 2, the learning rate), a threshold, or the
first entry that differs with both values and its index."""

import numpy as np

from .assignment import Function

RTOL = 1e-9  # of the largest entry of the course's value: float64 rounding of any correct formula is ~1e-15
RETURNS_NONE = "is None: a `return` left out, or a placeholder left as None?"


def difference(got, want, name: str, labels: bool = False, inputs: dict | None = None) -> str:
    """Nothing ("") when `got` is the course's `want` (a tuple, list or dict of arrays and numbers, compared part by
    part), else what differs, naming the part (`name`, `name["dW1"]`, `name[1]`)."""
    if got is None and want is not None:
        return f"{name} {RETURNS_NONE}"
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{name} is a {type(got).__name__}; the course's is a dict with keys {', '.join(map(str, want))}"
        missing = [k for k in want if k not in got]
        if missing:
            return f"{name} has no {', '.join(map(repr, missing))} (it has {', '.join(map(repr, got)) or 'no keys'})"
        return next((d for k in want if (d := difference(got[k], want[k], f"{name}[{k!r}]", labels, inputs))), "")
    if isinstance(want, tuple | list):
        if not isinstance(got, tuple | list):
            return f"{name} is a {type(got).__name__}; the course's is a {type(want).__name__} of {len(want)}"
        if len(got) != len(want):
            return f"{name} has {len(got)} entries; the course's has {len(want)}"
        return next(
            (
                d
                for i, (g, w) in enumerate(zip(got, want, strict=True))
                if (d := difference(g, w, f"{name}[{i}]", labels, inputs))
            ),
            "",
        )
    return _numbers(got, want, name, labels, inputs or {})


def _numbers(got, want, name: str, labels: bool, inputs: dict) -> str:
    if isinstance(want, float) and isinstance(got, int | np.integer) and not isinstance(got, bool):
        return f"{name} is the int {got!r}; the course's is the float {want!r}"
    if isinstance(want, int | np.integer) and not isinstance(want, bool):
        return "" if got == want else f"{name} is {got!r}; the course's is {want!r}"
    try:
        g = np.asarray(got)
    except Exception:
        g = np.asarray(None)
    w = np.asarray(want)
    if g.dtype == object or g.dtype.kind not in "biuf":
        return f"{name} is {_short(got)}, not a number or an array of numbers"
    if g.shape != w.shape:
        return _shape(g, w, name)
    if labels:
        return _labels(g, w, name)
    if w.dtype.kind == "f" and g.dtype.kind in "iu":
        return f"{name} holds integers ({g.dtype}); the course's holds floats ({w.dtype})"
    g, w = g.astype(np.float64), w.astype(np.float64)
    if np.array_equal(g, w, equal_nan=True):
        return ""
    scale = float(np.max(np.abs(w[np.isfinite(w)]), initial=0.0)) or 1.0
    bad = ~(np.abs(g - w) <= RTOL * scale) & ~(np.isnan(g) & np.isnan(w))
    if not bad.any():
        return ""
    return _values(g, w, bad, name, inputs)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def _shape(g: np.ndarray, w: np.ndarray, name: str) -> str:
    shown = f"{name} has shape {g.shape}; the course's {w.shape}"
    if w.ndim == 0 and g.size == 1:
        return f"{name} is a {g.shape} array; the course's is a number (np.squeeze it, or take float())"
    if g.ndim == 2 and g.shape == w.shape[::-1]:
        same = np.allclose(g.T, w, rtol=1e-7, atol=0)
        return f"{shown}: transposed{' (its transpose is right)' if same else ''}"
    if g.ndim < w.ndim and g.size == w.size:
        return f"{shown}: a rank-{g.ndim} array; keep it {w.ndim}-D (keepdims=True, or .reshape{w.shape})"
    if w.ndim == 2 and g.ndim == 2 and w.shape[1] == 1 and g.shape[0] == w.shape[0]:
        return f"{shown}: not summed over the samples (np.sum(..., axis=1, keepdims=True))"
    if w.ndim == 2 and g.ndim == 2 and w.shape[0] == 1 and g.shape[1] == w.shape[1] > 1:
        return f"{shown}: one row per sample is (1, m)"
    return shown


def _labels(g: np.ndarray, w: np.ndarray, name: str) -> str:
    differ = np.argwhere(g.astype(np.float64) != w.astype(np.float64))
    if not len(differ):
        return ""
    first = tuple(int(i) for i in differ[0])
    return (
        f"{len(differ)} of {w.size} labels differ (first at {_index(first)}: {_label(g[first])} where the "
        f"course's is {_label(w[first])})"
    )


def _label(x) -> str:
    return f"{float(x):g}"


def _index(i: tuple) -> str:
    return f"[{', '.join(map(str, i))}]" if i else "the value"


def _values(g: np.ndarray, w: np.ndarray, bad: np.ndarray, name: str, inputs: dict) -> str:
    if not np.isfinite(g).all() and np.isfinite(w).all():
        if g.ndim == 0:
            return f"{name} is {g}; the course's is {w:.8g}"
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
        return f"{name} has {g[where]} at {_index(where)}; the course's is {w[where]:.8g} there"
    nonzero = np.abs(w) > 1e-12 * max(float(np.max(np.abs(w))), 1e-300)
    if nonzero.any():
        ratio = g[nonzero] / w[nonzero]
        c = float(np.median(ratio))
        if np.allclose(ratio, c, rtol=1e-7, atol=0) and np.allclose(g[~nonzero], 0, atol=1e-12):
            return f"{name} is {_factor(c, inputs)} the course's{_hint(c, inputs)}"
    offset = g - w
    if w.size > 1 and np.allclose(offset, offset.flat[0], rtol=1e-7, atol=1e-12 * max(1.0, float(np.abs(w).max()))):
        return f"{name} is the course's plus {offset.flat[0]:.6g} everywhere"
    where = [tuple(int(i) for i in ix) for ix in np.argwhere(bad)]
    first = where[0]
    text = (
        f"{name}: {len(where)} of {w.size} entries differ; first at {_index(first)}: {g[first]:.8g} where the "
        f"course's is {w[first]:.8g}"
    )
    for arg, value in inputs.items():
        if isinstance(value, np.ndarray) and value.shape == w.shape and all(value[i] == 0 for i in where):
            return f"{text} (each where {arg} is exactly 0)"
    return text


def _factor(c: float, inputs: dict) -> str:
    if np.isclose(c, -1.0, rtol=1e-7):
        return "minus"
    return f"{c:.6g} times"


def _hint(c: float, inputs: dict) -> str:
    """What a constant factor may be: the sign, 1/m, the 2 of a derivative, the learning rate."""
    if np.isclose(c, -1.0, rtol=1e-7):
        return ": a sign is flipped"
    ms = {v.shape[1] for v in inputs.values() if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] > 1}
    rates = [v for k, v in inputs.items() if "learning_rate" in k and isinstance(v, float)]
    for m in sorted(ms):
        if np.isclose(c, m, rtol=1e-7):
            return f": the 1/m (m = {m}) is left out"
        if np.isclose(c, 1 / m, rtol=1e-7):
            return f": divided by m (m = {m}) once too often"
    for lr in rates:
        if np.isclose(c, lr, rtol=1e-7) or np.isclose(c, 1 / lr, rtol=1e-7):
            return f": a factor of the learning rate ({lr:g})"
    if np.isclose(c, 2.0, rtol=1e-7) or np.isclose(c, 0.5, rtol=1e-7):
        return ": a factor of 2"
    return ""


def threshold(got: np.ndarray, want: np.ndarray, scores: np.ndarray) -> str:
    """What the probabilities where the labels differ say: a threshold at 0.5 taken as >=, or another one."""
    p = scores[got != want]
    if p.size and np.all(p == 0.5):
        return ": each where the probability is exactly 0.5; the course predicts 1 only where it is > 0.5"
    if p.size:
        return f" (the probability there: {p.min():.3g} to {p.max():.3g}; the course's threshold is 0.5)"
    return ""


def compared(f: Function, got, want, inputs: dict) -> str:
    """What differs, each returned value under the course's name for it (Z, cache; dA_prev, dW, db; ...)."""
    if len(f.returns) == 1:
        return difference(got, want, f.returns[0], f.labels, inputs)
    if got is None:
        return f"{f.name} {RETURNS_NONE}"
    if not isinstance(got, tuple | list) or len(got) != len(want):
        count = len(got) if isinstance(got, tuple | list) else 1
        return (
            f"{f.name} returns {count} value{'s' if count != 1 else ''}; the course's returns {len(want)}: "
            f"{', '.join(f.returns)}"
        )
    return next(
        (d for g, w, name in zip(got, want, f.returns, strict=True) if (d := difference(g, w, name, f.labels, inputs))),
        "",
    )


def initialiser(got, want: dict, name: str) -> str:
    """Its keys and shapes the course's, biases zero, weights not all alike, at one of the course's scales."""
    if not isinstance(got, dict):
        return f"{name} returns a {type(got).__name__}; the course's returns a dict of {', '.join(want)}"
    for key, w in want.items():
        if key not in got:
            return f"parameters has no {key!r} (it has {', '.join(map(repr, got)) or 'no keys'})"
        g = np.asarray(got[key])
        if g.shape != w.shape:
            return f"parameters[{key!r}] has shape {g.shape}; the course's {w.shape}"
        if key.startswith("b") and np.any(g != 0):
            return f"parameters[{key!r}] is not all zeros; the course starts every bias at 0"
        if key.startswith("W"):
            if np.all(g == g.flat[0]):
                return f"every entry of parameters[{key!r}] is {g.flat[0]:g}: nothing breaks the symmetry (randn)"
            if g.size >= 100:
                rms, n_prev = float(np.sqrt(np.mean(g**2))), w.shape[1]
                scales = {
                    "randn * 0.01": 0.01,
                    "randn / sqrt(n[l-1])": 1 / np.sqrt(n_prev),
                    "randn * sqrt(2 / n[l-1])": np.sqrt(2 / n_prev),
                }
                if not any(0.6 < rms / s < 1.6 for s in scales.values()):
                    return f"parameters[{key!r}] has RMS {rms:.3g}; the course draws it as " + " or ".join(
                        f"{k} (RMS {v:.3g})" for k, v in scales.items()
                    )
    return ""
