"""How large a rounding error each compared quantity can honestly carry: the error of a correct
implementation, predicted entry by entry, in units of the unit roundoff u.

The model is the probabilistic one (Higham and Mary, "A new approach to probabilistic rounding error
analysis", SIAM J. Sci. Comput. 2019): rounding errors behave like independent random variables of
size u times what is rounded, so they add in quadrature, not in absolute value. Along the course's
computation, for a correct implementation in precision u:

  * Z = W A + b, a sum of n products: each product and each partial sum is rounded, and W and A
    carry the errors of their own rounding (float32 inputs) and of the layers before. With terms
    w_j a_j of random sign the partial sums grow like sqrt(k), so the sum's own error is about
    sqrt(n / 2) sqrt(sum_j w_j^2 a_j^2); an error e_j in A reaches Z as sqrt(sum_j w_j^2 e_j^2).
  * A = g(Z): the error of Z times |g'(Z)|, plus the rounding of g itself (u |A|).
  * The cost, a mean of m losses: each loss moves by |sigmoid(z) - y| per unit of z, and the mean's
    own rounding is at most about sqrt(m / 3) J (sequential summation; pairwise does better).
  * Backward mirrors forward: dZ[L] = AL - Y carries AL's error; dW = dZ A^T / m and dA = W^T dZ are
    sums of m and n[l] terms; dZ = dA g'(Z) adds g''(Z) times Z's error and the rounding of g'
    (1 - tanh^2 and s (1 - s) are rounded at the scale of 1 + tanh^2 and s (1 + s)).
  * N steps of gradient descent: every step rounds each parameter (u |p|) and moves it by
    learning_rate times the gradient's error; independent steps add up like a random walk, sqrt(N + 1).

Nothing here multiplies independent sources together: fan-in, the sum over m, depth and steps each
add their own term. The tolerance (tolerances.py) is a safety factor C times u times this scale.
"""

import numpy as np

from ..core.spec import ModelSpec


