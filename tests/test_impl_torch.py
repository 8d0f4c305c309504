"""What only impl_torch has: autograd flags the caller's tensors must not carry away, and from_numpy's copy.
Everything the three frameworks share (the reference's numbers, the kinks, training, the errors) is
tested once for all three in test_impls.py and test_impls_training.py."""

import numpy as np
import pytest
from backend_helper import framework, make_problem

fw = framework("torch")  # skips this file, saying why, where torch is not installed
import torch  # noqa: E402


def test_update_parameters_train_step_and_L_layer_model_leave_their_inputs_alone():
    """Unchanged, with no .grad and no requires_grad left on the caller's tensors or the new ones."""
    _, X, Y, parameters = make_problem(depth=2, seed=5, n_x=4, width=5, m=16)  # X (4, 16), Y (1, 16)
    X_, Y_, P_ = fw.put("float64", X, Y, parameters)
    before = {name: P.clone() for name, P in P_.items()}
    grads, _ = fw.deep.L_model_grads(P_, X_, Y_)
    updated = fw.deep.update_parameters(P_, grads, 0.1)
    fw.deep.train_step(P_, X_, Y_, 0.1)
    final, _ = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 3)
    for name, P in P_.items():
        assert torch.equal(P, before[name]) and P.grad is None and not P.requires_grad
        assert torch.equal(updated[name], before[name] - 0.1 * grads[f"d{name}"])
        assert not updated[name].requires_grad and not final[name].requires_grad


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_from_numpy_copies_the_callers_array(dtype):
    X = np.ones((2, 3))
    (X_,) = fw.put(dtype, X)
    X[0, 0] = 5.0
    assert X_[0, 0].item() == 1.0  # a copy, not a view of the caller's array
