"""Two benchmark runs compared (conformance/bench/agree.py): a run agrees with itself, and a row that
ran twice as slow in every round of the second run is caught by its intervals."""

from pathlib import Path

import pytest

from conformance.bench import agree, between

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
    at = slower.index[
        (slower["workload"] == "wide")
        & (slower["backend"] == "jax")
        & (slower["mode"] == "compiled")
        & (slower["dtype"] == "float32")
    ][0]
    slower.at[at, "round_s"] = [2 * v for v in frame.at[at, "round_s"]]
    table = agree.agree(frame, slower).set_index(["kind", "what"])
    moved = [
        ("fraction of roofline", "wide jax compiled float32"),
        ("step / own products", "wide jax compiled float32"),
    ]
    assert not table.loc[moved, "overlap"].any()
    rest = table.drop(index=moved)["overlap"].dropna()
    apart = [what for (kind, what), overlap in rest.items() if not overlap]
    assert all(what.startswith("wide, float32: ") for what in apart), apart  # only goals that may have picked it


@pytest.mark.slow
def test_the_committed_runs_agree_as_the_page_says(capsys):
    """docs/benchmarks/run-5.md: runs 4 and 5, an hour apart, with the spread runs 1 to 3 measured:
    every ratio interval overlapping, and every goal of their time (retired since, or an earlier definition
    of today's, or one of the two single goals) with the same verdict; without the spread, not every
    interval. The goals set later read the same runs too: the summary says which were decided alike."""
    docs = RUN.parent
    runs = [agree.load(docs / f"bench-cpu-run{n}.csv") for n in (4, 5)]
    table = agree.agree(*runs, between.load(docs / "between-runs.json"))
    ratios = table[table["kind"].isin(["fraction of roofline", "step / own products"])]
    assert len(ratios) > 400 and ratios["overlap"].all()
    singles = ("planar, float32: NumPy", "course deep, float64: scikit")
    then = table[table["kind"].isin(["retired", "earlier definition"]) | table["what"].str.startswith(singles)]
    assert len(then) == 16 and then["same verdict"].all()
    plain = agree.agree(*runs)
    assert not plain[plain["kind"].isin(["fraction of roofline", "step / own products"])]["overlap"].all()
    assert agree.main([str(docs / f"bench-cpu-run{n}.csv") for n in (4, 5)]) == 1
    assert "decided alike (met or missed in both)" in capsys.readouterr().out


def test_agree_names_what_it_cannot_read(capsys, tmp_path):
    cases = [
        ([str(RUN)], "required: RUN"),
        ([str(RUN), str(tmp_path / "b.json")], "b.json: no such file"),
        ([str(RUN), str(RUN), "--between-runs"], "--between-runs: expected one argument"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as stop:
            agree.main(argv)
        assert stop.value.code == 2 and message in capsys.readouterr().err
