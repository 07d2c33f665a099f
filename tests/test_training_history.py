"""history_ records each term of the objective per epoch, and plot_history draws them."""

import numpy as np
import pytest

import skcmim
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer
from skcmim.plotting import plot_history
from skcmim.streaming import ArrayChunks

from conftest import FAST

# (estimator, its terms, the weight of each term in the loss)
WEIGHTED_TERMS = {
    MIMTransformer: {"reconstruction": 1.0, "latent": 1.0},
    CMIMTransformer: {"reconstruction": 1.0, "latent": 1.0, "contrastive": 10.0},
    VAETransformer: {"reconstruction": 1.0, "kl": 1.0},
    CVAETransformer: {"reconstruction": 1.0, "kl": 1.0, "contrastive": 10.0},
}


def _assert_terms_add_up(history, weights, prefix="train"):
    for record in history:
        total = sum(weight * record[f"{prefix}_{name}"] for name, weight in weights.items())
        assert total == pytest.approx(record[f"{prefix}_loss"], rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("cls", list(WEIGHTED_TERMS))
def test_terms_add_up_to_the_loss(digits_small, cls):
    # the VAEs' free bits (on by default) count a floored KL in the loss, not the KL the history records
    plain = {"free_bits": 0.0} if "kl" in WEIGHTED_TERMS[cls] else {}
    model = cls(**FAST, **plain, early_stopping=True).fit(digits_small[0])
    _assert_terms_add_up(model.history_, WEIGHTED_TERMS[cls], "train")
    _assert_terms_add_up(model.history_, WEIGHTED_TERMS[cls], "valid")
    assert "train_contrastive" in model.history_[-1] or "contrastive" not in WEIGHTED_TERMS[cls]


@pytest.mark.parametrize("cls", [cls for cls, terms in WEIGHTED_TERMS.items() if "kl" in terms])
def test_free_bits_only_raise_the_loss_above_its_recorded_terms(digits_small, cls):
    model = cls(**FAST).fit(digits_small[0])
    assert model.free_bits > 0
    for record in model.history_:
        total = sum(weight * record[f"train_{name}"] for name, weight in WEIGHTED_TERMS[cls].items())
        assert record["train_loss"] >= total - 1e-4 * abs(total)


def test_no_validation_terms_without_a_validation_split(digits_small):
    record = MIMTransformer(**FAST).fit(digits_small[0]).history_[-1]
    assert {"train_reconstruction", "train_latent"} <= record.keys()
    assert not any(key.startswith("valid_") for key in record)


def test_contrastive_term_is_positive_and_small_next_to_reconstruction(digits_small):
    record = CMIMTransformer(**FAST).fit(digits_small[0]).history_[-1]
    assert 0 < record["train_contrastive"] < record["train_reconstruction"]


def test_per_batch_term_records_are_dropped_after_the_epoch(digits_small):
    history = CMIMTransformer(**FAST).fit(digits_small[0]).history_
    assert all(batch.keys() == {"train_loss", "train_batch_size"} for batch in history[-1, "batches"])


def test_continued_fits_and_streams_record_terms(digits_small):
    X = digits_small[0]
    model = MIMTransformer(**FAST).partial_fit(X).partial_fit(X)
    model.set_params(warm_start=True).fit(X)
    assert len(model.history_) == 2 + FAST["max_epochs"]
    assert all("train_latent" in record for record in model.history_)
    streamed = MIMTransformer(**FAST).fit(ArrayChunks(X, chunk_size=100))
    _assert_terms_add_up(streamed.history_, WEIGHTED_TERMS[MIMTransformer])


def test_model_file_keeps_the_terms(tmp_path, digits_small):
    model = CMIMTransformer(**FAST, early_stopping=True).fit(digits_small[0])
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    assert loaded.history_[:, "valid_contrastive"] == model.history_[:, "valid_contrastive"]


def test_infonce_history_has_its_loss_only(digits_small):
    record = InfoNCETransformer(**FAST).fit(digits_small[0]).history_[-1]
    assert "train_loss" in record and not any(key.startswith("train_re") for key in record)


# ------------------------------------------------------------------ plot_history


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_plot_history_draws_one_line_per_term(pyplot, digits_small):
    model = CMIMTransformer(**FAST).fit(digits_small[0])
    ax = pyplot.figure().add_subplot()
    assert plot_history(model, ax=ax) is ax
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["train loss", "train reconstruction", "train latent", "train contrastive"]
    np.testing.assert_allclose(ax.lines[3].get_ydata(), model.history_[:, "train_contrastive"])
    assert ax.get_yscale() == "symlog"


def test_plot_history_validation_lines_share_their_colour(pyplot, digits_small):
    model = VAETransformer(**FAST, early_stopping=True).fit(digits_small[0])
    ax = plot_history(model, terms=["kl"])
    (train, valid) = ax.lines
    assert (train.get_label(), valid.get_label()) == ("train kl", "validation kl")
    assert train.get_color() == valid.get_color() and valid.get_linestyle() == "--"


def test_plot_history_rejects_terms_not_recorded(pyplot, digits_small):
    model = MIMTransformer(**FAST).fit(digits_small[0])
    with pytest.raises(ValueError, match="contrastive"):
        plot_history(model, terms=["contrastive"])
