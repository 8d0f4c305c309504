"""What the reference prints while it trains (conformance/check/printed.py): the course's lines, which iterations,
in its format, of the costs returned; a reference that prints otherwise fails the function's check, named."""

import pytest
from backend_helper import framework

from conformance.check import functions, mutation, printed, suspects
from reference_numpy import logistic

FILES = {"L_layer_model": "reference_numpy/deep.py", "optimize": "reference_numpy/logistic.py"}


def print_mutants(name: str) -> list[mutation.Mutant]:
    """The mutants of the line that prints `name`'s cost (`quartet mutate` makes them), each a function."""
    lines = (mutation.ROOT / FILES[name]).read_text().splitlines()
    return [m for m in mutation.mutants(FILES[name]) if "print_cost and" in lines[m.line - 1]]


def mutated(mutant: mutation.Mutant, name: str):
    namespace = {"__name__": "reference_numpy.mutant", "__package__": "reference_numpy"}
    exec(compile(mutant.source, mutant.file, "exec"), namespace)
    return namespace[name]


def test_the_reference_prints_what_the_course_prints_and_nothing_leaks(capsys):
    lines, costs = printed.printed_by("L_layer_model", printed.deep.L_layer_model)
    assert [line.split(":")[0] for line in lines] == [f"Cost after iteration {i}" for i in (0, 100, 200, 249)]
    assert lines[-1] == f"Cost after iteration 249: {costs[249]!r}"  # the week 4 notebook's full repr
    lines, costs = printed.printed_by("optimize", logistic.optimize)
    assert lines == [f"Cost after iteration {i}: {costs[i]:.6f}" for i in (0, 100, 200)]  # %f, no last line
    assert capsys.readouterr().out == ""  # caught, not on the check's screen
    assert printed.difference("L_layer_model") == printed.difference("optimize") == ""


@pytest.mark.parametrize(
    ("name", "description", "prints"),
    [
        ("L_layer_model", "Sub -> Add", "0, 100, 200"),  # i == num_iterations + 1: the last line lost
        ("L_layer_model", "drop the second term", "0, 100, 200"),
        ("L_layer_model", "100 -> 200", "0, 200, 249"),
        ("optimize", "100 -> 200", "0, 200"),
    ],
)
def test_a_print_mutant_is_named_with_what_differs(name, description, prints):
    (mutant,) = [m for m in print_mutants(name) if m.description == description]
    course = "0, 100, 200, 249 (every 100th and the last" if name == "L_layer_model" else "0, 100, 200 (every 100th"
    assert printed._difference(name, mutated(mutant, name)) == (
        f"printed@250: the reference's {name} prints iterations {prints}; the course prints {course} of 250)"
    )


def test_a_line_in_another_format_or_of_another_cost_fails():
    def rounded(w, b, X, Y, num_iterations, learning_rate, print_cost, record_every):
        params, grads, costs = logistic.optimize(w, b, X, Y, num_iterations, learning_rate, record_every=record_every)
        for i in range(0, num_iterations, 100):
            print(f"Cost after iteration {i}: {costs[i]:.4f}")
        return params, grads, costs

    assert "the cost it returned, in another format" in printed._difference("optimize", rounded)

    def one_late(w, b, X, Y, num_iterations, learning_rate, print_cost, record_every):
        params, grads, costs = logistic.optimize(w, b, X, Y, num_iterations, learning_rate, record_every=record_every)
        for i in range(0, num_iterations, 100):
            print(f"Cost after iteration {i}: {costs[i + 1]:f}")  # the cost after the update
        return params, grads, costs

    assert "'Cost after iteration 0: " in printed._difference("optimize", one_late)
    assert "not the cost it returned" in printed._difference("optimize", one_late)


def test_the_function_check_fails_on_a_print_mutant_and_names_the_function(monkeypatch):
    """Every backend's row of optimize fails, PyTorch's here: the reference is the judge, it has no rows."""
    framework("torch")  # skips where PyTorch is not installed
    (mutant,) = [m for m in print_mutants("optimize") if m.description == "100 -> 200"]
    monkeypatch.setattr(logistic, "optimize", mutated(mutant, "optimize"))
    found = functions.check_functions("torch", "eager", "float32", "cpu", only=("logistic.optimize",))
    assert [(v["function"], v["status"]) for v in found] == [("logistic.optimize", "wrong")]
    assert found[0]["detail"].startswith("printed@250: the reference's optimize prints iterations 0, 200;")
    assert suspects.suspect_lines(suspects.suspects(found))[0].startswith("1. logistic.optimize (torch eager float32)")
