"""A benchmark row (conformance/bench/row.py): typed where it is built, plain at the borders it crosses."""

import json
import pickle

import pytest

from conformance.bench.row import COLUMNS, Row, frame_of


def test_a_row_crosses_json_and_pickle_unchanged():
    row = Row("planar", "", "jax", "compiled", "float32", m=400, median_s=1e-4, round_s=[1e-4, 2e-4], status="ok")
    assert Row.from_dict(json.loads(json.dumps(row.as_dict()))) == row
    assert pickle.loads(pickle.dumps(row)) == row
    assert list(row.as_dict()) == COLUMNS


def test_a_dict_with_a_field_rows_do_not_have_is_refused_by_name():
    with pytest.raises(ValueError, match="no field 'seconds'"):
        Row.from_dict({**Row("planar", "", "jax", "eager", "float64").as_dict(), "seconds": 1.0})


def test_the_table_leaves_what_a_row_did_not_measure_empty():
    """A bound is not checked (verified None) and a failed row has no time: empty cells, as the CSV reads back."""
    bound = Row("planar", "", "numpy", "products alone", "float64", status="ok", median_s=1e-5)
    failed = Row("planar", "", "numpy", "eager", "float64", status="check failed", verified=False).failed("x" * 300)
    frame = frame_of([bound, failed])
    assert list(frame.columns) == COLUMNS
    assert frame["verified"].isna().tolist() == [True, False] and frame["median_s"].isna().tolist() == [False, True]
    assert frame["device_mem_mb"].dtype == float and len(frame["status"].iloc[1]) == 200
