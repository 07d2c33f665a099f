"""Losses against values computed by hand."""

import math

import numpy as np
import pytest
import torch

from skcmim.losses import (
    LatentOutput,
    MIMLoss,
    amim_loss,
    contrastive_log_prob,
    gaussian_log_density,
    standard_normal_log_density,
    vae_loss,
)

LOG_2PI = math.log(2 * math.pi)


def test_gaussian_log_density_matches_torch_distribution():
    z = torch.tensor([[0.3, -1.2], [2.0, 0.1]])
    mu = torch.tensor([[0.0, -1.0], [1.5, 0.0]])
    log_sigma = torch.tensor([[0.0, -0.5], [0.7, -6.0]])
    expected = torch.distributions.Normal(mu, log_sigma.exp()).log_prob(z).sum(-1)
    torch.testing.assert_close(gaussian_log_density(z, mu, log_sigma), expected)


def test_standard_normal_log_density_by_hand():
    z = torch.tensor([[0.0, 0.0], [1.0, -2.0]])
    expected = torch.tensor([-LOG_2PI, -0.5 * 5 - LOG_2PI])
    torch.testing.assert_close(standard_normal_log_density(z), expected)


def test_amim_and_vae_by_hand():
    # z = mu = 0, sigma = 1, one latent dim, log p(x|z) = -1
    log_px = torch.tensor([-1.0])
    log_qz = log_pz = torch.tensor([-0.5 * LOG_2PI])
    assert amim_loss(log_px, log_qz, log_pz).item() == pytest.approx(1 + 0.5 * LOG_2PI)
    assert vae_loss(log_px, log_qz, log_pz).item() == pytest.approx(1.0)


def test_amim_rewards_confident_encoder_where_vae_penalises_it():
    log_px, log_pz = torch.tensor([-1.0]), torch.tensor([-1.0])
    confident, vague = torch.tensor([2.0]), torch.tensor([-2.0])
    assert amim_loss(log_px, confident, log_pz) < amim_loss(log_px, vague, log_pz)
    assert vae_loss(log_px, confident, log_pz) > vae_loss(log_px, vague, log_pz)


def test_contrastive_batch_of_one_is_zero():
    assert contrastive_log_prob(torch.tensor([[0.5, -2.0]])).tolist() == [0.0]


def test_contrastive_batch_of_two_by_hand():
    z = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)  # cosine similarity 1/sqrt(2)
    tau = 0.5
    s = 1 / math.sqrt(2)
    # B - 1 = 1: the single negative keeps its weight
    expected = 1 / tau - math.log(math.exp(1 / tau) + math.exp(s / tau))
    torch.testing.assert_close(contrastive_log_prob(z, tau), torch.tensor([expected, expected], dtype=torch.float64))


def test_contrastive_batch_of_three_averages_negatives():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=torch.float64)
    tau = 0.1
    # sample 0: negatives with s = 0 and s = -1, averaged over B - 1 = 2
    neg0 = (math.exp(0.0) + math.exp(-1 / tau)) / 2
    expected0 = 1 / tau - math.log(math.exp(1 / tau) + neg0)
    # sample 1: both negatives orthogonal
    expected1 = 1 / tau - math.log(math.exp(1 / tau) + 1.0)
    out = contrastive_log_prob(z, tau)
    assert out[0].item() == pytest.approx(expected0, rel=1e-5)
    assert out[1].item() == pytest.approx(expected1, rel=1e-5)
    assert out[2].item() == pytest.approx(expected0, rel=1e-5)


def test_contrastive_scale_does_not_grow_with_batch():
    rng = np.random.default_rng(0)
    values = [
        contrastive_log_prob(torch.as_tensor(rng.normal(size=(b, 8)), dtype=torch.float32)).mean().item()
        for b in (16, 256, 2048)
    ]
    # a summed (InfoNCE-style) denominator would drop by log(2048/16) ~ 4.9 nats
    assert max(values) - min(values) < 0.5


def test_contrastive_gradient_reaches_negatives():
    z = torch.tensor([[1.0, 0.2], [0.9, 0.1], [0.0, 1.0]], requires_grad=True)
    contrastive_log_prob(z).sum().backward()
    assert torch.all(z.grad.abs().sum(-1) > 0)


def _output(batch=4, dim=3):
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(batch, dim, generator=g)
    log_sigma = torch.randn(batch, dim, generator=g) * 0.1
    z = mu + log_sigma.exp() * torch.randn(batch, dim, generator=g)
    return LatentOutput(mu, log_sigma, z, -torch.rand(batch, generator=g) * 10)


def test_mimloss_composes_terms():
    out = _output()
    log_qz = gaussian_log_density(out.z, out.mu, out.log_sigma)
    log_pz = standard_normal_log_density(out.z)
    mim = MIMLoss()(out)
    torch.testing.assert_close(mim, amim_loss(out.log_px, log_qz, log_pz).mean())
    cmim = MIMLoss(contrastive_weight=2.0, temperature=0.2)(out)
    torch.testing.assert_close(cmim, mim - 2.0 * contrastive_log_prob(out.z, 0.2).mean())
    vae = MIMLoss(objective="vae")(out)
    torch.testing.assert_close(vae, vae_loss(out.log_px, log_qz, log_pz).mean())


def test_mimloss_rejects_unknown_objective():
    with pytest.raises(ValueError, match="objective"):
        MIMLoss(objective="elbo")
