"""A fixed sample of mutants that `quartet check --quick` must keep killing, each caught only by one of
the regimes (conformance/check/regimes.py), so the check's power cannot silently regress. The whole pass is
`quartet mutate` (docs/mutation.md), outside make test: it takes an hour."""

import pytest

from conformance.check import mutation
from conformance.core.backends import framework_status

SAMPLE = [
    # a per-sample loss of a confident prediction computed with log where log1p is needed: the
    # regimes' z = 40 and beyond, whose losses 4e-18 ... 1e-304 log(1 + x) rounds to 0
    ("reference_numpy/deep.py", "log1p -> log"),
    # an activation that is wrong only above some value: the regimes' weights x30
    ("impl_torch/deep.py", "leaky_relu's argument clipped at +-20"),
    # the derivative at the kink taken from the other side: the exact zeros of every default case
    ("reference_numpy/activations.py", "Gt -> GtE"),  # relu_backward, PyTorch the witness
    # a library's fused loss in place of the written one: BCEWithLogits computes log(1 + exp(-|z|)) with log,
    # so the regimes' confident samples (losses of 8e-7 and below) come out wrong
    ("impl_torch/deep.py", "the loss as BCE with logits"),
]


def _find(file: str, description: str) -> mutation.Mutant:
    found = [m for m in mutation.mutants(file) if m.description == description]
    assert found, f"no mutant {description!r} of {file} any more: choose another for this sample"
    return found[0]


def _available(file: str) -> None:
    ok, reason = framework_status(mutation.witness(file))
    if not ok:
        pytest.skip(reason)


def test_the_unchanged_tree_survives_in_a_scratch_copy():
    """The baseline: a "mutant" that changes nothing passes, so a kill below is the change's, not the copy's."""
    file = "reference_numpy/deep.py"
    _available(file)
    same = mutation.Mutant(file, 0, "nothing", (mutation.ROOT / file).read_text())
    assert mutation.run(same)[0] == "survived"


@pytest.mark.parametrize(("file", "description"), SAMPLE, ids=[f"{f}: {d}" for f, d in SAMPLE])
def test_the_check_kills_the_mutant(file, description):
    _available(file)
    assert mutation.run(_find(file, description))[0] == "killed"


def test_mutants_leave_validation_and_defaults_alone():
    for m in mutation.mutants("reference_numpy/deep.py"):
        assert "raise" not in m.description and m.line > 0
    described = {m.description for m in mutation.mutants("impl_torch/deep.py")}
    assert "0.0075 -> 0.015" not in described  # L_layer_model's default learning rate: not computation
    checks = [
        n
        for n, line in enumerate((mutation.ROOT / "reference_numpy/deep.py").read_text().splitlines(), 1)
        if line.strip().startswith("check_")
    ]  # the boundary checks' calls: validation too
    assert checks and not [m for m in mutation.mutants("reference_numpy/deep.py") if m.line in checks]


def test_the_plugins_are_mutated_where_the_check_imports_them(tmp_path):
    """A plugin's mutant is checked on its own backend, and in the scratch copy the mutated package is the one
    imported, not the installed one (a pass once left plugins/ off the scratch copy's path)."""
    import os
    import subprocess
    import sys

    from conformance.check import mutation

    file = "plugins/quartet-mlx/quartet_mlx/deep.py"
    assert file in mutation.FILES
    mutant = mutation.mutants(file)[0]
    assert mutation.witness(mutant.file) == "mlx"
    mutation.scratch_copy(mutant, tmp_path)
    find = "import importlib.util; print(importlib.util.find_spec('quartet_mlx.deep').origin)"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    origin = subprocess.run([sys.executable, "-c", find], env=env, capture_output=True, text=True, check=True)
    assert origin.stdout.strip() == str(tmp_path / "quartet_mlx" / "deep.py")
    assert (tmp_path / "quartet_mlx" / "deep.py").read_text() == mutant.source


