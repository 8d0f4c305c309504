"""The vectorisation lesson: the loop the course's notes write first computes propagate's numbers, one framework
call per number. How much slower it is is measured by quartet bench and the first notebook, not asserted here."""

import numpy as np
import pytest

from conformance.bench import vectorisation
from conformance.core.backends import framework_status
from reference_numpy import logistic


def test_the_loop_is_propagate_one_number_at_a_time():
    rng = np.random.default_rng(3)
    w, b, X = rng.standard_normal((5, 1)), np.full((1, 1), -0.2), rng.standard_normal((5, 7))
    Y = (rng.random((1, 7)) > 0.5).astype(float)
    dw, db, J = vectorisation.propagate_loop(w, b, X, Y, np.exp, np.log)
    grads, cost = logistic.propagate(w, b, X, Y)
    np.testing.assert_allclose(np.reshape(dw, (5, 1)), grads["dw"], rtol=1e-13)
    assert db == pytest.approx(grads["db"][0, 0], rel=1e-12) and J == pytest.approx(cost, rel=1e-13)


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_measure_times_both_and_they_agree(framework):
    ok, reason = framework_status(framework)
    if not ok:
        pytest.skip(reason)
    row = vectorisation.measure(framework, 16, 16, budget=0.05)
    assert row["agree"] and row["loop_s"] > 0 and row["vectorised_s"] > 0
    assert row["ratio"] == row["loop_s"] / row["vectorised_s"]
    lines = vectorisation.section([row])
    assert lines[0].startswith("## Vectorisation") and f"| {framework} | 16 x 16 | float64 |" in "\n".join(lines)
