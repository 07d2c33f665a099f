"""skorch callbacks through the ``callbacks`` parameter, as skorch users write them."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

from skcmim import CMIMTransformer
from skcmim.streaming import ArrayChunks

from conftest import FAST


def test_an_early_stopping_callback_gets_a_validation_split(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**{**FAST, "max_epochs": 30}, callbacks=[("es", EarlyStopping(patience=2))]).fit(X)
    assert "valid_loss" in model.history_[-1]
    assert model.n_iter_ < 30  # it stopped: with patience 2 and a tiny model, long before 30 epochs


def test_named_callback_parameters_are_set_as_in_skorch(digits_small):
    model = CMIMTransformer(**FAST, callbacks=[("es", EarlyStopping(patience=7)), LRScheduler()])
    assert model.get_params()["callbacks__es__patience"] == 7
    model.set_params(callbacks__es__patience=3, callbacks__LRScheduler__policy="StepLR")
    assert model.callbacks[0][1].patience == 3 and model.callbacks[1].policy == "StepLR"
    with pytest.raises(ValueError, match="There is no callback named 'stop'"):
        model.set_params(callbacks__stop__patience=1)


def test_a_grid_search_reaches_a_callbacks_parameter(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**{**FAST, "max_epochs": 4}, callbacks=[("es", EarlyStopping(patience=1))])
    search = GridSearchCV(model, {"callbacks__es__patience": [1, 2]}, cv=2).fit(X)
    assert [params["callbacks__es__patience"] for params in search.cv_results_["params"]] == [1, 2]
    best = search.best_params_["callbacks__es__patience"]
    assert dict(search.best_estimator_.net_.callbacks_)["es"].patience == best  # the value reached the fit
    assert model.callbacks[0][1].patience == 1  # the searched estimator's own callback is untouched


def test_a_validation_callback_on_streamed_data_is_a_clear_error(digits_small):
    with pytest.raises(ValueError, match="A validation split .* streamed data does not allow"):
        CMIMTransformer(**FAST, callbacks=[EarlyStopping()]).fit(ArrayChunks(digits_small[0], chunk_size=100))


def test_a_callback_that_monitors_no_validation_score_adds_no_split(digits_small):
    class Count(Callback):
        def on_epoch_end(self, net, **kwargs):
            self.epochs_ = getattr(self, "epochs_", 0) + 1

    model = CMIMTransformer(**FAST, callbacks=[("count", Count())]).fit(digits_small[0])
    assert "valid_loss" not in model.history_[-1]
    assert dict(model.net_.callbacks_)["count"].epochs_ == FAST["max_epochs"]


def test_verbose_1_shows_one_bar_for_the_whole_fit(capsys, digits_small):
    CMIMTransformer(**{**FAST, "max_epochs": 3}, verbose=1).fit(digits_small[0])
    err = capsys.readouterr().err
    batches = 3 * int(np.ceil(len(digits_small[0]) / FAST["batch_size"]))
    assert err.count("\n") == 1  # one bar, left on screen; tqdm redraws it in place with carriage returns
    assert f"{batches}/{batches}" in err.rsplit("\r", 1)[-1]
