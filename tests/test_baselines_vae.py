"""The VAE's KL warm-up and free bits, and the active-dimension count."""

import numpy as np
import pytest
import torch

import skcmim
from skcmim import MIMTransformer
from skcmim.baselines import CVAETransformer, VAETransformer
from skcmim.losses import LatentOutput, MIMLoss, gaussian_log_density, standard_normal_log_density
from skcmim.metrics import active_dimensions, code_activity

from conftest import FAST


def _output(batch=6, dim=4):
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(batch, dim, generator=g) * torch.tensor([0.01, 0.1, 1.0, 3.0])  # small to large KL per dim
    log_sigma = torch.randn(batch, dim, generator=g) * 0.1
    z = mu + log_sigma.exp() * torch.randn(batch, dim, generator=g)
    return LatentOutput(mu, log_sigma, z, -torch.rand(batch, generator=g) * 20)


def _kl_per_dimension(output):
    return gaussian_log_density(
        output.z, output.mu, output.log_sigma, per_dimension=True
    ) - standard_normal_log_density(output.z, per_dimension=True)


def test_free_bits_floor_each_dimension_batch_mean_kl():
    output = _output()
    batch_kl = _kl_per_dimension(output).mean(0)
    floor = float(batch_kl.median())  # some dims below the floor, some above
    by_hand = -output.log_px.mean() + torch.clamp(batch_kl, min=floor).sum()
    torch.testing.assert_close(MIMLoss("vae", free_bits=floor)(output), by_hand)


def test_free_bits_stop_the_gradient_of_dimensions_under_the_floor():
    output = _output()
    mu = output.mu.clone().requires_grad_()
    batch_kl = _kl_per_dimension(output).mean(0)
    MIMLoss("vae", free_bits=float(batch_kl.max()) + 1)(output._replace(mu=mu, z=mu.detach())).backward()
    assert torch.all(mu.grad == 0)  # every dim under the floor: the KL term is a constant


def test_free_bits_is_for_the_vae_only():
    with pytest.raises(ValueError, match="free_bits"):
        MIMLoss("amim", free_bits=0.5)


def test_kl_weight_applies_while_training_only():
    output = _output()
    loss = MIMLoss("vae")
    plain = loss(output)
    loss.kl_weight = 0.25
    kl = (_kl_per_dimension(output).sum(-1)).mean()
    torch.testing.assert_close(loss(output), -output.log_px.mean() + 0.25 * kl)
    assert loss.eval()(output).item() == plain.item()


@pytest.mark.parametrize("cls", [VAETransformer, CVAETransformer])
def test_kl_warmup_ramps_the_weight_over_continued_fits(digits_small, cls):
    X = digits_small[0]
    # free_bits=0: with free bits the loss counts a floored KL, not the train_kl the history records
    model = cls(**FAST, kl_warmup_epochs=4, free_bits=0.0).fit(X)
    assert model.history_[:, "kl_weight"] == [0.0, 0.25, 0.5]
    model.set_params(warm_start=True).fit(X)
    assert model.history_[:, "kl_weight"] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    for record in model.history_:
        total = record["train_reconstruction"] + record["kl_weight"] * record["train_kl"]
        total += 10.0 * record.get("train_contrastive", 0.0)
        assert total == pytest.approx(record["train_loss"], rel=1e-5, abs=1e-4)


def test_kl_warmup_validation_uses_the_full_weight(digits_small):
    vae = VAETransformer(**FAST, kl_warmup_epochs=10, free_bits=0.0, early_stopping=True)
    record = vae.fit(digits_small[0]).history_[0]
    assert record["kl_weight"] == 0.0
    assert record["valid_loss"] == pytest.approx(record["valid_reconstruction"] + record["valid_kl"], rel=1e-5)


@pytest.mark.parametrize("params", [dict(kl_warmup_epochs=2), dict(free_bits=0.5)])
def test_vae_options_survive_a_model_file(tmp_path, digits_small, params):
    X = digits_small[0]
    model = VAETransformer(**FAST, **params).fit(X)
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    # a continued fit of the loaded model continues the ramp from its history
    if "kl_warmup_epochs" in params:
        loaded.partial_fit(X)
        assert loaded.history_[-1, "kl_weight"] == 1.0


@pytest.mark.parametrize("params", [dict(kl_warmup_epochs=-1), dict(kl_warmup_epochs=1.5), dict(free_bits=-0.1)])
def test_invalid_vae_options_name_the_parameter(digits_small, params):
    with pytest.raises(ValueError, match=next(iter(params))):
        VAETransformer(**FAST, **params).fit(digits_small[0])


def test_mim_has_no_vae_options():
    assert "free_bits" not in MIMTransformer().get_params()


def test_free_bits_keep_more_dimensions_active_than_a_collapsed_vae(digits_small):
    X = digits_small[0]
    settings = {**FAST, "n_components": 8, "max_epochs": 20}
    plain = VAETransformer(**settings, free_bits=0.0).fit(X)
    floored = VAETransformer(**settings, free_bits=1.0).fit(X)
    assert active_dimensions(floored, X) >= active_dimensions(plain, X)
    assert active_dimensions(floored, X) > 0


def test_active_dimensions_count_the_variance_of_the_codes(digits_small):
    X = digits_small[0]
    model = VAETransformer(**FAST).fit(X)
    variances = model.transform(X).astype(np.float64).var(axis=0, ddof=1)
    np.testing.assert_allclose(code_activity(model, X), variances)
    threshold = float(np.median(variances))
    assert active_dimensions(model, X, threshold=threshold) == int((variances > threshold).sum())
    assert active_dimensions(model.set_params(informative=True), X, threshold=threshold) == int(
        (variances > threshold).sum()
    )


@pytest.mark.parametrize("threshold", [-1.0, np.nan, np.inf, "0.1", True])
def test_active_dimensions_rejects_bad_thresholds(digits_small, threshold):
    model = VAETransformer(**FAST).fit(digits_small[0][:50])
    with pytest.raises(ValueError, match="threshold"):
        active_dimensions(model, digits_small[0][:50], threshold=threshold)
