"""`quartet code`: the four implementations of a concept, read from the modules themselves."""

import inspect
import io

import pytest
from rich.console import Console

from conformance import cli
from conformance.cli import code as cli_code
from conformance.report import code


@pytest.mark.parametrize("concept", list(code.CONCEPTS))
def test_every_concept_has_source_in_all_four(concept):
    sources = code.sources(concept)
    assert list(sources)[:4] == ["numpy", "torch", "jax", "tf"]  # then any plugin that has the concept
    for framework, text in sources.items():
        assert text.strip(), (concept, framework)
        assert "def " in text or "ACTIVATIONS" in text, (concept, framework)


def test_the_source_is_the_live_function():
    from reference_numpy import deep

    assert code.source("numpy", "deep.L_model_forward") == inspect.getsource(deep.L_model_forward).rstrip("\n")


def test_function_names_lead_to_their_concept_and_typos_get_a_suggestion():
    assert code.resolve("L_model_backward") == "backward"
    assert code.resolve("compute_cost_from_logits") == "cost"
    with pytest.raises(code.UnknownConcept, match="did you mean L_model_forward"):
        code.resolve("L_model_forwrd")


def run_with_width(monkeypatch, width, *argv):
    buffer = io.StringIO()
    monkeypatch.setattr(cli_code, "console", Console(file=buffer, width=width, color_system=None))
    return cli.main(list(argv)), buffer.getvalue()


def test_a_wide_terminal_shows_four_columns(monkeypatch):
    code_, out = run_with_width(monkeypatch, 330, "code", "L_model_forward")
    assert code_ == 0
    titles = next(line for line in out.splitlines() if "─ NumPy (by hand)" in line)
    assert all(f"─ {t}" in titles for t in ("PyTorch", "JAX", "TensorFlow"))  # side by side, one row of panels
    assert "[LINEAR -> g] x (L-1) -> LINEAR -> SIGMOID" in out


def test_a_narrow_terminal_shows_them_one_after_another(monkeypatch):
    code_, out = run_with_width(monkeypatch, 100, "code", "cost")
    assert code_ == 0
    lines = out.splitlines()
    titles = ("NumPy (by hand)", "PyTorch", "JAX", "TensorFlow")
    rows = [i for i, line in enumerate(lines) for t in titles if f"╭─ {t}" in line]
    assert len(rows) == 4 and rows == sorted(set(rows))


def test_list_and_unknown(monkeypatch, capsys):
    code_, out = run_with_width(monkeypatch, 120, "code", "--list")
    assert code_ == 0 and "L_model_forward" in out and "propagate" in out
    assert cli.main(["code", "softmax"]) == 2
    assert "unknown concept 'softmax'" in capsys.readouterr().err


def test_the_data_parallel_page_shows_the_current_code():
    """docs/data-parallel.md sets the four data-parallel steps side by side; it must not drift from the code
    (regenerate its end with quartet code data_parallel --markdown, data_parallel_step and
    data_parallel_processes)."""
    from pathlib import Path

    page = (Path(__file__).parents[1] / "docs" / "data-parallel.md").read_text()
    for concept in ("data_parallel", "data_parallel_step", "data_parallel_processes"):
        assert code.markdown(concept) in page, f"docs/data-parallel.md is out of date for {concept}"


def test_a_plugin_shows_where_it_has_the_concept():
    """A plugin (MLX, laid out as impl_jax) stands beside the four where it has every part, and is left out
    where it has not, instead of failing the command."""
    from conformance.core import registry

    if "mlx" not in registry.NAMES:
        pytest.skip("the quartet-mlx plugin is not installed")
    assert "mlx.core" not in code.sources("train_step")["mlx"] and "def train_step" in code.sources("train_step")["mlx"]
    assert "mlx" not in code.sources("data_parallel")  # MLX has no data-parallel module


def _panels_per_row(out: str) -> int:
    return max(line.count("╭─") for line in out.splitlines())


