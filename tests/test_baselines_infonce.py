"""InfoNCE at full strength: projection head, SCARF and image-shift views, and the variant with a decoder."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_estimators_sklearn_checks import EXTRA_CHECKS

import skcmim
from skcmim.baselines import InfoNCEAETransformer, InfoNCETransformer
from skcmim.losses import NTXentReconstructionLoss, nt_xent_loss
from skcmim.networks import GaussianNoiseDropout, RandomShift, ScarfCorruption, ViewsAndReconstruction

from conftest import FAST, TINY

DIGIT_SHAPE = (8, 8)  # scikit-learn's digits, flattened


# ------------------------------------------------------------------ projection head
def test_projection_head_is_trained_through_but_transform_returns_the_code(digits_small):
    X = digits_small[0]
    plain = InfoNCETransformer(**FAST).fit(X)
    headed = InfoNCETransformer(**FAST, projection_head=(16,)).fit(X)
    module = headed.module_
    Z = headed.transform(X)
    assert Z.shape == (len(X), FAST["n_components"])
    x = torch.as_tensor(headed.input_.to_network(X[:32]), dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_allclose(Z[:32], module.encode(x).numpy(), rtol=1e-5, atol=1e-6)
        # the training output is the head's projection of the views' codes, not the codes
        torch.manual_seed(0)
        h1, _ = module(x)
        torch.manual_seed(0)
        codes = module.encode(module.augment(x))
        torch.testing.assert_close(h1, module.projection(codes))
        assert not torch.allclose(h1, codes)
    # same seed, same encoder initialisation: only the head moved the codes elsewhere
    assert not np.allclose(plain.transform(X), Z)


def test_default_network_holds_the_encoder_weights_only():
    # model files of earlier versions hold exactly these weights; the views have none
    X = np.random.default_rng(0).random((40, 6))
    module = InfoNCETransformer(**TINY).fit(X).module_
    assert module.projection is None
    assert [type(step) for step in module.augment.steps] == [ScarfCorruption]  # "auto" on numeric data
    assert all(key.startswith("encoder.") for key in module.state_dict())
    noise = InfoNCETransformer(**TINY, augmentation="noise").fit(X).module_
    assert [type(step) for step in noise.augment.steps] == [GaussianNoiseDropout]
    assert noise.state_dict().keys() == module.state_dict().keys()


# ------------------------------------------------------------------ SCARF
@settings(max_examples=25, deadline=None)
@given(rows=st.integers(2, 64), n_features=st.integers(1, 40), rate=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_scarf_replaces_the_expected_share_from_the_same_column(rows, n_features, rate, seed):
    # distinct values everywhere, so every replaced cell changes and its source is identifiable
    x = torch.randperm(rows * n_features, generator=torch.Generator().manual_seed(seed)).float().view(rows, n_features)
    torch.manual_seed(seed)
    view = ScarfCorruption(rate)(x)
    changed = view != x
    assert (changed.sum(dim=1) == round(rate * n_features)).all()
    columns = changed.nonzero()[:, 1]
    # every new value is one of its own column's values, from another row
    assert ((view[changed][:, None] == x.T[columns]).sum(dim=1) == 1).all()


def test_scarf_donor_rows_are_spread_over_the_batch():
    x = torch.arange(64.0)[:, None].expand(64, 100).contiguous()  # row i holds i
    torch.manual_seed(0)
    view = ScarfCorruption(0.6)(x)
    assert (view != x).float().mean().item() == pytest.approx(0.6)
    donors = view[view != x].long()
    counts = torch.bincount(donors, minlength=64).float()
    # 3,840 draws over 64 rows: each row is a donor about 60 times, never 0 or 200
    assert counts.min() > 25 and counts.max() < 110


def test_scarf_leaves_a_single_row_alone():
    x = torch.rand(1, 10)
    assert torch.equal(ScarfCorruption(0.6)(x), x)


# ------------------------------------------------------------------ shift
@settings(max_examples=40, deadline=None)
@given(height=st.integers(1, 12), width=st.integers(1, 12), max_shift=st.integers(1, 4), data=st.data())
def test_shift_moves_a_pixel_by_at_most_max_shift(height, width, max_shift, data):
    row = data.draw(st.integers(0, height - 1))
    column = data.draw(st.integers(0, width - 1))
    images = torch.zeros(200, height, width)
    images[:, row, column] = 1.0
    torch.manual_seed(data.draw(st.integers(0, 2**16)))
    shifted = RandomShift((height, width), max_shift)(images.view(200, -1)).view(200, height, width)
    mass = shifted.sum(dim=(1, 2))
    assert ((mass == 0) | (mass == 1)).all() and (shifted >= 0).all()
    kept, new_rows, new_columns = (shifted == 1).nonzero(as_tuple=True)
    assert (abs(new_rows - row) <= max_shift).all() and (abs(new_columns - column) <= max_shift).all()
    inside = max_shift <= row < height - max_shift and max_shift <= column < width - max_shift
    if inside:  # nothing can leave the image: the mass is conserved
        assert (mass == 1).all()


def test_shift_draws_every_offset_and_works_in_image_units():
    height, width, max_shift = 9, 9, 2
    images = torch.zeros(2000, height, width)
    images[:, 4, 4] = 1.0
    # a standardised input: the shift must move raw pixels, and zeros stay zeros
    mean, scale = torch.rand(height * width), torch.rand(height * width) + 0.5
    shift = RandomShift((height, width), max_shift, mean.tolist(), scale.tolist())
    torch.manual_seed(0)
    raw = (shift((images.view(2000, -1) - mean) / scale) * scale + mean).view(2000, height, width)
    np.testing.assert_allclose(raw.sum(dim=(1, 2)).numpy(), 1.0, atol=1e-5)
    _, rows, columns = (raw > 0.5).nonzero(as_tuple=True)
    offsets = set(zip((rows - 4).tolist(), (columns - 4).tolist()))
    assert offsets == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"augmentation": "shift"}, "needs image_shape"),
        ({"augmentation": "shift", "image_shape": (8, 9)}, "72 pixels, but X has 64 features"),
        ({"augmentation": "noise", "image_shape": (4, 4)}, "16 pixels, but X has 64 features"),
        ({"augmentation": ("shift", "noise"), "image_shape": (8, 8, 1)}, "two positive integers"),
        ({"augmentation": ("noise", "blur")}, "augmentation must be one of"),
        ({"augmentation": ()}, "augmentation must be one of"),
        ({"projection_head": (16, 0)}, "projection_head must be a tuple of positive integers"),
    ],
)
@pytest.mark.parametrize("cls", [InfoNCETransformer, InfoNCEAETransformer])
def test_bad_view_parameters_are_clear_errors(digits_small, cls, params, match):
    with pytest.raises(ValueError, match=match):
        cls(**TINY, **params).fit(digits_small[0])


def test_numeric_augmentations_are_refused_for_molecules():
    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "CCN"] * 2
    with pytest.raises(ValueError, match="random SMILES"):
        InfoNCETransformer(**TINY, augmentation="scarf").fit(smiles)
    with pytest.raises(NotImplementedError, match="numeric data only"):
        InfoNCEAETransformer(**TINY).fit(smiles)
    # the projection head does apply to molecules
    model = InfoNCETransformer(**TINY, projection_head=(4,)).fit(smiles)
    assert model.module_.projection is not None and model.transform(smiles).shape == (8, TINY["n_components"])


# ------------------------------------------------------------------ reproducibility
@pytest.mark.parametrize("cls", [InfoNCETransformer, InfoNCEAETransformer])
@pytest.mark.parametrize(
    "views",
    [
        {"augmentation": "scarf"},
        {"augmentation": ("shift", "noise"), "image_shape": DIGIT_SHAPE, "projection_head": (8,)},
    ],
    ids=["scarf", "shift+noise+head"],
)
def test_same_random_state_same_model(digits_small, cls, views):
    X = digits_small[0]
    first, again = (cls(**FAST, **views).fit(X).transform(X) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    other = cls(**{**FAST, "random_state": 1}, **views).fit(X).transform(X)
    assert not np.allclose(first, other)


# ------------------------------------------------------------------ with a decoder
def test_decoder_variant_gives_informative_embeddings(digits_small, tmp_path):
    X = digits_small[0]
    model = InfoNCEAETransformer(
        **{**FAST, "hidden_layer_sizes": (32, 16)}, augmentation="shift", image_shape=DIGIT_SHAPE, projection_head=(16,)
    ).fit(X)
    Z = model.transform(X)
    assert Z.shape == (len(X), 4)
    informative = model.set_params(informative=True).transform(X)
    # the code, then the decoder's hidden layers (mirrored: 16, then 32)
    assert informative.shape == (len(X), 4 + 16 + 32)
    np.testing.assert_array_equal(informative[:, :4], Z)
    assert len(model.get_feature_names_out()) == informative.shape[1]
    assert model.inverse_transform(Z).shape == X.shape
    assert np.isfinite(model.score_samples(X)).all()
    assert not hasattr(model, "sample")  # an auto-encoder without a prior: scikit-learn's available_if
    loaded = skcmim.load(model.save(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(loaded.transform(X), informative)


def test_decoder_variant_reconstructs_and_contrasts(digits_small):
    X = digits_small[0]
    # more weight on reconstruction: better reconstructions of the same data
    errors = {}
    for weight in (0.0, 1.0):
        model = InfoNCEAETransformer(**{**FAST, "max_epochs": 10}, reconstruction_weight=weight).fit(X)
        errors[weight] = np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)
    assert errors[1.0] < errors[0.0]


def test_reconstruction_loss_by_hand():
    g = torch.Generator().manual_seed(0)
    h1, h2, log_px = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g), -torch.rand(5, generator=g)
    loss = NTXentReconstructionLoss(temperature=0.5, reconstruction_weight=2.0)
    per_code = nt_xent_loss(h1, h2, 0.5)
    expected = (per_code[:5] + per_code[5:]) / 2 - 2.0 * log_px
    torch.testing.assert_close(loss.per_sample(ViewsAndReconstruction((h1, h2), log_px)), expected)
    torch.testing.assert_close(loss(ViewsAndReconstruction((h1, h2), log_px)), expected.mean())
    # the history's terms are unweighted
    torch.testing.assert_close(loss.last_terms["reconstruction"], -log_px.mean())
    torch.testing.assert_close(loss.last_terms["contrastive"], per_code.mean())
    # scoring: the log-likelihood alone, unweighted
    torch.testing.assert_close(loss.score_per_sample(ViewsAndReconstruction(None, log_px)), -log_px)


def test_decoder_variant_records_its_terms(digits_small):
    model = InfoNCEAETransformer(**FAST, reconstruction_weight=0.5).fit(digits_small[0])
    last = model.history_[-1]
    assert last["train_loss"] == pytest.approx(last["train_contrastive"] + 0.5 * last["train_reconstruction"], rel=1e-5)


# ------------------------------------------------------------------ scikit-learn contract
CHECKED = dict(hidden_layer_sizes=(32, 32), max_epochs=10)
ESTIMATORS = [
    InfoNCEAETransformer(informative=True, augmentation="scarf", projection_head=(16,), **CHECKED),
    InfoNCETransformer(augmentation=("scarf", "noise"), projection_head=(16,), **CHECKED),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("check", EXTRA_CHECKS, ids=lambda c: c.__name__)
def test_checks_skipped_by_check_estimator(estimator, check):
    pytest.importorskip("pandas")
    check(type(estimator).__name__, estimator)
