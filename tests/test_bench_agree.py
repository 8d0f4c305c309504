"""Two benchmark runs compared (conformance/bench/agree.py): a run agrees with itself, and a row that
ran twice as slow in every round of the second run is caught by its intervals."""

from pathlib import Path

import pytest

from conformance.bench import agree

RUN = Path(__file__).parents[1] / "docs" / "benchmarks" / "bench-cpu-rounds.csv"


def test_a_run_agrees_with_itself():
    frame = agree.load(RUN)
    table = agree.agree(frame, frame)
    goals = table[table["kind"] == "goal"]
    assert len(goals) >= 5 and goals["same verdict"].all()
    assert len(table[table["kind"] == "fraction of roofline"]) > 50 and table["overlap"].all()


def test_a_row_twice_as_slow_in_every_round_does_not_overlap():
    frame = agree.load(RUN)
    slower = frame.copy()
    at = slower.index[(slower["workload"] == "wide") & (slower["backend"] == "jax") & (slower["mode"] == "compiled")
                      & (slower["dtype"] == "float32")][0]  # fmt: skip
    slower.at[at, "round_s"] = [2 * v for v in frame.at[at, "round_s"]]
    table = agree.agree(frame, slower).set_index(["kind", "what"])
    moved = [
        ("fraction of roofline", "wide jax compiled float32"),
        ("step / own products", "wide jax compiled float32"),
    ]
    assert not table.loc[moved, "overlap"].any()
    assert table.drop(index=moved)["overlap"].sum() >= len(table) - 4  # a goal may have picked that row


def test_the_committed_runs_agree_as_the_page_says(capsys):
    """docs/benchmarks.md: runs 4 and 5, an hour apart, with the spread runs 1 to 3 measured: every verdict
    the same and every interval overlapping (exit 0); without the spread, not every one (exit 1)."""
    docs = RUN.parent
    runs = [str(docs / "bench-cpu-run4.csv"), str(docs / "bench-cpu-run5.csv")]
    assert agree.main([*runs, "--between-runs", str(docs / "between-runs.json")]) == 0
    assert "13 of 13 goals with the same verdict; 431 of 431 intervals overlap" in capsys.readouterr().out
    assert agree.main(runs) == 1


def test_agree_names_what_it_cannot_read(capsys, tmp_path):
    cases = [([str(RUN)], "required: RUN"), ([str(RUN), str(tmp_path / "b.json")], "b.json: no such file"),
             ([str(RUN), str(RUN), "--between-runs"], "--between-runs: expected one argument")]  # fmt: skip
    for argv, message in cases:
        with pytest.raises(SystemExit) as stop:
            agree.main(argv)
        assert stop.value.code == 2 and message in capsys.readouterr().err
