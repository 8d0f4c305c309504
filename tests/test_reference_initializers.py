"""The initialisers against the course's own code, written here as the course wrote it."""

import numpy as np
import pytest

from reference_numpy import initializers
from reference_numpy.deep import initialize_parameters_deep
from reference_numpy.logistic import initialize_with_zeros


def course_initialize_parameters(n_x, n_h, n_y):  # course 1 week 4, two-layer model
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def course_initialize_parameters_deep(layer_dims):  # course 1 week 4, deep application
    np.random.seed(1)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def course_planar_initialize(n_x, n_h, n_y):  # course 1 week 3, planar data
    np.random.seed(2)
    return {
        "W1": np.random.randn(n_h, n_x) * 0.01,
        "b1": np.zeros((n_h, 1)),
        "W2": np.random.randn(n_y, n_h) * 0.01,
        "b2": np.zeros((n_y, 1)),
    }


def assert_same_params(ours, course):
    assert list(ours) == list(course)
    for key in course:
        assert ours[key].shape == course[key].shape, key
        np.testing.assert_array_equal(ours[key], course[key], err_msg=key)


def test_two_layer_matches_course_seeding():
    assert_same_params(
        initializers.initialize_parameters(12288, 7, 1, seed=1), course_initialize_parameters(12288, 7, 1)
    )


def test_deep_application_matches_course_seeding():
    dims = [12288, 20, 7, 5, 1]
    assert_same_params(
        initialize_parameters_deep(dims, seed=1, scheme="xavier"), course_initialize_parameters_deep(dims)
    )


def test_planar_matches_course_seeding():
    assert_same_params(initializers.initialize([2, 4, 1], scheme="small", seed=2), course_planar_initialize(2, 4, 1))


def test_logistic_zeros_are_the_courses():
    """w is rank 2; b is the course's Python float 0.0 (tests/test_reference_course_calls.py: the notebook's calls)."""
    w, b = initialize_with_zeros(5)
    assert w.shape == (5, 1) and type(b) is float
    assert not w.any() and b == 0.0


def test_legacy_path_leaves_the_global_rng_alone():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    initializers.initialize([4, 3, 1], seed=7)
    np.testing.assert_array_equal(np.random.rand(3), expected)


@pytest.mark.parametrize(
    ("scheme", "variance"), [("small", lambda n: 1e-4), ("xavier", lambda n: 1 / n), ("he", lambda n: 2 / n)]
)
def test_scheme_variance(scheme, variance):
    n_prev = 400
    W = initializers.initialize([n_prev, 300, 1], scheme=scheme, rng=np.random.default_rng(0))["W1"]
    # 120000 draws: the sample variance is within 1% of the target with overwhelming probability
    assert W.var() == pytest.approx(variance(n_prev), rel=0.01)


def test_generator_path_is_reproducible_and_not_the_legacy_stream():
    a = initializers.initialize([3, 4, 1], rng=np.random.default_rng(5))
    b = initializers.initialize([3, 4, 1], rng=np.random.default_rng(5))
    legacy = initializers.initialize([3, 4, 1], seed=5)
    assert_same_params(a, b)
    assert not np.array_equal(a["W1"], legacy["W1"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer_dims": [3]}, "at least an input and an output"),
        ({"layer_dims": [3, 0, 1]}, r"layer_dims\[1\] must be a positive integer, got 0"),
        ({"layer_dims": [3, 2.5, 1]}, r"layer_dims\[1\] must be a positive integer, got 2.5"),
        ({"layer_dims": [3, 1], "scheme": "glorot"}, "unknown initialisation scheme 'glorot'"),
        ({"layer_dims": [3, 1], "seed": None}, "give a seed"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        initializers.initialize(**kwargs)


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator, got RandomState"):
        initializers.initialize([3, 1], rng=np.random.RandomState(0))
