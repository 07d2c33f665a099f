"""A fit that fails leaves the estimator exactly as it was; a reader during a
fit sees the previous model."""

import copy

import numpy as np
import pytest
from skorch.callbacks import Callback

from skcmim import CMIMTransformer, MIMTransformer, NumericInput
from skcmim.baselines import InfoNCETransformer
from skcmim.exceptions import NonFiniteLossError
from skcmim.streaming import IterableChunks

from conftest import FAST


class RaiseInEpoch(Callback):
    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise RuntimeError("interrupted by the test")


class TransformDuringFit(Callback):
    """Calls the estimator's transform while the fit is running."""

    def __init__(self, estimator, X):
        self.estimator, self.X, self.seen = estimator, X, []

    def __deepcopy__(self, memo):  # fit copies its callbacks; this one must stay the test's
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(self.estimator.transform(self.X))


def _state(model, X):
    # the fitted model is one object: the same object, with the same weights and inputs, is the same model
    fitted = {name: value for name, value in vars(model).items() if name.endswith("_")}
    arrays = {
        name: copy.deepcopy(getattr(model.input_, name)) for name in ("mean_", "scale_") if hasattr(model.input_, name)
    }
    weights = {k: v.clone() for k, v in model.module_.state_dict().items()}
    return model.get_params(deep=False), (fitted, arrays), weights, model.transform(X), len(model.history_)


def _assert_same(before, after):
    params_b, (fitted_b, arrays_b), weights_b, Z_b, epochs_b = before
    params_a, (fitted_a, arrays_a), weights_a, Z_a, epochs_a = after
    assert params_a.keys() == params_b.keys()
    assert fitted_a.keys() == fitted_b.keys()
    for name in fitted_b:
        assert fitted_a[name] is fitted_b[name] or np.array_equal(fitted_a[name], fitted_b[name]), name
    for name in arrays_b:
        np.testing.assert_array_equal(arrays_a[name], arrays_b[name])
    for key in weights_b:
        assert (weights_a[key] == weights_b[key]).all(), key
    np.testing.assert_array_equal(Z_a, Z_b)
    assert epochs_a == epochs_b


@pytest.fixture
def fitted(digits_small):
    X = digits_small[0]
    return CMIMTransformer(**FAST).fit(X), X


@pytest.mark.parametrize("warm_start", [False, True])
def test_diverging_fit_changes_nothing(fitted, warm_start):
    model, X = fitted
    model.set_params(warm_start=warm_start)
    before = _state(model, X)
    with pytest.raises(NonFiniteLossError):
        model.set_params(learning_rate=1e30).fit(X)
    model.set_params(learning_rate=FAST.get("learning_rate", 1e-3))
    _assert_same(before, _state(model, X))


def test_exception_mid_fit_changes_nothing(fitted):
    model, X = fitted
    before = _state(model, X)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.set_params(callbacks=[RaiseInEpoch(2)]).fit(X)
    model.set_params(callbacks=None)
    _assert_same(before, _state(model, X))


def test_exception_mid_continued_fit_changes_nothing(digits_small):
    X = digits_small[0]
    # a continued fit keeps its callbacks: this one breaks the second fit's second epoch
    model = CMIMTransformer(**FAST, warm_start=True, callbacks=[RaiseInEpoch(FAST["max_epochs"] + 2)]).fit(X)
    before = _state(model, X)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(X)
    _assert_same(before, _state(model, X))


@pytest.mark.parametrize(
    "change", [{"n_components": 6}, {"hidden_layer_sizes": (16,)}, {"input": NumericInput(likelihood="gaussian")}]
)
def test_warm_start_refuses_another_network(fitted, change):
    model, X = fitted
    before = _state(model, X)
    with pytest.raises(ValueError, match="another network|but input is now"):
        model.set_params(warm_start=True, **change).fit(X)
    model.set_params(warm_start=False, **{key: CMIMTransformer(**FAST).get_params()[key] for key in change})
    _assert_same(before, _state(model, X))


def test_warm_start_uses_the_current_learning_rate_and_batch_size(fitted):
    model, X = fitted
    model.set_params(warm_start=True, learning_rate=0.01, batch_size=32).fit(X)
    assert model.net_.optimizer_.param_groups[0]["lr"] == 0.01 and model.net_.batch_size == 32


def test_refit_on_other_data_that_fails_keeps_old_scaling(digits_small):
    X = digits_small[0]
    model = MIMTransformer(**FAST).fit(X * 5 - 2)  # Gaussian: mean_ and scale_ learnt
    before = _state(model, X * 5 - 2)
    with pytest.raises(RuntimeError):
        model.set_params(callbacks=[RaiseInEpoch(1)]).fit(X[:, :10] * 100)
    model.set_params(callbacks=None)
    _assert_same(before, _state(model, X * 5 - 2))
    assert model.n_features_in_ == X.shape[1]


def test_interrupted_stream_changes_nothing(fitted):
    model, X = fitted
    before = _state(model, X)
    passes = []

    def chunks():
        passes.append(1)
        yield X[:150]
        if len(passes) > 1:  # the setup pass succeeds, the first epoch breaks
            raise OSError("the data disappeared")
        yield X[150:]

    with pytest.raises(OSError, match="disappeared"):
        model.fit(IterableChunks(chunks))
    _assert_same(before, _state(model, X))


def test_failed_partial_fit_changes_nothing(fitted):
    model, X = fitted
    before = _state(model, X)
    with pytest.raises(ValueError):
        model.partial_fit(X[:, :10])
    with pytest.raises(ValueError):
        model.partial_fit(np.full_like(X, np.nan))
    _assert_same(before, _state(model, X))


def test_failed_first_fit_leaves_an_unfitted_estimator(digits_small):
    X = digits_small[0]
    model = InfoNCETransformer(**FAST, callbacks=[RaiseInEpoch(1)])
    with pytest.raises(RuntimeError):
        model.fit(X)
    assert not [name for name in vars(model) if name.endswith("_")]


def test_transform_during_a_fit_sees_the_previous_model(fitted):
    model, X = fitted
    Z_before = model.transform(X)
    reader = TransformDuringFit(model, X[:50])
    model.set_params(callbacks=[reader], random_state=1).fit(X)
    assert len(reader.seen) == FAST["max_epochs"]
    for Z in reader.seen:
        np.testing.assert_array_equal(Z, Z_before[:50])
    assert not np.array_equal(model.transform(X), Z_before)  # the new model arrives at the end
