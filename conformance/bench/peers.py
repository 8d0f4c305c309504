"""Timing of the peers: the same workloads trained by code nobody here wrote, for the same benchmark table
as our backends. Keras 3 `train_on_batch` on each of its backends, scikit-learn's `MLPClassifier`
(`partial_fit` on the full batch) and torch.nn with `torch.optim.SGD`, all plain SGD from our weights.

Every row is held to the rule of bench/steps.py: before it is timed, its first step from our initial weights
must give the float64 reference's cost (the loss the peer reports for that step, computed before its
update) and updated weights, within the conformance tolerance; no row is fast by computing something
else. Keras binds its backend at import, so each Keras backend runs in its own child process
(bench/keras.py)."""

import importlib.util

from ..check import peers
from ..core.registry import PEER_INFO, PEER_NAMES
from .keras import keras_rows
from .machine import import_seconds
from .peer_rows import KERAS, PeerSetup, Unavailable, bench_row, params_of, peer_row, peer_threads
from .row import Row
from .workloads import Problem, Workload

SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic"}  # ours -> MLPClassifier's


def peer_status(peer: str) -> tuple[bool, str]:
    """(True, "") or (False, why), found without importing the frameworks into this process."""
    if peer not in PEER_NAMES:
        raise ValueError(f"unknown peer {peer!r}; choose one of {PEER_NAMES}")
    if peer in KERAS:
        return peers.keras_backends_available()[KERAS[peer]]
    module = PEER_INFO[peer].module.split(".")[0]
    return (True, "") if importlib.util.find_spec(module) else (False, f"{module} not installed")


def peer_runner(peer: str) -> PeerSetup:
    """How an in-process peer (scikit-learn, torch.nn) is set up for a row."""
    return _sklearn_runner if peer == "sklearn" else _torch_runner


def bench_peers(
    peer_names: list[str],
    workloads: list[Workload],
    dtypes: list[str],
    threads: int = 2,
    min_time: float = 1.0,
    min_repeats: int = 7,
    rounds: int = 1,
    loops: list[str] | None = None,
) -> list[Row]:
    """One row per (peer, workload, dtype), in our rows' columns (steps.prepare_ours); mode is the peer's own unit
    (train_on_batch, partial_fit, optim.SGD) and import_s the seconds its framework takes to import. Each
    row is timed `rounds` times in a row (a benchmark run times the in-process peers in its own rounds).
    Keras also times its whole loop (fit) on the workloads named in `loops`."""
    rows = []
    for peer in peer_names:
        ok, reason = peer_status(peer)
        if not ok:
            rows += [peer_row(peer, w, dtype, status=f"unavailable: {reason}") for w in workloads for dtype in dtypes]
        elif peer in KERAS:
            rows += keras_rows(peer, workloads, dtypes, threads, min_time, min_repeats, rounds, loops or [])
        else:
            import_s = import_seconds(PEER_INFO[peer].module)
            with peer_threads(threads, torch=PEER_INFO[peer].backend == "torch"):
                for workload in workloads:
                    for dtype in dtypes:
                        row = bench_row(peer, workload, dtype, peer_runner(peer), min_time, min_repeats, rounds)
                        row.import_s = import_s
                        rows.append(row)
    return rows


def _sklearn_runner(prob: Problem, dtype: str):
    """MLPClassifier as plain full-batch SGD; one step = one partial_fit. It keeps float32 input in
    float32 (coefs_ come out float32), so both dtypes are its own."""
    from sklearn.neural_network import MLPClassifier

    spec, lr = prob.workload.spec, prob.workload.learning_rate
    if spec.hidden_activation not in SKLEARN_ACTIVATIONS:
        raise Unavailable(f"scikit-learn's MLP has no {spec.hidden_activation}")
    model = MLPClassifier(
        solver="sgd",
        batch_size=prob.workload.m,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=lr,
        shuffle=False,
        hidden_layer_sizes=spec.layer_dims[1:-1],  # () is logistic regression
        activation=SKLEARN_ACTIVATIONS[spec.hidden_activation],
        random_state=0,
    )
    X, y = prob.X.T.astype(dtype), prob.Y[0].astype(int)  # (m, n_x), (m,): samples as rows, class labels
    model.partial_fit(X, y, classes=[0, 1])  # the only way to make coefs_; its step from its own weights is undone:
    for coef, intercept, (W, b) in zip(model.coefs_, model.intercepts_, peers._layers(spec, prob.params), strict=True):
        coef[...], intercept[...] = W.T, b  # in place: coefs_ is (in, out) = W^T, and its optimizer holds these arrays

    def step():
        model.partial_fit(X, y)
        return model.loss_  # the mean log-loss of the forward pass before the update (alpha = 0: no penalty)

    def read():
        layers = zip([c.T for c in model.coefs_], model.intercepts_, strict=True)  # W (out, in), b (out,)
        return float(model.loss_), params_of(spec, list(layers))

    return step, lambda _: None, read


def _torch_runner(prob: Problem, dtype: str):
    """check/peers.torch_nn_model (nn.Sequential of Linear and the activation) + BCEWithLogitsLoss + optim.SGD."""
    import torch
    from torch import nn

    spec, lr = prob.workload.spec, prob.workload.learning_rate
    model, linears = peers.torch_nn_model(spec, prob.params, dtype)
    torch_dtype = getattr(torch, dtype)
    X = torch.tensor(prob.X.T, dtype=torch_dtype)  # (m, n_x)
    Y = torch.tensor(prob.Y.T, dtype=torch_dtype)  # (m, 1)
    loss_fn, optimizer = nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    state = {}

    def step():
        optimizer.zero_grad()
        state["loss"] = loss_fn(model(X), Y)  # before the update
        state["loss"].backward()
        optimizer.step()
        return state["loss"]

    def read():
        layers = [(lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()) for lin in linears]
        return state["loss"].item(), params_of(spec, layers)

    return step, lambda loss: loss.item(), read
