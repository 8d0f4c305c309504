"""Two benchmark runs compared (conformance/bench/agree.py): a run agrees with itself, and a row that
ran twice as slow in every round of the second run is caught by its intervals."""

from pathlib import Path

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
