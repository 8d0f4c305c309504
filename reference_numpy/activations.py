"""Activations and their backward, in the course's shape: each forward returns (A, cache) with
cache = Z, and each backward turns dA and that cache into dZ = dA * g'(Z), elementwise.

All arrays here are (n[l], m); nothing broadcasts."""

import numpy as np

LEAKY_RELU_SLOPE = 0.01
HIDDEN_ACTIVATIONS = ("relu", "tanh", "leaky_relu", "sigmoid")


def sigmoid(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A = 1 / (1 + exp(-Z)), written so that exp never sees a large positive argument."""
    E = np.exp(-np.abs(Z))  # (n[l], m), in (0, 1]: no overflow for any Z
    A = np.where(Z >= 0, 1 / (1 + E), E / (1 + E))  # (n[l], m)
    return A, Z


def sigmoid_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dZ = dA * s (1 - s), s = sigmoid(Z)."""
    Z = cache
    s, _ = sigmoid(Z)  # (n[l], m)
    dZ = dA * s * (1 - s)  # (n[l], m)
    assert dZ.shape == Z.shape
    return dZ


def relu(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A = max(0, Z)."""
    A = np.maximum(0, Z)  # (n[l], m)
    return A, Z


def relu_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dZ = dA where Z > 0, else 0. At Z == 0 the derivative is taken as 0, as every framework does."""
    Z = cache
    dZ = np.where(Z > 0, dA, 0.0)  # (n[l], m)
    assert dZ.shape == Z.shape
    return dZ


def leaky_relu(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A = Z where Z > 0, else 0.01 Z."""
    A = np.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z)  # (n[l], m)
    return A, Z


def leaky_relu_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dZ = dA where Z > 0, else 0.01 dA (slope 0.01 at Z == 0, as PyTorch and TensorFlow take it)."""
    Z = cache
    dZ = np.where(Z > 0, dA, LEAKY_RELU_SLOPE * dA)  # (n[l], m)
    assert dZ.shape == Z.shape
    return dZ


def tanh(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A = tanh(Z)."""
    A = np.tanh(Z)  # (n[l], m)
    return A, Z


def tanh_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dZ = dA * (1 - tanh(Z)^2)."""
    Z = cache
    A = np.tanh(Z)  # (n[l], m)
    dZ = dA * (1 - A**2)  # (n[l], m)
    assert dZ.shape == Z.shape
    return dZ


FORWARD = {"sigmoid": sigmoid, "relu": relu, "leaky_relu": leaky_relu, "tanh": tanh}
BACKWARD = {
    "sigmoid": sigmoid_backward,
    "relu": relu_backward,
    "leaky_relu": leaky_relu_backward,
    "tanh": tanh_backward,
}
