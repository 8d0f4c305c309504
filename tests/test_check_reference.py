"""The judge checked first (conformance/check/reference.py): the reference against the course's own printed
numbers. A bug in an initializer every backend draws from passed `quartet check` entirely before; now it is the
first suspect, named as the reference's, and every framework's failure follows from it."""

import numpy as np

from conformance.check import reference, suspects
from reference_numpy import initializers


def test_the_reference_agrees_with_the_course():
    rows = reference.check_reference()
    assert rows and all(r["status"] in ("green", "not checked") for r in rows), [
        r for r in rows if r["status"] == "wrong"
    ]
    assert sum(r["status"] == "green" for r in rows) >= 10  # the notebooks' cases and the planar run, at least
    assert any("planar run's costs agree to iteration 1000" in r["detail"] for r in rows)


def test_an_initializer_bug_that_every_backend_shares_is_the_references(monkeypatch):
    real = initializers.scale

    def doubled_small(scheme: str, draw: np.ndarray, n_prev: int) -> np.ndarray:
        return real(scheme, draw, n_prev) * (2 if scheme == "small" else 1)

    monkeypatch.setattr(initializers, "scale", doubled_small)
    rows = reference.check_reference()
    wrong = [r for r in rows if r["status"] == "wrong"]
    assert [r["function"] for r in wrong][:1] == ["reference_numpy.deep.initialize_parameters_deep"], wrong
    assert "the planar run's cost at iteration 0" in wrong[0]["detail"] and "scheme 'small'" in wrong[0]["detail"]
    port = {
        "function": "L_model_forward",
        "status": "wrong",
        "detail": "AL: 1e-3 > 1e-15",
        "backend": "torch",
        "mode": "eager",
        "dtype": "float64",
        "device": "cpu",
    }
    found = suspects.of_run([port], judge=rows)
    assert found[0]["function"] == "reference_numpy.deep.initialize_parameters_deep" and not found[0]["follows_from"]
    assert found[1]["function"] == "L_model_forward" and found[1]["follows_from"] == [found[0]["function"]]
    assert suspects.judge_lines(rows)[0].startswith("the reference (the judge) against the course's printed numbers")
