"""The checks of the forward functions: the activations (value, z by z, derivative), linear_forward,
linear_activation_forward, L_model_forward (and whether gradients flow through them), predict. The Checker of
functions.py has them."""

from collections.abc import Callable

import numpy as np

from reference_numpy import activations as ref_activations
from reference_numpy import deep as ref_deep

from .cases import Case
from .catalogue import (
    BY_KEY,
    THROUGH_GRADS,
    Function,
    NotWritten,
    Verdict,
    WrongResult,
)
from .measure import exception_line, refusal
from .probes import derivative_probe, many_layers, middle

UNKNOWN_ACTIVATION = "softmax"  # a hidden activation the course does not have


class ForwardChecks:
    """The checks of the forward functions: the activations (value, z by z, derivative), linear_forward,
    linear_activation_forward, L_model_forward (and whether gradients flow through them), predict."""

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
            verdict = verdict.worse(found).worse(self.linear_cache(function, cache[0], (A_prev, W, b), l))
        if verdict.status != "green":
            return verdict
        return self.gradients_through(function, case, rebuilt_linear_activation_forward(self.backend.deep))

    def linear_cache(self, function: Function, held: tuple, given: tuple, l: int) -> Verdict:
        """The cache's first entry is what the layer was given, (A_prev, W, b), as the course's backward reads it."""
        for k, (name, value) in enumerate(zip(("A_prev", "W", "b"), given, strict=True)):
            got = self.get(held[k], f"the cache's {name}") if len(held) == 3 else None
            if got is None or got.shape != value.shape or not np.array_equal(got, value.astype(self.dtype)):
                what = "not three arrays" if got is None else f"{name} of shape {got.shape} unlike the one it was given"
                return Verdict(
                    function.key,
                    "wrong",
                    f"layer {l}: the cache's linear part holds {what}, {value.shape} (the course's cache is "
                    "((A_prev, W, b), Z): the layer's inputs)",
                    float("inf"),
                )
        return Verdict(function.key, "green")

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
        verdict = self.refuses_unknown_activation(function, case)
        if verdict.status != "green":
            return verdict
        return self.gradients_through(function, case, rebuilt_L_model_forward(self.backend.deep))

    def refuses_unknown_activation(self, function: Function, case: Case) -> Verdict:
        """Bad input gets a clear error: a hidden activation the course does not have is a ValueError that names
        it, as the reference's, the type a caller catches for a bad value (not an assert, which `python -O`
        drops, nor a KeyError from a dict lookup, nor a fallback to an activation it has)."""
        forward = self.backend.deep.L_model_forward
        said = refusal(lambda: forward(self.put(case.X), self.put(case.params), UNKNOWN_ACTIVATION), UNKNOWN_ACTIVATION)
        if said is None:
            return Verdict(function.key, "green")
        detail = f"hidden_activation={UNKNOWN_ACTIVATION!r}, which the course does not have, {said}; the "
        detail += "reference raises ValueError naming it"
        return Verdict(function.key, "wrong", detail, float("inf"))

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
