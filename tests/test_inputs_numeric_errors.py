"""Bad input gets a clear error that says what is wrong and where."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError

from skcmim import CMIMTransformer, MIMTransformer, NumericInput

from conftest import FAST


@pytest.fixture(scope="module")
def fitted(digits_small_module):
    return CMIMTransformer(**FAST).fit(digits_small_module)


@pytest.fixture(scope="module")
def digits_small_module():
    from skcmim.datasets import load_digits_unit

    return load_digits_unit()[0][:200]


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[0.1, np.nan], [0.2, 0.3]]), ValueError, "NaN"),
        (np.array([[0.1, np.inf], [0.2, 0.3]]), ValueError, "infinity"),
        (np.empty((0, 3)), ValueError, "0 sample"),
        (np.array([0.1, 0.2, 0.3]), ValueError, "Expected 2D array"),
        (np.array([[0.1, "abc"], [0.2, 0.3]], dtype=object), ValueError, r"row 0, column 1 holds 'abc'"),
        ([[0.5, 0.2], [0.1, "x"]], ValueError, r"row 1, column 1 holds 'x'"),
        (np.array([[1e300, 0.0], [0.0, 1.0]]), ValueError, "Row 0 .*float32 range"),
    ],
    ids=["nan", "inf", "empty", "1d", "string-in-array", "string-in-list", "beyond-float32"],
)
@pytest.mark.parametrize("Estimator", [MIMTransformer, CMIMTransformer])
def test_bad_input_in_fit(Estimator, X, error, message):
    with pytest.raises(error, match=message):
        Estimator(**FAST).fit(X)


def test_wrong_feature_count_at_transform(fitted, digits_small_module):
    with pytest.raises(ValueError, match="64 features"):
        fitted.transform(digits_small_module[:, :10])
    with pytest.raises(ValueError, match="64 features"):
        fitted.score(digits_small_module[:, :10])


def test_nan_at_transform(fitted, digits_small_module):
    X = digits_small_module.copy()
    X[3, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted.transform(X)


def test_not_fitted():
    model = CMIMTransformer()
    for method in (model.transform, model.score, model.inverse_transform):
        with pytest.raises(NotFittedError):
            method(np.zeros((2, 2)))
    with pytest.raises(NotFittedError):
        model.sample(2)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 0}, "n_components"),
        ({"hidden_layer_sizes": (8, -1)}, "hidden_layer_sizes"),
        ({"input": NumericInput(likelihood="poisson")}, "likelihood"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"temperature": 0.0}, "temperature"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        CMIMTransformer(**{**FAST, **params}).fit(np.random.default_rng(0).random((10, 3)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_fuzz_numeric_input_gives_result_or_clear_error(X):
    """Any float matrix: a finite embedding of the right shape, or a ValueError that says where the problem is."""
    model = CMIMTransformer(n_components=2, hidden_layer_sizes=(8,), max_epochs=1, random_state=0)
    try:
        Z = model.fit_transform(X)
    except ValueError as exc:
        # a bad cell or row by its place, too few samples, or a training that diverged (with what to change)
        assert re.search(r"[Rr]ow \d+|minimum of \d+ is required|diverged", str(exc)), str(exc)
        return
    assert Z.shape == (X.shape[0], 2)
    assert np.all(np.isfinite(Z))


@pytest.mark.parametrize(
    "X, error, message",
    [
        ([{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}], (TypeError, ValueError), r"row 0|dict"),
        ([[1.0, 10**400], [0.5, 0.2]], ValueError, r"row 0, column 1 holds 1000000000"),
        (np.array([["2020-01-01", "2021-01-01"]] * 3, dtype="datetime64[D]"), ValueError, "dates or times"),
        (np.array([[1, 2]] * 3, dtype="timedelta64[s]"), ValueError, "dates or times"),
    ],
    ids=["list-of-dicts", "int-beyond-float", "datetime64", "timedelta64"],
)
def test_values_that_are_not_numbers_name_their_place(X, error, message):
    with pytest.raises(error, match=message):
        CMIMTransformer(**FAST).fit(X)


def test_a_tensor_that_requires_gradients_asks_for_detach():
    torch = pytest.importorskip("torch")
    X = torch.rand(20, 3, requires_grad=True)
    with pytest.raises(TypeError, match=r"X\.detach\(\)"):
        CMIMTransformer(**FAST).fit(X)
    assert CMIMTransformer(**FAST).fit(X.detach()).transform(X.detach()).shape == (20, FAST["n_components"])