def test_two_columns_at_160_and_no_line_cut_at_80(monkeypatch):
    """quartet code backward --backends numpy,jax: side by side at 160 columns; at 80, one column whose lines
    wrap, so every character of every source line is there, shape comments included."""
    import re

    _, wide = run_with_width(monkeypatch, 160, "code", "backward", "--backends", "numpy,jax")
    assert _panels_per_row(wide) == 2 and "NumPy (by hand)" in wide and "─ JAX" in wide
    _, narrow = run_with_width(monkeypatch, 80, "code", "backward", "--backends", "numpy,jax")
    assert _panels_per_row(narrow) == 1 and max(map(len, narrow.splitlines())) <= 80
    squeezed = re.sub(r"[\s│╭╮╰╯─#]", "", narrow)  # a comment's continuation starts with its own '#'
    shown = code.sources("backward")
    for framework in ("numpy", "jax"):
        for line in shown[framework].splitlines():
            assert re.sub(r"[\s─#]", "", line) in squeezed, line


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("initialize_parameters_deep", "only in the reference; from_numpy instead"),
        ("optimize", ""),
        ("model", ""),
        ("nn_model", "only in the reference; L_layer_model instead"),
        ("forward_propagation", "only in the reference; L_model_forward instead"),
        ("initialize_with_zeros", "only in the reference; from_numpy instead"),
        ("two_layer_model", "the course's name, not defined here; L_layer_model instead"),
    ],
)
def test_every_function_of_the_course_is_shown(monkeypatch, name, note):
    code_, out = run_with_width(monkeypatch, 400, "code", name, "--backends", "numpy,torch,jax,tf")
    assert code_ == 0 and _panels_per_row(out) == 4
    text = " ".join(out.split())
    assert f"def {name}(" in text or name == "two_layer_model"
    if note:
        assert note in text


def test_backends_picks_the_panels(monkeypatch, capsys):
    _, out = run_with_width(monkeypatch, 400, "code", "cost", "--backends", "tf")
    assert _panels_per_row(out) == 1 and "TensorFlow" in out and "NumPy (by hand)" not in out
    assert cli.main(["code", "cost", "--backends", "caffe"]) == 2
    assert "unknown backend(s) ['caffe']" in capsys.readouterr().err


def test_piped_output_reads_columns(monkeypatch):
    from conformance.cli import common

    monkeypatch.setattr(common.sys.stdout, "isatty", lambda: False)
    monkeypatch.setenv("COLUMNS", "93")
    assert common.piped_width() == 93
    monkeypatch.delenv("COLUMNS")
    assert common.piped_width() == 120


def test_a_wrapped_line_keeps_its_indentation_and_the_title_says_the_name_once(monkeypatch):
    """At 80 columns a long line wraps under its own indentation plus four, as a formatter breaks it, never back
    at column 0; the first line names the concept once ("backward: gradients ...", not "backward: backward: ...")."""
    from conformance.cli.code import hang

    line = " " * 8 + "assert dW.shape == W.shape and db.shape == b.shape and (dA is None or dA.shape == A.shape)"
    wrapped = hang(line, 60).splitlines()
    assert len(wrapped) > 1 and wrapped[0].startswith(" " * 8 + "assert")
    assert all(w.startswith(" " * 12) and len(w) <= 60 for w in wrapped[1:]), wrapped
    assert " ".join(w.strip() for w in wrapped) == line.strip()
    _, out = run_with_width(monkeypatch, 80, "code", "backward", "--backends", "numpy")
    assert out.splitlines()[0].startswith("backward: ") and "backward: backward" not in out
    comment = hang("    Z = W @ A + b  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m) + (n[l], 1), the course's shapes", 50)
    assert all(line.startswith("        # ") for line in comment.splitlines()[1:]), comment  # still a comment
    quoted = hang('    raise ValueError(f"m must be a positive int, got {m}") from None; check(a, b, c, d)', 70)
    assert '"m must be a positive int, got {m}"' in quoted, quoted  # a one-line string is not broken


def test_a_plugins_panel_carries_its_proper_name(monkeypatch):
    from conformance.core.registry import NAMES, TITLES

    if "mlx" not in NAMES:
        pytest.skip("the quartet-mlx plugin is not installed")
    assert TITLES["mlx"] == "MLX" and TITLES["torch"] == "PyTorch"
    _, out = run_with_width(monkeypatch, 200, "code", "cost", "--backends", "numpy,mlx")
    assert "─ MLX " in out and "─ mlx " not in out


def test_the_report_shows_each_frameworks_activations_table_once_and_each_name_once():
    """The four activation concepts each show a framework's whole ACTIVATIONS table; the report shows them as one
    section, so the table comes once, and its headings name a concept once ("backward: gradients ...")."""
    from conformance.report import html

    for framework in code.FRAMEWORKS:
        shown = [name for name in code.REPORT if "deep.ACTIVATIONS" in code.find(name).parts.get(framework, ())]
        assert shown in ([], ["activations"]), (framework, shown)
    section = html.code_section()
    for name in code.CONCEPTS:
        assert not code.heading(name).startswith(f"{name}: {name}"), code.heading(name)
    for name in code.REPORT:
        assert section.count(f'<h3 id="code-{name}">') == 1, name
    assert '<h3 id="code-sigmoid">' not in section and "backward: backward" not in section
    assert code.heading("L_model_backward") == code.heading("backward") == "backward: gradients by hand and by autodiff"
