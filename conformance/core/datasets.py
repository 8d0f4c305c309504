"""Datasets, each in the course's layout: X is (n_x, m) float64 with one column per sample, Y is
(1, m) float64 holding 0.0 or 1.0.

- load_planar_dataset: the course's two-petal "flower", generated (no file).
- load_breast_cancer_dataset, load_digits_dataset: the copies that scikit-learn ships.
- make_random_dataset: any shape, labels from a random linear teacher.
- load_catvnoncat: the course's cat / non-cat images from a directory of h5 files (never copied here).
- load_dataset: any of these by name, split into train and test, for `quartet train`.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import ROOT

CAT_FILES = {
    "train": ("train_catvnoncat.h5", "train_set_x", "train_set_y"),
    "test": ("test_catvnoncat.h5", "test_set_x", "test_set_y"),
}
DATASETS = ("planar", "breast_cancer", "digits", "cat", "random")


class DatasetError(ValueError):
    """A dataset that cannot be loaded: a missing directory or file, or a file without the expected keys."""


@dataclass(frozen=True)
class Dataset:
    name: str
    X_train: np.ndarray  # (n_x, m_train)
    Y_train: np.ndarray  # (1, m_train)
    X_test: np.ndarray | None  # (n_x, m_test), None where the course has no test set
    Y_test: np.ndarray | None  # (1, m_test)

    @property
    def n_x(self) -> int:
        return self.X_train.shape[0]


def load_planar_dataset(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The course's flower: after np.random.seed(seed), for class j = 0 then 1, 200 points on
    t = linspace(3.12 j, 3.12 (j + 1)) + 0.2 randn, r = 4 sin(4 t) + 0.2 randn, at (r sin t, r cos t).
    X (2, 400), Y (1, 400)."""
    randn = np.random.RandomState(seed).randn  # the stream of np.random.seed(seed); np.random.randn
    m, n_per_class, petal_length = 400, 200, 4
    X = np.zeros((m, 2))  # (m, 2): the course builds rows, then transposes
    Y = np.zeros((m, 1))  # (m, 1)
    for j in range(2):
        ix = slice(n_per_class * j, n_per_class * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n_per_class) + randn(n_per_class) * 0.2  # theta
        r = petal_length * np.sin(4 * t) + randn(n_per_class) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]  # (200, 2)
        Y[ix] = j
    return X.T, Y.T  # (2, 400), (1, 400)


