"""Hostile numeric input for every estimator and method.

Every outcome must be a correct result or a clear ValueError/TypeError:
never a crash from inside torch, a silent NaN output or a dropped row.
The hypothesis tests below try EXAMPLES generated inputs per estimator per
run (see docs/reliability.rst).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer

from conftest import TINY

EXAMPLES = 30
ESTIMATORS = [MIMTransformer, CMIMTransformer, VAETransformer, CVAETransformer, InfoNCETransformer]

_elements = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(-1e3, 1e3),
    st.sampled_from([0.0, 1.0, 1e38, 1e39, -1e300, 5e-324]),
)
numeric_arrays = hnp.arrays(
    st.sampled_from([np.float64, np.float32]),
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
    elements=_elements,
)


def _check_outcome(model, X):
    """Fit and use the model; return False when it (correctly) refused the input."""
    try:
        Z = model.fit_transform(X)
    except (ValueError, TypeError) as exc:
        assert str(exc), "errors must explain themselves"
        return False
    assert Z.shape[0] == X.shape[0], "rows must never be dropped"
    assert np.all(np.isfinite(Z)), "no silent NaN/inf output"
    np.testing.assert_array_equal(model.transform(X), Z)
    if hasattr(model, "inverse_transform"):
        X_back = model.inverse_transform(Z)
        assert X_back.shape == X.shape and np.all(np.isfinite(X_back))
        scores = model.score_samples(X)
        assert scores.shape == (X.shape[0],) and np.all(np.isfinite(scores))
    return True


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=numeric_arrays)
def test_fuzz_fit_transform_decode_score(Estimator, X):
    accepted = _check_outcome(Estimator(**TINY), X)
    finite_in_range = np.all(np.isfinite(X)) and np.abs(X.astype(np.float64)).max() <= np.finfo(np.float32).max
    assert accepted == bool(finite_in_range), "finite float32-range input must be accepted, the rest refused"


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_fuzz_transform_width_and_values_after_fit(Estimator, data):
    model = Estimator(**TINY).fit(np.random.default_rng(0).random((20, 4)))
    X = data.draw(numeric_arrays)
    if X.shape[1] != 4:
        # the width or, checked first by scikit-learn, non-finite values
        with pytest.raises(ValueError, match="features|NaN|infinity"):
            model.transform(X)
        return
    try:
        Z = model.transform(X)
    except ValueError as exc:
        assert "NaN" in str(exc) or "infinity" in str(exc) or "float32 range" in str(exc)
        return
    assert Z.shape == (X.shape[0], 2) and np.all(np.isfinite(Z))


@pytest.mark.parametrize(
    "X, message",
    [
        ([[1.0, "a"], [2.0, 3.0]], r"row 0, column 1 holds 'a'"),
        ([[1.0, 2.0], [None, 3.0]], "NaN"),  # numpy reads None as NaN
        ([[1.0, 2.0], [3.0, b"x"]], r"row 1, column 1"),
        ([[1.0, 2.0], [3.0]], "ragged: row 1 holds 1 value where row 0 holds 2 values"),
    ],
)
def test_mixed_type_lists(X, message):
    with pytest.raises(ValueError, match=message):
        CMIMTransformer(**TINY).fit(X)


def test_pandas_with_missing_values_and_arrow():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, None, 3.0], "b": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="NaN"):
        CMIMTransformer(**TINY).fit(frame)
    nullable = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match="NaN|NA"):
        CMIMTransformer(**TINY).fit(nullable)
    pytest.importorskip("pyarrow")
    arrow = pd.DataFrame(
        {
            "a": pd.array([1.0, 2.0, 3.0], dtype="float64[pyarrow]"),
            "b": pd.array([0.5, 0.2, 0.3], dtype="float64[pyarrow]"),
        }
    )
    assert CMIMTransformer(**TINY).fit_transform(arrow).shape == (3, 2)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "X",
    [
        np.ones((10, 3)),  # constant features
        np.random.default_rng(0).random((1, 4)),  # one sample
        np.random.default_rng(0).random((10, 1)),  # one feature
        np.random.default_rng(0).normal(size=(10, 3)) * 1e30,  # huge but float32-representable
        np.arange(30, dtype=np.int64).reshape(10, 3),  # integers
        np.random.default_rng(0).random((10, 3)).astype(object),  # numeric object array
        np.full((3, 1), 1.8446743e19),  # constant and huge: its mean's rounding error once gave NaN losses
    ],
    ids=["constant", "one-sample", "one-feature", "huge", "int", "object", "constant-huge"],
)
def test_odd_but_valid_shapes_and_values(Estimator, X):
    assert _check_outcome(Estimator(**TINY), X)
