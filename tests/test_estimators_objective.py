"""The objective's options (latent_scale, reconstruction, contrastive_on) against the loss computed by hand."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import skcmim
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, VAETransformer
from skcmim.losses import (
    LatentOutput,
    MIMLoss,
    contrastive_log_prob,
    gaussian_log_density,
    standard_normal_log_density,
)
from skcmim.networks import SmilesEncoderDecoder

from conftest import FAST, TRICKY

ENCODER_DECODERS = [MIMTransformer, CMIMTransformer, VAETransformer, CVAETransformer]


def _leaf_output(batch=5, dim=3, seed=0):
    """A LatentOutput whose tensors are independent leaves, so gradients can be compared."""
    g = torch.Generator().manual_seed(seed)
    tensors = [torch.randn(batch, dim, generator=g) for _ in range(3)]
    tensors[1] = tensors[1] * 0.3  # log sigma
    log_px = -torch.rand(batch, generator=g) * 50
    n_observed = torch.randint(1, 30, (batch,), generator=g)
    return LatentOutput(*[t.requires_grad_() for t in tensors], log_px.requires_grad_(), n_observed)


def _grads(loss, output):
    return torch.autograd.grad(loss, [output.mu, output.log_sigma, output.z, output.log_px])


def _latent_terms(output):
    return gaussian_log_density(output.z, output.mu, output.log_sigma), standard_normal_log_density(output.z)


@pytest.mark.parametrize("objective", ["amim", "vae"])
def test_per_dimension_scales_latent_gradients_not_the_value(objective):
    output = _leaf_output()
    log_qz, log_pz = _latent_terms(output)
    latent = -0.5 * (log_qz + log_pz) if objective == "amim" else log_qz - log_pz
    by_hand = (-output.log_px + latent / output.z.shape[1]).mean()
    scaled = MIMLoss(objective, latent_scale="per_dimension")(output)
    plain = MIMLoss(objective)(output)
    assert scaled.item() == plain.item()  # KERMT's normalize_gradient leaves the loss value alone
    for got, expected in zip(_grads(scaled, output), _grads(by_hand, output)):
        torch.testing.assert_close(got, expected)


def test_mean_reconstruction_divides_by_observed_count():
    output = _leaf_output()
    log_qz, log_pz = _latent_terms(output)
    by_hand = (-output.log_px / output.n_observed - 0.5 * (log_qz + log_pz)).mean()
    torch.testing.assert_close(MIMLoss(reconstruction="mean")(output), by_hand)


def test_mean_reconstruction_needs_the_count():
    output = _leaf_output()._replace(n_observed=None)
    with pytest.raises(ValueError, match="n_observed"):
        MIMLoss(reconstruction="mean")(output)


@pytest.mark.parametrize("codes", ["z", "mu"])
def test_contrastive_on_picks_the_codes(codes):
    output = _leaf_output()
    log_qz, log_pz = _latent_terms(output)
    contrastive = contrastive_log_prob(getattr(output, codes), 0.2)
    by_hand = (-output.log_px - 0.5 * (log_qz + log_pz) - 3.0 * contrastive).mean()
    loss = MIMLoss(contrastive_weight=3.0, temperature=0.2, contrastive_on=codes)(output)
    torch.testing.assert_close(loss, by_hand)


def test_mu_and_z_contrastive_terms_differ():
    output = _leaf_output()
    on_z = MIMLoss(contrastive_weight=1.0)(output)
    assert MIMLoss(contrastive_weight=1.0, contrastive_on="mu")(output).item() != on_z.item()


def test_score_is_the_plain_objective_whatever_the_options():
    output = _leaf_output()
    plain = MIMLoss().score_per_sample(output)
    for options in (dict(reconstruction="mean"), dict(latent_scale="per_dimension"), dict(contrastive_on="mu")):
        torch.testing.assert_close(MIMLoss(**options).score_per_sample(output), plain)


def test_smiles_network_reports_non_pad_token_counts(tokenizer):
    torch.manual_seed(0)
    model = SmilesEncoderDecoder(tokenizer.vocab_size, 4, max_length=40, embedding_dim=8, hidden_size=16)
    x = torch.as_tensor(tokenizer.encode(["CC", "CCO"], max_length=40))
    # targets are the tokens after <bos>: "CC" -> C, C, <eos>
    np.testing.assert_array_equal(model(x).n_observed.numpy(), [3, 4])


@pytest.mark.parametrize("option", [dict(latent_scale="per_dimension"), dict(reconstruction="mean")])
@pytest.mark.parametrize("cls", ENCODER_DECODERS)
def test_options_fit_transform_and_survive_a_model_file(tmp_path, digits_small, cls, option):
    X = digits_small[0]
    model = cls(**FAST, **option).fit(X)
    assert np.isfinite(model.transform(X)).all()
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))


@pytest.mark.parametrize("cls", [CMIMTransformer, CVAETransformer])
def test_contrastive_on_mu_trains_differently(digits_small, cls):
    X = digits_small[0]
    on_mu = cls(**FAST, contrastive_on="mu").fit(X)
    on_z = cls(**FAST, contrastive_on="z").fit(X)
    assert on_mu.net_.criterion_.contrastive_on == "mu"
    assert not np.array_equal(on_mu.transform(X), on_z.transform(X))


def test_mean_reconstruction_trains_a_smiles_model():
    model = MIMTransformer(**{**FAST, "max_epochs": 15}, reconstruction="mean").fit(TRICKY * 3)
    # averaged over tokens, the reconstruction is a per-token cross-entropy: below log(vocabulary)
    vocab_size = model.tokenizer_.vocab_size
    assert 0 < model.history_[-1, "train_reconstruction"] < np.log(vocab_size) + 1e-6


def test_old_model_files_load_with_the_options_they_were_trained_with():
    # cMIM's defaults changed since 0.1; the file's model was trained without the options
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the file's since-renamed 'temperature' is read under its new name
        model = skcmim.load(Path(__file__).parent / "fixtures" / "numeric_v0_1.safetensors")
    assert model.contrastive_temperature == 0.1 and model.temperature == "deprecated"
    assert isinstance(model, CMIMTransformer)
    assert (model.latent_scale, model.reconstruction, model.contrastive_on) == ("none", "sum", "z")


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(["latent_scale", "reconstruction", "contrastive_on"]),
    value=st.one_of(st.text(max_size=12), st.integers(), st.none()),
)
def test_invalid_option_values_name_the_parameter(name, value):
    if (
        value
        in {
            "latent_scale": ("none", "per_dimension"),
            "reconstruction": ("sum", "mean"),
            "contrastive_on": ("z", "mu"),
        }[name]
    ):
        return
    with pytest.raises(ValueError, match=name):
        CMIMTransformer(**{name: value}).fit(np.zeros((4, 3)))