def standardize(X: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Each row (feature) to zero mean and unit variance, with the statistics of `reference`
    (default X itself); constant features are centred and left unscaled."""
    reference = X if reference is None else reference
    mean = reference.mean(axis=1, keepdims=True)  # (n_x, 1)
    std = reference.std(axis=1, keepdims=True)  # (n_x, 1)
    return (X - mean) / np.where(std > 0, std, 1.0)  # (n_x, m)


def load_breast_cancer_dataset(standardized: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's Wisconsin breast cancer data: X (30, 569), Y (1, 569) with 1 = benign."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X = data.data.T.astype(np.float64)  # (30, 569)
    Y = data.target.reshape(1, -1).astype(np.float64)  # (1, 569)
    return (standardize(X) if standardized else X), Y


def load_digits_dataset(positive_digits: tuple[int, ...] = (1, 3, 5, 7, 9)) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits as a binary task, odd against even by default: X (64, 1797) with
    pixels scaled to [0, 1], Y (1, 1797) = 1 where the digit is in `positive_digits`."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = data.data.T.astype(np.float64) / 16.0  # (64, 1797)
    Y = np.isin(data.target, positive_digits).reshape(1, -1).astype(np.float64)  # (1, 1797)
    return X, Y


def make_random_dataset(
    n_x: int, m: int, seed: int = 0, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, 1) of shape (n_x, m); Y = 1 where a random linear teacher w^T x + noise is positive."""
    for name, value in (("n_x", n_x), ("m", m)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed) if rng is None else rng
    X = rng.standard_normal((n_x, m))  # (n_x, m)
    w = rng.standard_normal((n_x, 1))  # (n_x, 1)
    noise = 0.5 * rng.standard_normal((1, m))  # (1, m)
    Y = ((w.T @ X) / np.sqrt(n_x) + noise > 0).astype(np.float64)  # (1, m)
    return X, Y


def default_data_dir() -> Path:
    """$QUARTET_DATA_DIR, else the course data beside this checkout (../shared/data/catvnoncat)."""
    if os.environ.get("QUARTET_DATA_DIR"):
        return Path(os.environ["QUARTET_DATA_DIR"])
    return ROOT.parent / "shared" / "data" / "catvnoncat"


def _read_h5(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    import h5py

    if not path.is_file():
        found = sorted(p.name for p in path.parent.glob("*.h5")) if path.parent.is_dir() else None
        where = f"the directory holds the .h5 files {found}" if found is not None else "the directory does not exist"
        raise DatasetError(f"cat / non-cat data: no file {path} ({where}); pass --data-dir DIR")
    try:
        with h5py.File(path, "r") as f:
            keys = sorted(f.keys())
            missing = [k for k in (x_key, y_key, "list_classes") if k not in keys]
            if missing:
                raise DatasetError(f"{path} lacks the keys {missing}; keys found: {keys}")
            x, y = np.asarray(f[x_key]), np.asarray(f[y_key])
            classes = [c.decode() if isinstance(c, bytes) else str(c) for c in np.asarray(f["list_classes"])]
    except OSError as err:
        raise DatasetError(f"{path} is not a readable HDF5 file: {err}") from None
    if x.ndim != 4 or y.shape != (x.shape[0],):
        raise DatasetError(
            f"{path}: expected {x_key} of shape (m, height, width, 3) and {y_key} of shape (m,), "
            f"got {x.shape} and {y.shape}"
        )
    if not np.isin(y, (0, 1)).all():
        raise DatasetError(f"{path}: {y_key} holds labels other than 0 and 1: {np.unique(y)[:10]}")
    return x, y, classes


def load_catvnoncat(
    data_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The course's 64x64 RGB images, flattened column by column and scaled to [0, 1]:
    train_x (12288, 209), train_y (1, 209), test_x (12288, 50), test_y (1, 50), classes."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if not data_dir.is_dir():
        raise DatasetError(f"cat / non-cat data: {data_dir} is not a directory; pass --data-dir DIR")
    arrays = []
    for file_name, x_key, y_key in CAT_FILES.values():
        x, y, classes = _read_h5(data_dir / file_name, x_key, y_key)
        arrays.append(x.reshape(x.shape[0], -1).T / 255.0)  # (64 * 64 * 3, m)
        arrays.append(y.reshape(1, -1).astype(np.float64))  # (1, m)
    train_x, train_y, test_x, test_y = arrays
    return train_x, train_y, test_x, test_y, classes


def split(
    X: np.ndarray, Y: np.ndarray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded random split of the columns: X_train, Y_train, X_test, Y_test."""
    m = X.shape[1]
    order = np.random.default_rng(seed).permutation(m)
    n_test = round(test_fraction * m)
    test, train = order[:n_test], order[n_test:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def load_dataset(
    name: str, data_dir: str | os.PathLike | None = None, seed: int = 0, n_x: int = 20, m: int = 1000
) -> Dataset:
    """A named dataset with its train / test split: the course's own for cat, none for planar (the
    course trains and scores on all 400 points), a seeded 80 / 20 split otherwise, standardised
    with the training columns' statistics. `n_x` and `m` size the random dataset."""
    if name == "planar":
        X, Y = load_planar_dataset()
        return Dataset(name, X, Y, None, None)
    if name == "cat":
        train_x, train_y, test_x, test_y, _ = load_catvnoncat(data_dir)
        return Dataset(name, train_x, train_y, test_x, test_y)
    if name == "breast_cancer":
        X, Y = load_breast_cancer_dataset(standardized=False)
    elif name == "digits":
        X, Y = load_digits_dataset()
    elif name == "random":
        X, Y = make_random_dataset(n_x, m, seed=seed)
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    X_train, Y_train, X_test, Y_test = split(X, Y, seed=seed)
    if name == "breast_cancer":
        X_train, X_test = standardize(X_train), standardize(X_test, reference=X_train)
    return Dataset(name, X_train, Y_train, X_test, Y_test)
