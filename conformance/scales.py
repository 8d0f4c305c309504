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

from .spec import ModelSpec


def _sq(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # a scale beyond float64's range is inf: anything goes there
        return np.square(x, dtype=np.float64)


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


def predicted(spec: ModelSpec, params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray,
              ref: dict[str, np.ndarray], learning_rate: float) -> dict[str, np.ndarray]:  # fmt: skip
    """The predicted rounding error of every quantity in `ref` (the float64 reference's results under the
    engine's names, params and trajectories flattened as compare.flatten does), entry by entry, in units
    of u. `params` are the initial weights (logistic: {"w", "b"})."""
    logistic = spec.kind == "logistic"
    p = {"W1": params["w"].T, "b1": params["b"]} if logistic else params
    L, m = spec.L, X.shape[1]
    A = {0: X}
    out: dict[str, np.ndarray] = {}
    sA = np.abs(X)  # (n[0], m): the rounding of the inputs
    sZ: dict[int, np.ndarray] = {}
    for l in range(1, L + 1):
        W, b = p[f"W{l}"], p[f"b{l}"]  # (n[l], n[l-1]), (n[l], 1)
        n = W.shape[1]
        own = (n / 2 + 2) * (_sq(W) @ _sq(A[l - 1]))  # (n[l], m): the sum, the products and W's rounding
        sZ[l] = np.sqrt(own + _sq(W) @ _sq(sA)) + np.abs(b)  # (n[l], m)
        Z = ref[f"Z{l}"]
        act = "sigmoid" if l == L else spec.hidden_activation
        A[l] = ref["AL"] if l == L else ref[f"A{l}"]
        sA = np.sqrt(_sq(_derivatives(act, Z)[0] * sZ[l]) + _sq(A[l]))  # (n[l], m)
        out[f"Z{l}"], out["AL" if l == L else f"A{l}"] = sZ[l], sA
    ZL, AL = ref[f"Z{L}"], ref["AL"]
    slope = _sigmoid(np.where(Y == 1, -ZL, ZL))  # |dloss/dz| = |sigmoid(z) - y|, without the cancellation
    loss = np.logaddexp(0, np.where(Y == 1, -ZL, ZL))  # (1, m)
    J = float(ref["cost"])
    out["cost"] = np.array(np.sqrt(np.sum(_sq(slope * sZ[L]) + _sq(loss))) / m + np.sqrt(m / 3) * abs(J))
    # the course's formula takes log(AL) and log(1 - AL): AL's rounding is u in log(AL); 1 - AL is rounded at
    # the scale of 1, which is u / (1 - AL) in log(1 - AL)
    one_minus = _sigmoid(-ZL)  # (1, m): 1 - AL without the cancellation
    through_AL = np.where(Y == 1, 1.0, (1 + AL) / np.maximum(one_minus, np.finfo(float).tiny))
    out["course_cost"] = np.array(np.sqrt(np.sum(_sq(slope * sZ[L]) + _sq(through_AL) + _sq(loss))) / m
                                  + np.sqrt(m / 3) * abs(J))  # fmt: skip
    # a prediction (AL > 0.5) may flip where rounding can move Z[L] across 0, or AL = 0.5 + Z[L] / 4 onto 0.5
    # (AL's own rounding, u / 2, is 2 u in Z[L]): its scale there is the whole label. A Z[L] computed exactly
    # 0 (every term 0: the kink column) gives AL = 0.5 exactly everywhere, and the prediction 0
    near = np.divide(sZ[L] + 2, np.abs(ZL), out=np.where(sZ[L] > 0, 1e300, 0.0), where=ZL != 0)
    out["predictions"] = np.minimum(near, 1e300)
    # backward, from dZ[L] = AL - Y
    dZ = AL - Y  # (1, m)
    sdZ = np.sqrt(_sq(_sigmoid(ZL) * _sigmoid(-ZL) * sZ[L]) + _sq(AL))  # (1, m)
    grads = {}
    for l in range(L, 0, -1):
        A_prev = A[l - 1]  # (n[l-1], m)
        sA_prev = out[f"A{l - 1}"] if l > 1 else np.abs(X)
        dW = np.sqrt((m / 2 + 2) * (_sq(dZ) @ _sq(A_prev).T) + _sq(sdZ) @ _sq(A_prev).T
                     + _sq(dZ) @ _sq(sA_prev).T) / m  # (n[l], n[l-1])  # fmt: skip
        db = np.sqrt((m / 2 + 1) * _sq(dZ).sum(axis=1, keepdims=True) + _sq(sdZ).sum(axis=1, keepdims=True)) / m
        grads[l] = (dW, db)
        if l > 1:
            W = p[f"W{l}"]
            sdA = np.sqrt((W.shape[0] / 2 + 2) * (_sq(W).T @ _sq(dZ)) + _sq(W).T @ _sq(sdZ))  # (n[l-1], m)
            dA = W.T @ dZ  # (n[l-1], m)
            gp, gpp, gmag = _derivatives(spec.hidden_activation, ref[f"Z{l - 1}"])
            sdZ = np.sqrt(_sq(gp * sdA) + _sq(dA * gpp * sZ[l - 1]) + _sq(dA * gmag))
            dZ = dA * gp
    for l, (dW, db) in grads.items():
        if logistic:
            out["dw"], out["db"] = dW.T, db
        else:
            out[f"dW{l}"], out[f"db{l}"] = dW, db
    # trajectories: every step rounds the parameters and moves them by the gradient's error
    names = sorted(params)
    sgrad = {k: out[f"d{k}"] for k in names}
    sp = np.concatenate([np.ravel(np.sqrt(_sq(params[k]) + _sq(learning_rate * sgrad[k]))) for k in names])
    gflat = np.concatenate([np.ravel(ref[f"d{k}"]) for k in names])
    through_params = float(np.abs(gflat) @ sp)  # how far the cost moves with the parameters' errors
    for quantity in ref:
        if quantity.startswith("params@"):
            out[quantity] = np.sqrt(int(quantity.split("@")[1]) + 1) * sp
        elif quantity.startswith("cost@"):
            k = np.arange(len(ref[quantity]))
            out[quantity] = np.sqrt(k + 1) * (out["cost"] + through_params)
    return out