def _load(mutant: mutation.Mutant, tmp_path):
    """The mutated module, imported beside the real package (its relative imports resolve there)."""
    import importlib.util

    path = tmp_path / f"mutant_{mutant.line}.py"
    path.write_text(mutant.source)
    spec = importlib.util.spec_from_file_location(f"{mutation.package_of(mutant.file)}._mutant_{mutant.line}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compiled_path_kinds_are_made_for_every_framework():
    """The reviewer's four bugs, as operators: each framework's deep.py gets every kind."""
    kinds = (
        "record_every ignored (1)",
        "the hidden activation lost (relu)",
        "m kept from the first call",
        "sigmoid as 1 / (1 + exp(-z))",
    )
    for file in (
        "impl_torch/deep.py",
        "impl_jax/deep.py",
        "impl_tf/deep.py",
        "plugins/quartet-mlx/quartet_mlx/deep.py",
    ):
        described = {m.description for m in mutation.mutants(file)}
        assert set(kinds) <= described, (file, set(kinds) - described)
    assert "sigmoid as 1 / (1 + exp(-z))" not in {m.description for m in mutation.mutants("reference_numpy/deep.py")}


def test_the_compiled_path_mutants_do_what_they_say(tmp_path):
    """m kept from the first call divides a later cost by the first m; the hand-written sigmoid's gradient is NaN
    past exp's overflow (the mutants are what their names say, so a kill is the check's work)."""
    _available("impl_torch/deep.py")
    import torch

    from impl_torch import deep

    first_m = next(m for m in mutation.mutants("impl_torch/deep.py") if m.description == "m kept from the first call")
    kept = _load(first_m, tmp_path)
    AL, Y = torch.full((1, 4), 0.5, dtype=torch.float64), torch.ones((1, 4), dtype=torch.float64)
    AL9, Y9 = torch.full((1, 8), 0.5, dtype=torch.float64), torch.ones((1, 8), dtype=torch.float64)
    assert float(kept.compute_cost(AL, Y)) == pytest.approx(float(deep.compute_cost(AL, Y)))
    assert float(kept.compute_cost(AL9, Y9)) == pytest.approx(2 * float(deep.compute_cost(AL9, Y9)))
    naive = next(m for m in mutation.mutants("impl_torch/deep.py") if m.description.startswith("sigmoid as"))
    sigmoid = _load(naive, tmp_path).ACTIVATIONS["sigmoid"]
    z = torch.tensor([-100.0, 0.0, 3.0], requires_grad=True)
    sigmoid(z).sum().backward()
    assert torch.isnan(z.grad[0]) and torch.allclose(z.grad[1:], torch.sigmoid(z[1:]) * (1 - torch.sigmoid(z[1:])))


def test_localise_puts_a_mutant_in_place_where_its_source_is_read():
    """tf.function's AutoGraph reads a function's source from its file by line number. A mutant put in place by
    localise.py (the module unparsed: other lines than its file's) must read as the mutant, and the module as it
    was once put back: three of TensorFlow's compiled-path mutants were named by what AutoGraph's misreading
    raised."""
    import ast
    import inspect

    from conformance.check import localise

    _available("impl_tf/deep.py")
    import impl_tf.deep as deep

    original = {name: (mutation.ROOT / "impl_tf" / f"{name}.py").read_text() for name in ("deep", "logistic")}
    loop = next(n for n in ast.parse(original["deep"]).body if getattr(n, "name", "") == "make_train_loop")
    mutant = next(
        m
        for m in mutation.mutants("impl_tf/deep.py")
        if m.description == "the hidden activation lost (relu)" and loop.lineno <= m.line <= loop.end_lineno
    )
    localise._load("impl_tf", {**original, "deep": mutant.source})
    try:
        read = inspect.getsource(deep.make_train_loop)
    finally:
        localise._load("impl_tf", original)
    assert "def make_train_loop(" in read and "learning_rate, 'relu')" in read, read
    assert inspect.getsource(deep.make_train_loop).endswith(ast.get_source_segment(original["deep"], loop) + "\n")
