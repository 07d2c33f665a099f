"""A fitted model is one object: a fit swaps it in at once, and parameters that shape it wait for a refit.

Readers in other threads see the old model or the new one, never a mix;
a parameter such as ``n_components`` changed on a fitted model changes
nothing it does until it is fitted again (``informative`` and the other
options of ``transform`` take effect at once), and ``save`` writes what
``load`` reads back.
"""

import threading

import numpy as np
import pytest
from skorch.callbacks import Callback

import skcmim
from skcmim import CMIMTransformer, MIMTransformer

from conftest import FAST


class Pause(Callback):
    """Holds a fit at the end of its last epoch until told to go on, so another thread can act meanwhile."""

    def __init__(self, reached, proceed):
        self.reached, self.proceed = reached, proceed

    def __deepcopy__(self, memo):  # fit copies its callbacks; the events must stay the test's
        return self

    def on_train_end(self, net, **kwargs):
        self.reached.set()
        self.proceed.wait(timeout=60)


@pytest.fixture
def data(digits_small):
    X = digits_small[0]
    return X, X * 4 - 1  # Bernoulli data, and data a Gaussian model scales


def test_a_transform_racing_a_refit_sees_the_old_model_or_the_new_one(data):
    X, other = data
    model = MIMTransformer(**FAST).fit(X)
    old = model.transform(other)
    reached, proceed = threading.Event(), threading.Event()
    refit = threading.Thread(target=lambda: model.set_params(callbacks=[Pause(reached, proceed)]).fit(other))
    refit.start()
    assert reached.wait(timeout=120)
    during = model.transform(other)  # the new net exists, the swap has not happened
    proceed.set()
    refit.join(timeout=120)
    new = model.set_params(callbacks=None).transform(other)
    np.testing.assert_array_equal(during, old)
    assert model.input_.likelihood_ == "gaussian" and not np.allclose(new, old)


def test_readers_in_threads_see_whole_models_while_fits_swap_them(data):
    X, other = data
    model = MIMTransformer(**FAST).fit(X)
    expected = {id(model.fitted_): model.transform(X[:20])}
    failures, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            view = model._pinned()
            try:
                np.testing.assert_array_equal(view.transform(X[:20]), expected[id(view.fitted_)])
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

    for data_ in (other, X, other):
        fitted = MIMTransformer(**FAST).fit(data_)
        expected[id(fitted.fitted_)] = fitted.transform(X[:20])
        readers = [threading.Thread(target=read) for _ in range(2)]
        for reader in readers:
            reader.start()
        model._commit(fitted.fitted_)  # what a fit does at its end, while readers run
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
        stop.clear()
    assert not failures, failures[0]


def test_informative_switched_by_another_thread_never_breaks_a_transform(data):
    X, _ = data
    model = CMIMTransformer(**FAST).fit(X)
    widths, failures, stop = {4, 4 + 32}, [], threading.Event()

    def flip():
        while not stop.is_set():
            model.set_params(informative=not model.informative)

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        for _ in range(200):
            try:
                Z = model.transform(X[:10])
                names = model.get_feature_names_out()
                assert Z.shape[1] in widths and len(names) in widths
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)
    finally:
        stop.set()
        flipper.join(timeout=60)
    assert not failures, failures[0]


def test_parameters_that_shape_the_model_wait_for_a_refit(data, tmp_path):
    X, _ = data
    model = CMIMTransformer(**FAST).fit(X)
    Z = model.transform(X)
    model.set_params(n_components=7, hidden_layer_sizes=(64, 64), contrastive_weight=0.0)
    np.testing.assert_array_equal(model.transform(X), Z)
    assert model.sample(3, random_state=0).shape == (3, X.shape[1])
    assert len(model.get_feature_names_out()) == FAST["n_components"]
    assert model.inverse_transform(Z).shape == X.shape
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))  # save writes what load accepts
    np.testing.assert_array_equal(loaded.transform(X), Z)
    assert loaded.n_components == FAST["n_components"]
    assert model.fit(X).transform(X).shape == (len(X), 7)  # a refit takes them


def test_options_of_transform_take_effect_at_once_and_are_saved(data, tmp_path):
    X, _ = data
    model = CMIMTransformer(**FAST).fit(X)
    model.set_params(informative=True)
    assert model.transform(X[:3]).shape == (3, 4 + 32)
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    assert loaded.informative and loaded.transform(X[:3]).shape == (3, 4 + 32)


def test_pandas_output_follows_the_fitted_width(data):
    pd = pytest.importorskip("pandas")
    X, _ = data
    model = CMIMTransformer(**FAST).fit(X).set_output(transform="pandas")
    frame = model.set_params(n_components=9).transform(pd.DataFrame(X))
    assert list(frame.columns) == [f"cmimtransformer{i}" for i in range(FAST["n_components"])]
