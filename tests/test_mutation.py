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
    ("impl_jax/deep.py", "Gt -> GtE"),
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
