"""Numeric input that used to give silent wrong numbers or the wrong error (issue 13, families 5 and 9).

Each family is fuzzed with hypothesis; the counts of generated cases per run
are the ``max_examples`` below (see docs/reliability.rst).
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.exceptions import NonFiniteLossError

from conftest import TINY

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_F32_MAX = float(np.finfo(np.float32).max)


@FUZZ
@given(
    scale=st.floats(1e30, _F32_MAX),
    signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=6, max_size=6),
    fraction=st.floats(0.5, 1.0),
)
def test_float32_rows_near_the_float32_limit_give_finite_codes(scale, signs, fraction):
    X64 = (np.array(signs).reshape(3, 2) * np.array([[scale, scale * fraction]])).astype(np.float64)
    X32 = X64.astype(np.float32)
    model = MIMTransformer(**{**TINY, "likelihood": "gaussian"}).fit(X32)
    Z32 = model.transform(X32)
    assert np.isfinite(Z32).all()
    np.testing.assert_allclose(Z32, model.transform(X32.astype(np.float64)), rtol=1e-4, atol=1e-4)
    assert np.isfinite(model.inverse_transform(Z32)).all() and np.isfinite(model.score_samples(X32)).all()


@FUZZ
@given(std=st.floats(1e-12, 1e-5), offset=st.floats(-1e3, 1e3), dtype=st.sampled_from([np.float32, np.float64]))
def test_features_with_a_tiny_spread_are_kept_like_standard_scaler(std, offset, dtype):
    rng = np.random.default_rng(0)
    column = (offset + std * rng.standard_normal(40)).astype(dtype)
    X = np.c_[column, rng.random(40)].astype(dtype)
    from sklearn.preprocessing import StandardScaler

    reference = StandardScaler().fit(X)
    model = MIMTransformer(**{**TINY, "likelihood": "gaussian"}).fit(X)
    np.testing.assert_allclose(model.mean_, reference.mean_, rtol=1e-6, atol=1e-9)
    # same verdict as StandardScaler on which features are constant (scale 1 there, at least 1 here)
    spread = reference.scale_ != 1.0
    # both compute the spread of values near ``offset`` to within its rounding error, eps * |offset| / std
    rounding = np.finfo(dtype).eps * max(1.0, abs(offset)) / std
    np.testing.assert_allclose(model.scale_[spread], reference.scale_[spread], rtol=max(1e-6, 100 * rounding))


@FUZZ
@given(X=st.lists(st.lists(st.floats(-5, 5), min_size=3, max_size=3), min_size=2, max_size=6).map(np.array))
def test_bernoulli_scores_only_data_in_the_unit_interval(X):
    model = CMIMTransformer(**TINY).fit(np.random.default_rng(0).random((20, 3)))
    assert model.likelihood_ == "bernoulli"
    if X.min() >= 0 and X.max() <= 1:
        assert np.isfinite(model.score_samples(X)).all()
    else:
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            model.score(X)


@FUZZ
@given(mask=st.lists(st.booleans(), min_size=12, max_size=12))
def test_masked_values_are_refused_with_their_place(mask):
    X = np.ma.masked_array(np.random.default_rng(0).random((4, 3)), mask=np.array(mask).reshape(4, 3))
    if not any(mask):
        np.testing.assert_array_equal(
            CMIMTransformer(**TINY).fit_transform(X), CMIMTransformer(**TINY).fit_transform(X.data)
        )
        return
    row, column = np.argwhere(np.array(mask).reshape(4, 3))[0]
    with pytest.raises(ValueError, match=f"row {row}, column {column}"):
        CMIMTransformer(**TINY).fit(X)


@FUZZ
@given(widths=st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=2, max_size=6))
def test_ragged_rows_are_named(widths):
    X = [1.0 if width is None else [1.0] * width for width in widths]
    if len(set(widths)) == 1:
        return  # a matrix (or a 1-D list): not ragged
    bad = next(index for index, width in enumerate(widths) if width != widths[0])
    with pytest.raises(ValueError, match=f"ragged: row {bad} holds"):
        CMIMTransformer(**TINY).fit(X)


_ODD_COLUMNS = {
    "datetime": lambda n: pd.date_range("2020-01-01", periods=n),
    "timedelta": lambda n: pd.to_timedelta(np.arange(n), unit="s"),
    "period": lambda n: pd.period_range("2020-01", periods=n, freq="M"),
    "interval": lambda n: pd.interval_range(0, n),
    "category": lambda n: pd.Categorical(["a", "b"] * (n // 2) + ["a"] * (n % 2)),
}


@FUZZ
@given(kind=st.sampled_from(sorted(_ODD_COLUMNS)), position=st.integers(0, 2), n=st.integers(2, 12))
def test_non_numeric_column_dtypes_are_named(kind, position, n):
    frame = pd.DataFrame({f"x{i}": np.linspace(0, 1, n) for i in range(2)})
    frame.insert(position, "odd", _ODD_COLUMNS[kind](n))
    with pytest.raises(ValueError, match="column 'odd' has dtype"):
        CMIMTransformer(**TINY).fit(frame)


@FUZZ
@given(row=st.integers(0, 9), column=st.integers(0, 2), missing=st.sampled_from([pd.NA, None, pd.NaT, "x", object()]))
def test_a_missing_or_foreign_cell_in_an_object_column_is_named(row, column, missing):
    frame = pd.DataFrame(np.random.default_rng(0).random((10, 3))).astype(object)
    frame.iloc[row, column] = missing
    with pytest.raises((ValueError, TypeError), match=f"row {row}, column {column}"):
        CMIMTransformer(**TINY).fit(frame)


@pytest.mark.parametrize("callbacks", [["junk"], [3], [("name", "junk")], [("name",)]])
def test_callbacks_that_are_not_callbacks_are_a_type_error(callbacks):
    with pytest.raises(TypeError, match=r"callbacks\[0\]"):
        CMIMTransformer(**{**TINY, "callbacks": callbacks}).fit(np.random.default_rng(0).random((10, 3)))


@pytest.mark.parametrize("device", ["meta", "mps", "cuda:7", "xla", "not a device", 3.5])
def test_unusable_devices_are_a_value_error(device):
    if device == "mps" and MIMTransformer()._validate_params is None:  # pragma: no cover
        pytest.skip()
    with pytest.raises((ValueError, TypeError), match="device"):
        CMIMTransformer(**{**TINY, "device": device}).fit(np.random.default_rng(0).random((10, 3)))


@FUZZ
@given(learning_rate=st.floats(1e30, 1e308))
def test_an_overflowing_learning_rate_is_a_value_error_and_changes_nothing(learning_rate):
    X = np.random.default_rng(0).random((20, 3))
    with pytest.raises(ValueError, match="learning_rate") as info:
        CMIMTransformer(**{**TINY, "learning_rate": learning_rate}).fit(X)
    assert isinstance(info.value, NonFiniteLossError)


@FUZZ
@given(
    temperature=st.one_of(
        st.just(float("inf")), st.just(float("nan")), st.floats(max_value=-1e-9), st.text(max_size=3), st.none()
    )
)
def test_bad_sampling_temperatures_are_a_value_error(temperature):
    model = CMIMTransformer(**TINY).fit(np.random.default_rng(0).random((10, 3)))
    with pytest.raises(ValueError, match="sampling_temperature"):
        model.sample(2, sampling_temperature=temperature)
