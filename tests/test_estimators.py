"""Behaviour of the estimators on real data (digits), with small fast models."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from skcmim import CMIMTransformer, MIMTransformer, NumericInput
from skcmim.exceptions import NonFiniteLossError

from conftest import FAST

ESTIMATORS = [MIMTransformer, CMIMTransformer]


@pytest.fixture(params=ESTIMATORS, ids=lambda c: c.__name__)
def Estimator(request):
    return request.param


def test_pipeline_with_logistic_regression(digits):
    X, y = digits
    model = CMIMTransformer(**{**FAST, "n_components": 8, "hidden_layer_sizes": (64,), "max_epochs": 30})
    pipe = Pipeline([("cmim", model), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(X[::2], y[::2])
    # 8 learned features on held-out real digits: far above the 10% of chance
    assert pipe.score(X[1::2], y[1::2]) > 0.8


def test_grid_search_in_pipeline_and_without_scoring(digits_small):
    X, y = digits_small
    pipe = Pipeline([("cmim", CMIMTransformer(**FAST)), ("clf", LogisticRegression(max_iter=300))])
    search = GridSearchCV(pipe, {"cmim__n_components": [2, 4]}, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    best = search.best_params_["cmim__n_components"]
    assert best == [2, 4][int(np.argmax(scores))]  # the refit candidate is the best-scoring one
    assert search.best_estimator_["cmim"].transform(X).shape == (len(X), best)
    # no scoring: GridSearchCV falls back on the transformer's score()
    unsupervised = GridSearchCV(CMIMTransformer(**FAST), {"n_components": [2, 4]}, cv=2).fit(X)
    assert np.all(np.isfinite(unsupervised.cv_results_["mean_test_score"]))


def test_joblib_round_trip_identical_transform(tmp_path, digits_small, Estimator):
    X, y = digits_small
    pipe = Pipeline([("enc", Estimator(**FAST)), ("clf", LogisticRegression(max_iter=300))]).fit(X, y)
    joblib.dump(pipe, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(loaded[0].transform(X), pipe[0].transform(X))
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))


def test_pickled_weights_are_on_cpu(digits_small):
    model = CMIMTransformer(**FAST).fit(digits_small[0])
    restored = pickle.loads(pickle.dumps(model))
    assert all(p.device.type == "cpu" for p in restored.module_.parameters())


def test_same_random_state_same_embeddings_and_global_rng_untouched(digits_small, Estimator):
    X = digits_small[0]
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    np_before = np.random.get_state()[1].copy()
    a = Estimator(**FAST).fit(X).transform(X)
    b = Estimator(**FAST).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(torch.random.get_rng_state(), before)
    np.testing.assert_array_equal(np.random.get_state()[1], np_before)
    c = Estimator(**{**FAST, "random_state": 1}).fit(X).transform(X)
    assert not np.allclose(a, c)


def test_fit_transform_equals_fit_then_transform(digits_small, Estimator):
    X = digits_small[0]
    np.testing.assert_array_equal(Estimator(**FAST).fit_transform(X), Estimator(**FAST).fit(X).transform(X))


def test_informative_switch_without_refit(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**{**FAST, "hidden_layer_sizes": (32, 16)}).fit(X)
    plain = model.transform(X)
    weights = [p.detach().clone() for p in model.module_.parameters()]
    wide = model.set_params(informative=True).transform(X)
    assert wide.shape == (len(X), 4 + 16 + 32)
    np.testing.assert_array_equal(wide[:, :4], plain)
    assert len(model.get_feature_names_out()) == wide.shape[1]
    assert model.get_feature_names_out()[4] == "cmimtransformer_hidden0_0"
    only_last = model.set_params(informative_layers=(1,)).transform(X)
    np.testing.assert_array_equal(only_last, np.hstack([plain, wide[:, 20:]]))
    assert all(torch.equal(a, b) for a, b in zip(weights, model.module_.parameters()))
    with pytest.raises(ValueError, match="out of range"):
        model.set_params(informative_layers=(5,)).transform(X)


def test_inverse_transform_and_sample(digits_small):
    X = digits_small[0]
    model = MIMTransformer(**{**FAST, "max_epochs": 60, "learning_rate": 3e-3}).fit(X)
    recon = model.inverse_transform(model.transform(X))
    assert recon.shape == X.shape and recon.min() >= 0 and recon.max() <= 1
    # a trained decoder reconstructs better than the mean image
    assert np.mean((recon - X) ** 2) < np.mean((X - X.mean(0)) ** 2)
    wide = model.set_params(informative=True).transform(X)
    np.testing.assert_allclose(model.inverse_transform(wide), recon)
    with pytest.raises(ValueError, match="columns"):
        model.inverse_transform(np.zeros((2, 7)))
    samples = model.sample(5, random_state=0)
    assert samples.shape == (5, X.shape[1])
    np.testing.assert_array_equal(samples, model.sample(5, random_state=0))
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)


def test_gaussian_likelihood_standardises_and_inverts(digits_small):
    X = digits_small[0] * 16 + 3  # real-valued, outside [0, 1]
    model = CMIMTransformer(**{**FAST, "max_epochs": 20}).fit(X)
    assert model.likelihood_ == "gaussian"
    recon = model.inverse_transform(model.transform(X))
    assert abs(recon.mean() - X.mean()) < 1.0
    assert np.mean((recon - X) ** 2) < np.mean((X - X.mean(0)) ** 2)


def test_bernoulli_needs_unit_interval(digits_small):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MIMTransformer(input=NumericInput(likelihood="bernoulli"), **FAST).fit(digits_small[0] * 16)


def test_score_is_deterministic_and_prefers_training_distribution(digits_small, Estimator):
    X = digits_small[0]
    model = Estimator(**{**FAST, "max_epochs": 20}).fit(X)
    assert model.score(X) == model.score(X)
    noise = np.random.default_rng(0).random(X.shape)
    assert model.score(X) > model.score(noise)
    assert model.score_samples(X).shape == (len(X),)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(digits_small, dtype):
    X = digits_small[0].astype(dtype)
    model = CMIMTransformer(**FAST).fit(X)
    assert model.transform(X).dtype == dtype
    assert model.inverse_transform(model.transform(X)).dtype == dtype


def test_history_and_n_iter(digits_small):
    model = CMIMTransformer(**{**FAST, "max_epochs": 4}).fit(digits_small[0])
    assert model.n_iter_ == 4
    losses = model.history_[:, "train_loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]


def test_early_stopping_stops_and_records_validation(digits_small):
    model = CMIMTransformer(
        **{**FAST, "max_epochs": 200, "early_stopping": True, "n_iter_no_change": 2, "tol": 1e3}
    ).fit(digits_small[0])
    assert model.n_iter_ < 200
    assert "valid_loss" in model.history_[-1]


def test_user_callbacks_are_used_and_not_mutated(digits_small):
    class CountEpochs(Callback):
        def initialize(self):
            self.count = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.count += 1

    counter = CountEpochs()
    model = CMIMTransformer(**FAST, callbacks=[("count", counter)]).fit(digits_small[0])
    assert dict(model.net_.callbacks_)["count"].count == FAST["max_epochs"]
    assert not hasattr(counter, "count")


def test_keyboard_interrupt_leaves_usable_model(digits_small):
    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    X = digits_small[0]
    model = CMIMTransformer(**{**FAST, "max_epochs": 10}, callbacks=[Interrupt()]).fit(X)
    assert model.n_iter_ == 2
    assert np.all(np.isfinite(model.transform(X)))


def test_nan_loss_stops_with_clear_error(digits_small):
    with pytest.raises(NonFiniteLossError, match=r"epoch \d+.*learning_rate"):
        MIMTransformer(
            **{**FAST, "learning_rate": 1e12, "max_epochs": 30}, input=NumericInput(likelihood="gaussian")
        ).fit(digits_small[0] * 1e30)


def test_verbose_prints_losses(digits_small, capsys):
    # verbose=1 is the progress bar alone since 0.2 (issue 16); 2 adds the table of losses
    CMIMTransformer(**{**FAST, "max_epochs": 2}, verbose=2).fit(digits_small[0])
    out = capsys.readouterr().out
    assert "train_loss" in out


def test_mixed_precision_path_trains_on_cpu(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**FAST, mixed_precision=True, device="cpu").fit(X)
    assert np.all(np.isfinite(model.transform(X)))


def test_n_components_one_and_single_sample():
    X = np.random.default_rng(0).random((1, 5))
    Z = CMIMTransformer(**{**FAST, "n_components": 1}).fit(X).transform(X)
    assert Z.shape == (1, 1)


def test_device_cpu_and_bad_device(digits_small):
    X = digits_small[0]
    model = MIMTransformer(**FAST, device="cpu").fit(X)
    assert next(model.module_.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="device"):
        MIMTransformer(**FAST, device="gpu0").fit(X)


def test_clone_keeps_params(Estimator):
    est = Estimator(n_components=3, hidden_layer_sizes=(8,), random_state=4)
    assert clone(est).get_params() == est.get_params()


def test_warm_start_continues_training(digits_small):
    X = digits_small[0]
    model = CMIMTransformer(**FAST, warm_start=True).fit(X)
    weights = [p.detach().clone() for p in model.module_.parameters()]
    model.fit(X)
    assert model.n_iter_ == 2 * FAST["max_epochs"]
    assert len(model.history_) == 2 * FAST["max_epochs"]
    assert any(not torch.equal(a, b) for a, b in zip(weights, model.module_.parameters()))
    cold = CMIMTransformer(**FAST).fit(X)
    cold.fit(X)
    assert cold.n_iter_ == FAST["max_epochs"]


def test_partial_fit_one_epoch_per_chunk(digits_small):
    X = digits_small[0]
    model = MIMTransformer(**FAST)
    for chunk in np.array_split(X, 3):
        model.partial_fit(chunk)
    assert model.n_iter_ == 3
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :5])


def test_out_of_memory_suggests_smaller_batch(digits_small):
    class OutOfMemory(Callback):
        def on_batch_begin(self, net, **kwargs):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(MemoryError, match="smaller batch_size"):
        CMIMTransformer(**FAST, callbacks=[OutOfMemory()]).fit(digits_small[0])


def test_transform_from_threads_matches_serial(digits_small):
    from concurrent.futures import ThreadPoolExecutor

    X = digits_small[0]
    model = CMIMTransformer(**FAST, informative=True).fit(X)
    serial = model.transform(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(model.transform, [X] * 8))
    for result in results:
        np.testing.assert_array_equal(result, serial)


def test_grid_search_with_two_jobs(digits_small):
    X, y = digits_small
    pipe = Pipeline([("cmim", CMIMTransformer(**FAST)), ("clf", LogisticRegression(max_iter=300))])
    search = GridSearchCV(pipe, {"cmim__n_components": [2, 4]}, cv=2, n_jobs=2).fit(X, y)
    assert search.best_score_ > 0.2


def test_fit_restores_denormal_flushing_mode(digits_small):
    from skcmim.training.net import _denormals_flushed

    torch.set_flush_denormal(False)
    CMIMTransformer(**FAST).fit(digits_small[0])
    assert not _denormals_flushed()


def test_sample_like_draws_from_the_aggregate_posterior_of_the_data(digits_small):
    from skcmim.estimators import _draw_codes

    X = digits_small[0]
    model = CMIMTransformer(**FAST).fit(X)
    like = X[:5]
    mu, sigma = model._posterior(like)
    np.testing.assert_allclose(mu, model.transform(like), rtol=1e-6, atol=1e-6)  # the posterior mean is the code
    assert (sigma > 0).all() and sigma.shape == mu.shape
    # every code lies within a few posterior widths of one of the five rows' means
    codes = _draw_codes(np.random.RandomState(0), 2000, FAST["n_components"], (mu, sigma))
    widths = np.abs(codes[:, None, :] - mu[None]) / sigma[None]
    assert np.all(np.min(np.max(widths, axis=2), axis=1) < 6)
    # and sample(like=) decodes exactly such codes
    expected = model.inverse_transform(_draw_codes(np.random.RandomState(3), 40, FAST["n_components"], (mu, sigma)))
    np.testing.assert_allclose(model.sample(40, random_state=3, like=like), expected, rtol=1e-6, atol=1e-6)


def test_sample_like_needs_a_valid_row():
    from skcmim import SmilesInput

    model = CMIMTransformer(**FAST, input=SmilesInput(), on_invalid="nan").fit(["CCO", "CCN", "CCC", "CC(=O)O"] * 8)
    with pytest.raises(ValueError, match="like= holds no valid row"):
        model.sample(2, like=["C1CC", "xyz"])
