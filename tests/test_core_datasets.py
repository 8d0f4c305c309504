import h5py
import numpy as np
import pytest

from conformance.core import datasets
from conformance.core.datasets import DatasetError

from conftest import assert_rank2


def course_load_planar_dataset():  # course 1 week 3, planar_utils.py, as the course wrote it
    np.random.seed(1)
    m = 400
    N = int(m / 2)
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_planar_reproduces_the_course_recipe():
    X, Y = datasets.load_planar_dataset()
    course_X, course_Y = course_load_planar_dataset()
    assert_rank2("X", X, (2, 400))
    assert_rank2("Y", Y, (1, 400))
    assert X.dtype == np.float64 and Y.dtype == np.float64
    np.testing.assert_array_equal(X, course_X)
    np.testing.assert_array_equal(Y, course_Y)
    assert Y.sum() == 200


def test_breast_cancer_is_standardised():
    X, Y = datasets.load_breast_cancer_dataset()
    assert_rank2("X", X, (30, 569))
    assert_rank2("Y", Y, (1, 569))
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=1), 1, rtol=1e-12)
    assert set(np.unique(Y)) == {0.0, 1.0}


def test_digits_binary_task():
    X, Y = datasets.load_digits_dataset()
    assert_rank2("X", X, (64, 1797))
    assert X.min() == 0 and X.max() == 1
    assert 0.45 < Y.mean() < 0.55 and set(np.unique(Y)) == {0.0, 1.0}
    _, Y38 = datasets.load_digits_dataset(positive_digits=(3,))
    assert Y38.sum() == 183  # scikit-learn ships 183 threes


@pytest.mark.parametrize(("n_x", "m"), [(1, 1), (3, 17), (200, 5)])
def test_random_data_of_any_shape(n_x, m):
    X, Y = datasets.make_random_dataset(n_x, m, seed=3)
    assert_rank2("X", X, (n_x, m))
    assert_rank2("Y", Y, (1, m))
    assert np.isin(Y, (0.0, 1.0)).all()
    np.testing.assert_array_equal(X, datasets.make_random_dataset(n_x, m, seed=3)[0])


@pytest.mark.parametrize("bad", [0, -2, 2.0, True])
def test_random_data_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="m must be a positive integer"):
        datasets.make_random_dataset(3, bad)


def test_split_keeps_every_column_once():
    X, Y = datasets.make_random_dataset(2, 50, seed=0)
    X_train, _Y_train, X_test, Y_test = datasets.split(X, Y, test_fraction=0.2, seed=1)
    assert X_train.shape == (2, 40) and X_test.shape == (2, 10) and Y_test.shape == (1, 10)
    together = np.concatenate([X_train, X_test], axis=1)
    assert sorted(map(tuple, together.T)) == sorted(map(tuple, X.T))


@pytest.mark.parametrize("name", ["planar", "breast_cancer", "digits", "random"])
def test_load_dataset_by_name(name):
    data = datasets.load_dataset(name, n_x=4, m=30)
    assert data.X_train.ndim == 2 and data.Y_train.shape == (1, data.X_train.shape[1])
    assert (data.X_test is None) == (name == "planar")


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        datasets.load_dataset("mnist")


def test_cat_loader_shapes_and_scale(cat_data_dir):
    train_x, train_y, test_x, test_y, classes = datasets.load_catvnoncat(cat_data_dir)
    assert_rank2("train_x", train_x, (12288, 209))
    assert_rank2("train_y", train_y, (1, 209))
    assert_rank2("test_x", test_x, (12288, 50))
    assert_rank2("test_y", test_y, (1, 50))
    assert 0 <= train_x.min() and train_x.max() <= 1
    assert classes == ["non-cat", "cat"]
    assert train_y.sum() == 72  # the course: 72 cats among 209 training pictures


def write_h5(path, **arrays):
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f[key] = value


def good_arrays(split, m=3):
    x = np.zeros((m, 4, 4, 3), dtype=np.uint8)
    return {f"{split}_set_x": x, f"{split}_set_y": np.array([0, 1, 1][:m]), "list_classes": [b"non-cat", b"cat"]}


def test_cat_loader_reads_a_small_well_formed_directory(tmp_path):
    write_h5(tmp_path / "train_catvnoncat.h5", **good_arrays("train"))
    write_h5(tmp_path / "test_catvnoncat.h5", **good_arrays("test", m=2))
    train_x, _train_y, _test_x, test_y, classes = datasets.load_catvnoncat(tmp_path)
    assert train_x.shape == (48, 3) and test_y.shape == (1, 2) and classes == ["non-cat", "cat"]


def test_cat_loader_names_a_missing_directory(tmp_path):
    with pytest.raises(DatasetError, match=r"nowhere is not a directory.*--data-dir"):
        datasets.load_catvnoncat(tmp_path / "nowhere")


def test_cat_loader_names_a_missing_file_and_what_is_there(tmp_path):
    write_h5(tmp_path / "train_catvnoncat.h5", **good_arrays("train"))
    with pytest.raises(DatasetError, match=r"test_catvnoncat\.h5.*holds the \.h5 files \['train_catvnoncat\.h5'\]"):
        datasets.load_catvnoncat(tmp_path)


def test_cat_loader_names_the_keys_it_found(tmp_path):
    write_h5(tmp_path / "train_catvnoncat.h5", images=np.zeros((2, 4, 4, 3)), labels=np.zeros(2))
    write_h5(tmp_path / "test_catvnoncat.h5", **good_arrays("test"))
    with pytest.raises(
        DatasetError,
        match=r"lacks the keys \['train_set_x', 'train_set_y', 'list_classes'\]; "
        r"keys found: \['images', 'labels'\]",
    ):
        datasets.load_catvnoncat(tmp_path)


def test_cat_loader_rejects_a_file_that_is_not_hdf5(tmp_path):
    (tmp_path / "train_catvnoncat.h5").write_text("not an hdf5 file")
    write_h5(tmp_path / "test_catvnoncat.h5", **good_arrays("test"))
    with pytest.raises(DatasetError, match=r"train_catvnoncat\.h5 is not a readable HDF5 file"):
        datasets.load_catvnoncat(tmp_path)


def test_cat_loader_rejects_bad_shapes_and_labels(tmp_path):
    arrays = good_arrays("train")
    write_h5(tmp_path / "train_catvnoncat.h5", **{**arrays, "train_set_x": np.zeros((3, 48))})
    write_h5(tmp_path / "test_catvnoncat.h5", **good_arrays("test"))
    with pytest.raises(DatasetError, match=r"got \(3, 48\) and \(3,\)"):
        datasets.load_catvnoncat(tmp_path)
    write_h5(tmp_path / "train_catvnoncat.h5", **{**arrays, "train_set_y": np.array([0, 2, 1])})
    with pytest.raises(DatasetError, match="labels other than 0 and 1"):
        datasets.load_catvnoncat(tmp_path)