def _sq(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # a scale beyond float64's range is inf: anything goes there
        return np.square(x, dtype=np.float64)


def _rss(*terms: np.ndarray) -> np.ndarray:
    """sqrt(sum of the terms squared), elementwise, without squaring a tiny term to 0 or a huge one to inf:
    a sample whose loss is 1e-290 keeps an error scale of its own size."""
    terms = np.broadcast_arrays(*[np.abs(np.asarray(t, dtype=np.float64)) for t in terms])
    s = np.max(terms, axis=0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        total = sum(np.square(np.divide(t, s, out=np.zeros_like(t), where=s > 0)) for t in terms)
        return np.where(np.isinf(s), np.inf, s * np.sqrt(total))


def _norm(*arrays: np.ndarray) -> float:
    """The 2-norm of every entry of the arrays together, scaled as _rss."""
    v = np.concatenate([np.ravel(np.abs(a)) for a in arrays]).astype(np.float64)
    return float(_rss_matmul(v.reshape(1, -1), np.ones((v.size, 1)))[0, 0]) if v.size else 0.0


BLOCK = 1 << 25  # entries of b a block of _rss_matmul holds (256 MB in float64)


def _rss_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sqrt(a^2 @ b^2) with a's rows and b's columns scaled to 1 first, so neither underflows nor overflows.
    Only squares count, so the signs of a and b do not. A large b (the inputs X at m = 65536: 6.4 GB) is
    taken a block of its rows at a time, its temporaries a block's size, the sum of the blocks' a^2 @ b^2
    being the whole one's."""
    rows = max(1, BLOCK // max(b.shape[1], 1))
    blocks = [slice(k, k + rows) for k in range(0, b.shape[0], rows)]
    ra = np.max(np.abs(a), axis=1, keepdims=True)  # (rows, 1)
    cb = np.max([np.max(np.abs(b[k]), axis=0) for k in blocks], axis=0, keepdims=True)  # (1, columns)
    total = np.zeros((a.shape[0], b.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        an2 = np.square(np.divide(a, ra, out=np.zeros_like(a, dtype=np.float64), where=ra > 0))
        for k in blocks:
            bn = np.divide(b[k], cb, out=np.zeros(b[k].shape), where=cb > 0)
            total += an2[:, k] @ np.square(bn, out=bn)
        return ra * np.sqrt(total) * cb


def _sigmoid(Z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-Z)) without overflow, and without cancellation in 1 - sigmoid(Z) = _sigmoid(-Z)."""
    return np.exp(-np.logaddexp(0, -Z))


def _derivatives(activation: str, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(g'(Z), g''(Z), the scale at which g'(Z) is rounded) elementwise."""
    if activation == "tanh":
        t = np.tanh(Z)
        return 1 - t**2, -2 * t * (1 - t**2), 1 + t**2
    if activation == "sigmoid":
        s, one_minus_s = _sigmoid(Z), _sigmoid(-Z)
        return s * one_minus_s, s * one_minus_s * (one_minus_s - s), s * (1 + s)
    slope = 0.01 if activation == "leaky_relu" else 0.0
    gp = np.where(Z > 0, 1.0, slope)
    return gp, np.zeros_like(Z), gp


def predicted(
    spec: ModelSpec,
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    ref: dict[str, np.ndarray],
    learning_rate: float,
) -> dict[str, np.ndarray]:
    """The predicted rounding error of every quantity in `ref` (the float64 reference's results under the
    engine's names, params and trajectories flattened as compare.flatten does), entry by entry, in units
    of u. `params` are the initial weights (logistic: {"w", "b"})."""
    logistic = spec.kind == "logistic"
    p = {"W1": params["w"].T, "b1": params["b"]} if logistic else params
    out, A, sZ = _forward(spec, p, X, ref)
    out.update(_cost(spec, Y, ref, sZ[spec.L], X.shape[1]))
    for l, (dW, db) in _backward(spec, p, X, Y, ref, A, sZ, out).items():
        if logistic:
            out["dw"], out["db"] = dW.T, db
        else:
            out[f"dW{l}"], out[f"db{l}"] = dW, db
    out.update(_trajectories(params, X, ref, learning_rate, out))
    out.update(_course_model(spec, X, Y, ref, learning_rate))
    if "losses" in ref:
        out.update(_per_sample(spec, params, X, Y, ref, learning_rate))
    return out


def _forward(spec: ModelSpec, p: dict[str, np.ndarray], X: np.ndarray, ref: dict[str, np.ndarray]) -> tuple:
    """Z[l] and A[l]'s predicted errors, layer by layer: (those under their names, A[l] (the reference's), sZ[l])."""
    L = spec.L
    A = {0: X}
    out: dict[str, np.ndarray] = {}
    sA = X  # (n[0], m): the rounding of the inputs, |X|; it only enters _rss_matmul, where signs do not count
    sZ: dict[int, np.ndarray] = {}
    for l in range(1, L + 1):
        W, b = p[f"W{l}"], p[f"b{l}"]  # (n[l], n[l-1]), (n[l], 1)
        n = W.shape[1]
        own = np.sqrt(n / 2 + 2) * _rss_matmul(W, A[l - 1])  # (n[l], m): the sum, the products and W's rounding
        sZ[l] = _rss(own, _rss_matmul(W, sA)) + np.abs(b)  # (n[l], m)
        Z = ref[f"Z{l}"]
        act = "sigmoid" if l == L else spec.hidden_activation
        A[l] = ref["AL"] if l == L else ref[f"A{l}"]
        sA = _rss(_derivatives(act, Z)[0] * sZ[l], A[l])  # (n[l], m)
        out[f"Z{l}"], out["AL" if l == L else f"A{l}"] = sZ[l], sA
    return out, A, sZ


def _cost(spec: ModelSpec, Y: np.ndarray, ref: dict[str, np.ndarray], sZL: np.ndarray, m: int) -> dict[str, np.ndarray]:
    """The cost's predicted error (from the logits and through the course's log(AL)), and the predictions'."""
    out = {}
    ZL, AL = ref[f"Z{spec.L}"], ref["AL"]
    slope = _sigmoid(np.where(Y == 1, -ZL, ZL))  # |dloss/dz| = |sigmoid(z) - y|, without the cancellation
    loss = np.logaddexp(0, np.where(Y == 1, -ZL, ZL))  # (1, m)
    J = float(ref["cost"])
    out["cost"] = np.array(_norm(slope * sZL, loss) / m + np.sqrt(m / 3) * abs(J))
    # the course's formula takes log(AL) and log(1 - AL): AL's rounding is u in log(AL); 1 - AL is rounded at
    # the scale of 1, which is u / (1 - AL) in log(1 - AL)
    one_minus = _sigmoid(-ZL)  # (1, m): 1 - AL without the cancellation
    through_AL = np.where(Y == 1, 1.0, (1 + AL) / np.maximum(one_minus, np.finfo(float).tiny))
    out["course_cost"] = np.array(_norm(slope * sZL, through_AL, loss) / m + np.sqrt(m / 3) * abs(J))
    # a prediction (AL > 0.5) may flip where rounding can move Z[L] across 0, or AL = 0.5 + Z[L] / 4 onto 0.5
    # (AL's own rounding, u / 2, is 2 u in Z[L]): its scale there is the whole label. A Z[L] computed exactly
    # 0 (every term 0: the kink column) gives AL = 0.5 exactly everywhere, and the prediction 0
    near = np.divide(sZL + 2, np.abs(ZL), out=np.where(sZL > 0, 1e300, 0.0), where=ZL != 0)
    out["predictions"] = np.minimum(near, 1e300)
    return out


def _backward(spec: ModelSpec, p: dict, X: np.ndarray, Y: np.ndarray, ref: dict, A: dict, sZ: dict, out: dict) -> dict:
    """{l: (dW[l], db[l])'s predicted errors}, from dZ[L] = AL - Y down."""
    L, m = spec.L, X.shape[1]
    ZL, AL = ref[f"Z{L}"], ref["AL"]
    dZ = AL - Y  # (1, m)
    # AL - Y carries AL's rounding (the reference's, at the scale of 1); autodiff through log_sigmoid or
    # softplus reaches sigmoid(z) - y through exp of a number of size |z|, which is rounded at that scale
    sdZ = _rss(_sigmoid(ZL) * _sigmoid(-ZL) * sZ[L], AL, dZ * ZL)  # (1, m)
    grads = {}
    for l in range(L, 0, -1):
        A_prev = A[l - 1]  # (n[l-1], m)
        sA_prev = out[f"A{l - 1}"] if l > 1 else X  # |X|, as above: only its squares count
        dW = (
            _rss(np.sqrt(m / 2 + 2) * _rss_matmul(dZ, A_prev.T), _rss_matmul(sdZ, A_prev.T), _rss_matmul(dZ, sA_prev.T))
            / m
        )  # (n[l], n[l-1])
        ones = np.ones((m, 1))
        db = _rss(np.sqrt(m / 2 + 1) * _rss_matmul(dZ, ones), _rss_matmul(sdZ, ones)) / m  # (n[l], 1)
        grads[l] = (dW, db)
        if l > 1:
            W = p[f"W{l}"]
            sdA = _rss(np.sqrt(W.shape[0] / 2 + 2) * _rss_matmul(W.T, dZ), _rss_matmul(W.T, sdZ))  # (n[l-1], m)
            dA = W.T @ dZ  # (n[l-1], m)
            gp, gpp, gmag = _derivatives(spec.hidden_activation, ref[f"Z{l - 1}"])
            sdZ = _rss(gp * sdA, dA * gpp * sZ[l - 1], dA * gmag)
            dZ = dA * gp
    return grads


def _trajectories(params: dict, X: np.ndarray, ref: dict, learning_rate: float, out: dict) -> dict[str, np.ndarray]:
    """The trajectories' predicted errors: every step rounds the parameters and moves them by the gradient's
    error."""
    names = sorted(params)
    sgrad = {k: out[f"d{k}"] for k in names}
    sp = np.concatenate([np.ravel(_rss(params[k], learning_rate * sgrad[k])) for k in names])
    gflat = np.concatenate([np.ravel(ref[f"d{k}"]) for k in names])
    through_params = float(np.abs(gflat) @ sp)  # how far the cost moves with the parameters' errors
    traced = {}
    for quantity in ref:
        steps = int(quantity.split("@")[1]) if "@" in quantity else 0
        if quantity.startswith("params@"):
            traced[quantity] = np.sqrt(steps + 1) * sp
        elif quantity.startswith("cost@"):
            k = np.arange(len(ref[quantity]))
            traced[quantity] = np.sqrt(k + 1) * (out["cost"] + through_params)
        elif quantity.startswith("grads@"):  # at the weights of step N - 1: its own rounding, and the weights'
            own = np.concatenate([np.ravel(sgrad[k]) for k in names])
            through = _rss_matmul(_hessian(X, ref["Z1"]), np.sqrt(steps) * sp.reshape(-1, 1)).ravel()
            traced[quantity] = _rss(np.sqrt(steps) * own, through)
    return traced


def _hessian(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Logistic regression's Hessian in (b, w), the order of compare.flatten: [1; X] diag(s (1 - s)) [1; X]^T / m
    with s = sigmoid(Z), Z (1, m) the reference's logits; how far the gradient moves per unit of (b, w)."""
    X1 = np.vstack([np.ones((1, X.shape[1])), X]) * np.sqrt(_sigmoid(Z) * _sigmoid(-Z))  # (1 + n_x, m)
    return X1 @ X1.T / X.shape[1]  # (1 + n_x, 1 + n_x)


def _course_model(spec: ModelSpec, X: np.ndarray, Y: np.ndarray, ref: dict, learning_rate: float) -> dict:
    """model@N and accuracy@N: the course's model() trains from zeros, where Z = 0 and AL = 1/2 exactly; an
    accuracy moves by 1/m for each sample whose final logit rounding can carry across 0."""
    out: dict[str, np.ndarray] = {}
    for quantity in [q for q in ref if q.startswith("model@")]:
        steps, m = int(quantity.split("@")[1]), X.shape[1]
        zeros = {"w": np.zeros((X.shape[0], 1)), "b": np.zeros((1, 1))}
        dZ = 0.5 - Y  # (1, m)
        at_zero = {
            "Z1": np.zeros_like(Y),
            "AL": np.full_like(Y, 0.5),
            "cost": np.array(np.log(2.0)),
            "dw": X @ dZ.T / m,
            "db": dZ.mean(axis=1, keepdims=True),
        }
        s0 = predicted(spec, zeros, X, Y, at_zero, learning_rate)
        final = ref[quantity]  # b, then w (compare.flatten's sorted order)
        sgrad = np.concatenate([np.ravel(s0["db"]), np.ravel(s0["dw"])])
        sp = np.sqrt(steps + 1) * np.sqrt(_sq(final) + _sq(learning_rate * sgrad))
        out[quantity] = sp
        accuracy = f"accuracy@{steps}"
        if accuracy in ref:
            b, w = final[0], final[1:].reshape(-1, 1)  # (), (n_x, 1)
            z = w.T @ X + b  # (1, m)
            sz = np.sqrt(_sq(X).T @ _sq(sp[1:]) + sp[0] ** 2).T + np.sqrt((X.shape[0] / 2 + 2) * (_sq(w).T @ _sq(X)))
            near = np.divide(sz + 2, np.abs(z), out=np.full_like(z, 1e300), where=z != 0)  # (1, m)
            flips = float(np.sum(np.minimum(near, 1e300))) / m
            out[accuracy] = np.abs(ref[accuracy]) + flips  # the division's rounding, and every sample that may flip
    return out


def _per_sample(spec: ModelSpec, params: dict, X: np.ndarray, Y: np.ndarray, ref: dict, learning_rate: float) -> dict:
    """losses and sample_grads: each sample's cost and gradients computed on that sample alone."""
    names = sorted(params)
    shapes = [params[k].shape for k in names]
    forward = [q for q in ref if q[0] in "ZA"]  # Z1, A1, ..., AL: (n[l], m), a column per sample
    losses, grads = [], []
    for j in range(X.shape[1]):
        flat = ref["sample_grads"][j]
        pieces = np.split(flat, np.cumsum([int(np.prod(s)) for s in shapes])[:-1])
        alone = {q: ref[q][:, [j]] for q in forward}
        alone["cost"] = np.array(ref["losses"][0, j])
        alone.update({f"d{k}": piece.reshape(s) for k, s, piece in zip(names, shapes, pieces, strict=True)})
        s = predicted(spec, params, X[:, [j]], Y[:, [j]], alone, learning_rate)
        losses.append(float(s["cost"]))
        grads.append(np.concatenate([np.ravel(s[f"d{k}"]) for k in names]))
    return {"losses": np.array([losses]), "sample_grads": np.stack(grads)}
