"""The checks of the cost and the training functions: compute_cost, compute_cost_from_logits (and its derivative),
L_model_grads, update_parameters, train_step, L_layer_model and the costs it records. The Checker of functions.py
has them."""

from collections.abc import Callable

import numpy as np

from reference_numpy import deep as ref_deep
from reference_numpy import logistic as ref_logistic

from . import printed
from .cases import Case
from .catalogue import (
    RECORD_EVERY,
    STEPS,
    Function,
    Verdict,
)
from .measure import exception_line, flatten
from .probes import another_m, cost_probe, derivative_probe, many_samples, middle


class TrainingChecks:
    """The checks of the cost and the training functions: compute_cost, compute_cost_from_logits (and its derivative),
    L_model_grads, update_parameters, train_step, L_layer_model and the costs it records."""

    def check_deep_compute_cost(self, function: Function, case: Case) -> Verdict:
        """On the case, and (on the ReLU net) on a second m, where a cost that kept the first m it saw divides by
        it, and on 4001 samples with AL near 1/2 (probes.middle), where a cost that multiplies the likelihoods
        before the log reaches 0 in float64 too. Not on a case whose AL rounds to 0 or 1 in the run's dtype (a
        replay of a saturated case), where the course's formula is log(0) by design."""
        verdict = Verdict(function.key, "green")
        others = [another_m(case), middle(case)] if case.spec.hidden_activation == "relu" else []
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

    def check_deep_train_step(self, function: Function, case: Case) -> Verdict:
        """One step from the case's weights; then a second from the step's own output, as a training loop feeds
        it: parameters right in value that the next step cannot take (PyTorch's inference tensors) or takes
        wrongly pass a single call."""
        act = case.spec.hidden_activation
        X, Y = self.put([case.X, case.Y])
        new, cost = self.backend.deep.train_step(self.put(case.params), X, Y, case.learning_rate, act)
        verdict = self.judge(function, case, {"params@1": self.flat(new, case.params), "cost": cost}, f"{act} net: ")
        if verdict.status != "green":
            return verdict
        again, _ = self.backend.deep.train_step(new, X, Y, case.learning_rate, act)
        want = {k: np.asarray(v, dtype=np.float64) for k, v in case.params.items()}
        for _ in range(2):
            want, _ = ref_deep.train_step(want, case.X, case.Y, case.learning_rate, act)
        got = {"params@2": self.flat(again, case.params)}
        return self.judge(
            function, case, got, f"{act} net, a second step from its own output: ", {"params@2": flatten(want)}
        )

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

    def zero_iterations(self, function: Function, case: Case, train: Callable[[], tuple]) -> Verdict:
        """Trained for 0 iterations, which the course's API allows (num_iterations >= 0): the parameters it was
        given and no cost, as the reference."""
        try:
            params, costs = train()
        except Exception as err:  # a port's loop that reads what only an iteration sets
            return Verdict(function.key, "wrong", f"num_iterations = 0: raised {exception_line(err)}", float("inf"))
        got, count = self.flat(params, case.params), 0 if costs is None else len(costs)
        want = flatten({k: v.astype(self.dtype) for k, v in case.params.items()})
        if count or not np.array_equal(got, want):
            what = f"{count} costs" if count else "parameters other than those it was given"
            return Verdict(
                function.key,
                "wrong",
                f"num_iterations = 0: returns {what}; the reference returns the parameters it was given and no cost",
                float("inf"),
            )
        return Verdict(function.key, "green")

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
        the same layers and rate (a compiled program kept for the first m it saw fails) and, eagerly, 300
        samples (probes.many_samples: a loop that steps on mini-batches fails; the compiled modes run the same
        Python loop, or compile it whole, and are spared the shape)."""
        act = case.spec.hidden_activation
        verdict = Verdict(function.key, "green")
        wider = [another_m(case), *([many_samples(case)] if self.mode == "eager" else [])] if act == "relu" else []
        for c in [case, *wider]:

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
        if verdict.status != "green" or act != "relu":
            return verdict

        def zero() -> tuple:
            X, Y = self.put([case.X, case.Y])
            return self.backend.deep.L_layer_model(
                X, Y, self.put(case.params), case.learning_rate, 0, hidden_activation=act, mode=self.mode
            )

        return self.zero_iterations(function, case, zero)
