"""The checks of logistic regression's functions: propagate, train_step, optimize, predict, model. The Checker of
functions.py has them."""

import numpy as np

from reference_numpy import logistic as ref_logistic

from .cases import Case
from .catalogue import (
    STEPS,
    Function,
    Verdict,
)
from .measure import exception_line, flatten
from .probes import another_m, many_samples


class LogisticChecks:
    """The checks of logistic regression's functions: propagate, train_step, optimize, predict, model."""

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
        """One step from the case's weights, then a second from the step's own w and b, as optimize feeds it."""
        w0, b0, X, Y = self.wbXY(case)
        w, b, cost = self.backend.logistic.train_step(w0, b0, X, Y, case.learning_rate)
        verdict = self.judge(function, case, {"params@1": self.flat({"w": w, "b": b}, case.params), "cost": cost})
        if verdict.status != "green":
            return verdict
        w2, b2, _ = self.backend.logistic.train_step(w, b, X, Y, case.learning_rate)
        want_w, want_b = case.params["w"].astype(np.float64), case.params["b"].astype(np.float64)
        for _ in range(2):
            want_w, want_b, _ = ref_logistic.train_step(want_w, want_b, case.X, case.Y, case.learning_rate)
        got = {"params@2": self.flat({"w": w2, "b": b2}, case.params)}
        ref = {"params@2": flatten({"w": want_w, "b": want_b})}
        return self.judge(function, case, got, "a second step from its own output: ", ref)

    def check_logistic_optimize(self, function: Function, case: Case) -> Verdict:
        """On the case, then on a second m in the same process, as L_layer_model: a compiled step kept for the
        first m it saw (a shapeless compile with m baked in) divides by the old m; and eagerly on 300 samples
        (probes.many_samples), where a loop that steps on mini-batches fails."""
        verdict = Verdict(function.key, "green")
        for c in (case, another_m(case), *([many_samples(case)] if self.mode == "eager" else [])):

            def train(every: int, c: Case = c) -> tuple:
                params, grads, costs = self.backend.logistic.optimize(
                    *self.wbXY(c), STEPS, c.learning_rate, mode=self.mode, record_every=every
                )
                return params, costs, {f"grads@{STEPS}": self.flat(grads, {f"d{k}": v for k, v in c.params.items()})}

            verdict = verdict.worse(self.recorded(function, c, train, f"m = {c.m}, {self.mode}: "))
        if verdict.status != "green":
            return verdict

        def zero() -> tuple:
            params, _, costs = self.backend.logistic.optimize(*self.wbXY(case), 0, case.learning_rate, mode=self.mode)
            return params, costs

        return self.zero_iterations(function, case, zero)

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

    @staticmethod
    def keys_differ(out: dict, X: np.ndarray, Y: np.ndarray, X_test, Y_test, learning_rate: float) -> str:
        """What model's result lacks or adds beside the course's d on the same call ("" if nothing): the course
        keeps every key, None where there is no test set, and a caller reads d["test_accuracy"] either way."""
        want = set(ref_logistic.model(X, Y, X_test, Y_test, 1, learning_rate))
        got = set(out) if isinstance(out, dict) else set()
        differ = (("lacks", want - got), ("adds", got - want))
        said = [f"{verb} {', '.join(sorted(keys))}" for verb, keys in differ if keys]
        return "; ".join(said) + (f" (the course's d has {', '.join(sorted(want))})" if said else "")

    @staticmethod
    def echoed(out: dict, learning_rate: float) -> str:
        """What is wrong with the hyperparameters model's result repeats (the course's d holds them): "" if nothing."""
        given = {"learning_rate": learning_rate, "num_iterations": STEPS}
        try:
            same = all(np.isclose(float(out[k]), v, rtol=1e-6, atol=0) for k, v in given.items())
        except (KeyError, TypeError, ValueError):
            same = False
        shown = {k: out.get(k) for k in given}
        return "" if same else f"returns {shown} where it was given {given}"

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
            echoed = self.echoed(out, c.learning_rate) or self.keys_differ(out, c.X, c.Y, c.X, 1 - c.Y, c.learning_rate)
            if echoed:
                return Verdict(function.key, "wrong", f"m = {c.m}: {echoed}", float("inf"))
            accuracy = np.array([float(out["train_accuracy"]), float(out["test_accuracy"])])
            got = {f"model@{STEPS}": self.flat({"w": out["w"], "b": out["b"]}, c.params), f"accuracy@{STEPS}": accuracy}
            verdict = verdict.worse(self.judge(function, c, got, f"m = {c.m}, {self.mode}: "))
        if verdict.status != "green":
            return verdict
        verdict = self.accuracies_counted(function, case)
        if verdict.status != "green":
            return verdict
        # the course's model takes a test set that may be None, or labels that may be: then there is no test
        # prediction and no accuracy (the reference tests both halves)
        for given, X_test in (("without a test set (None, None)", None), ("with test inputs but no labels", case.X)):
            try:
                out = self.backend.logistic.model(
                    *self.put([case.X, case.Y]),
                    None if X_test is None else self.put([X_test])[0],
                    None,
                    STEPS,
                    case.learning_rate,
                    mode=self.mode,
                )
            except Exception as err:  # the reference returns; a port that reads Y_test's shape raises
                detail = f"{given}: raised {exception_line(err, self.package)}"[:300]
                return Verdict(function.key, "wrong", f"{detail}, where the course returns None for both", float("inf"))
            keys = self.keys_differ(out, case.X, case.Y, X_test, None, case.learning_rate)
            if keys:
                return Verdict(function.key, "wrong", f"{given}: the result {keys}", float("inf"))
            stood_in = {
                k: type(out.get(k)).__name__ for k in ("Y_prediction_test", "test_accuracy") if out.get(k) is not None
            }
            if stood_in:
                what = ", ".join(f"{k} a {t}" for k, t in stood_in.items())
                return Verdict(function.key, "wrong", f"{given}: {what}, where the course has None")
        return verdict
