"""PyTorch's whole training step as one captured graph: the benchmark's own row "captured", not a mode of
impl_torch. The step is functional (torch.func.grad_and_value of the cost as a function of the params
dict, then the update), built from impl_torch's own forward and cost, so that torch.compile with
fullgraph=True traces forward, cost, backward and update as ONE graph (a graph break is an error, not a
silent split); on a GPU that graph is then captured once as a CUDA graph and replayed, one launch a step.

The state lives in static buffers (the weights, the cost) that each step overwrites in place, so a replay
reads and writes the same memory every time; on the CPU the same step runs without the capture, which is
how its code path is tested without a GPU."""

from collections.abc import Callable

import numpy as np

from .workloads import inputs

MODE = "captured"


def functional_step(kind: str, hidden_activation: str, learning_rate: float) -> Callable:
    """step(params, X, Y) -> (new params, the cost before the update), a pure function of tensors: the
    cost from impl_torch's forward and compute_cost_from_logits, its gradients by torch.func, the
    update as impl_torch's."""
    import torch

    from impl_torch import deep

    if kind == "logistic":  # the deep net with layer_dims [n_x, 1] and W1 = w^T, as impl_torch/logistic.py says

        def cost_of(params, X, Y):
            Z = deep.linear_forward(X, params["w"].T, params["b"])  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
            return deep.compute_cost_from_logits(Z, Y)

        def update(params, grads):
            return {name: P - learning_rate * grads[name] for name, P in params.items()}  # (n_x, 1), (1, 1)
    else:

        def cost_of(params, X, Y):
            _, caches = deep.L_model_forward(X, params, hidden_activation)  # AL is inside the cost
            return deep.compute_cost_from_logits(caches[-1][1], Y)  # from ZL, (1, m)

        def update(params, grads):
            return deep.update_parameters(params, {f"d{name}": g for name, g in grads.items()}, learning_rate)

    grad_and_cost = torch.func.grad_and_value(cost_of)  # grads keyed as the params, and the cost (0-d)

    def step(params, X, Y):
        grads, cost = grad_and_cost(params, X, Y)
        return update(params, grads), cost

    return step


def captured_runner(prob, dtype: str, device: str, sync: Callable[[object], None]):
    """(step, sync, read) of the captured row, as steps.our_runner returns them: step() runs one training
    step (on a GPU, one replay of the captured graph) and returns the whole state, the static buffers;
    `sync` is PyTorch's wait on that device (steps.sync_for)."""
    import torch

    from impl_torch import arrays

    workload = prob.workload
    torch.compiler.reset()  # a fresh cache: no earlier row's versions count against its limit of 8
    compiled = torch.compile(
        functional_step(workload.spec.kind, workload.spec.hidden_activation, workload.learning_rate),
        fullgraph=True,  # forward, cost, backward and update as one graph, or an error
        dynamic=False,
    )
    X, Y = inputs(prob, "torch", dtype, device)  # shared with PyTorch's other rows of this dtype
    state = {
        "params": arrays.from_numpy(prob.params, dtype, device),
        "cost": torch.zeros((), dtype=X.dtype, device=X.device),
    }

    def in_place():  # one step whose results overwrite the state's own buffers: what a replay repeats
        new, cost = compiled(state["params"], X, Y)
        for name, P in state["params"].items():
            P.copy_(new[name])
        state["cost"].copy_(cost)

    replay: list = []  # on a GPU the captured graph's replay, made by the first step (its time is the first call's)

    def step():
        if not replay:
            replay.append(cuda_graph(in_place, state["params"]) if device == "gpu" else in_place)
        replay[0]()
        return state

    def read():
        return float(state["cost"]), {k: np.asarray(arrays.to_numpy(v)) for k, v in state["params"].items()}

    return step, sync, read


def cuda_graph(in_place: Callable[[], None], params: dict) -> Callable[[], None]:
    """`in_place` (compiled on its first call) captured as a CUDA graph; returns the graph's replay. The
    warm-up's steps are undone afterwards: the first replay is the training's first step."""
    import torch

    initial = {name: P.clone() for name, P in params.items()}
    side = torch.cuda.Stream()  # warm up (compile, allocate) off the default stream, as capture requires
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            in_place()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):  # recorded, not run: every replay reads and writes these same buffers
        in_place()
    for name, P in params.items():
        P.copy_(initial[name])
    torch.cuda.synchronize()
    return graph.replay
