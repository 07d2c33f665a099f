"""Shared helpers of the benchmark scripts: data and the linear probe."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcmim.datasets import load_digits_unit, load_mnist_5k

DATASETS = {"digits": load_digits_unit, "mnist5k": load_mnist_5k}


def split(X, y, seed=0):
    """The held-out protocol of the issues: 50/50 stratified split."""
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)


def linear_probe(Z_train, y_train, Z_test, y_test):
    """Held-out accuracy of LogisticRegression on standardised features."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(probe.fit(Z_train, y_train).score(Z_test, y_test))


def embed_both(model, X_train, X_test):
    """Plain and informative embeddings of one fitted model (no retraining)."""
    out = {}
    for informative in (False, True):
        model.set_params(informative=informative)
        out[informative] = model.transform(X_train), model.transform(X_test)
    model.set_params(informative=False)
    return out


__all__ = ["DATASETS", "embed_both", "linear_probe", "np", "split"]
