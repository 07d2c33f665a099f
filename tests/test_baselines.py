"""Baselines: same networks and engine, different losses."""

import numpy as np
import pytest
import torch

import skcmim
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer
from skcmim.losses import nt_xent_loss

from conftest import FAST


def test_losses_differ_only_by_objective(digits_small):
    X = digits_small[0]
    models = {cls: cls(**FAST).fit(X) for cls in (MIMTransformer, VAETransformer, CMIMTransformer, CVAETransformer)}
    # same seed, same networks: identical initial weights, so the first loss differs only by the objective
    first = {cls: m.history_[0, "batches", 0, "train_loss"] for cls, m in models.items()}
    assert len(set(first.values())) == 4
    assert models[MIMTransformer].net_.criterion_.objective == "amim"
    assert models[VAETransformer].net_.criterion_.objective == "vae"
    assert models[CVAETransformer].net_.criterion_.contrastive_weight == 10.0
    assert models[CVAETransformer].set_params(informative=True).transform(X).shape[1] == 4 + 32


def test_nt_xent_by_hand():
    h1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    h2 = h1.clone()
    tau = 0.5
    # code 0: positive (its view) has s=1, the two others s=0
    expected = -(1 / tau) + np.log(np.exp(1 / tau) + 2 * np.exp(0.0))
    out = nt_xent_loss(h1, h2, tau)
    np.testing.assert_allclose(out.numpy(), [expected] * 4, rtol=1e-6)


def test_nt_xent_grows_with_batch_unlike_cmim_term():
    from skcmim.losses import contrastive_log_prob

    g = torch.Generator().manual_seed(0)
    sizes = (16, 1024)
    nce = [nt_xent_loss(*torch.randn(2, b, 8, generator=g)).mean().item() for b in sizes]
    cmim = [-contrastive_log_prob(torch.randn(b, 8, generator=g)).mean().item() for b in sizes]
    assert nce[1] - nce[0] > 2.0  # ~log(2047 / 31)
    assert abs(cmim[1] - cmim[0]) < 0.5


def test_infonce_learns_a_useful_code(digits):
    from sklearn.linear_model import LogisticRegression

    X, y = digits
    model = InfoNCETransformer(**{**FAST, "n_components": 8, "hidden_layer_sizes": (64,), "max_epochs": 20})
    Z = model.fit(X[::2]).transform(X)
    acc = LogisticRegression(max_iter=1000).fit(Z[::2], y[::2]).score(Z[1::2], y[1::2])
    assert acc > 0.6
    assert not hasattr(model, "inverse_transform")


@pytest.mark.parametrize("cls", [VAETransformer, CVAETransformer, InfoNCETransformer])
def test_baselines_save_and_load(tmp_path, digits_small, cls):
    X = digits_small[0]
    model = cls(**FAST).fit(X)
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    assert type(loaded) is cls
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
