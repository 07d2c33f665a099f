"""Parameters and inputs that would allocate without bound are refused or batched (issue 13, family 4)."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skcmim import CMIMTransformer, SmilesInput
from skcmim.estimators import MAX_SAMPLES
from skcmim.molecules import MAX_SMILES_LENGTH
from skcmim.training import DeviceTensorDataset, RaggedRows, TensorBatches

from conftest import FAST, TINY


@pytest.mark.parametrize("max_length", [MAX_SMILES_LENGTH + 3, 10**9, 2])
def test_max_length_beyond_what_a_smiles_can_need_is_refused(max_length):
    with pytest.raises(ValueError, match="max_length"):
        CMIMTransformer(**TINY, input=SmilesInput(max_length=max_length)).fit(["CCO", "CCN"])


@pytest.mark.parametrize("n_samples", [MAX_SAMPLES + 1, 10**9, 0, -3, 2.5, True])
def test_sample_refuses_counts_it_cannot_hold(n_samples, digits_small):
    model = CMIMTransformer(**TINY).fit(digits_small[0])
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(n_samples)


def test_sample_decodes_in_batches_with_the_result_of_one_batch(digits_small):
    model = CMIMTransformer(**TINY).fit(digits_small[0])
    many = model.sample(5000, random_state=0)
    assert many.shape == (5000, digits_small[0].shape[1]) and np.isfinite(many).all()
    np.testing.assert_array_equal(many[:100], model.sample(100, random_state=0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lengths=st.lists(st.integers(3, 40), min_size=1, max_size=60),
    long=st.integers(200, 3000),
    batch_size=st.integers(1, 16),
    seed=st.integers(0, 100),
)
def test_a_long_sequence_pads_only_its_own_batch(lengths, long, batch_size, seed):
    lengths = np.array([*lengths, long])
    flat = np.concatenate([np.full(n, i + 1) for i, n in enumerate(lengths)])  # row i holds the id i + 1
    rows = RaggedRows(flat, lengths, pad_index=0)
    assert rows.flat.numel() == lengths.sum()  # stored without padding
    seen = []
    for batch, _ in TensorBatches(DeviceTensorDataset(rows), batch_size, shuffle=True, seed=seed):
        ids = batch.max(dim=1).values - 1  # which rows this batch holds
        widths = torch.as_tensor(lengths)[ids]
        assert batch.shape[1] == int(widths.max())  # padded to its own longest row
        assert ((batch != 0).sum(dim=1) == widths).all()  # every row whole, padding after it
        seen.extend(ids.tolist())
    assert sorted(seen) == list(range(len(lengths)))  # every row once


def test_one_huge_smiles_among_small_ones_trains_with_per_batch_padding():
    pytest.importorskip("rdkit")
    smiles = ["CCO", "CCN", "c1ccccc1", "CC(=O)O"] * 50 + ["C" * 900]  # under MAX_ATOMS
    model = CMIMTransformer(**{**FAST, "batch_size": 16, "max_epochs": 1}).fit(smiles)
    rows = model.input_.training_input(smiles, model, model._reading())
    assert rows.flat.numel() < 902 + 10 * len(smiles)  # not len(smiles) x 902
    assert np.isfinite(model.transform(smiles[:5])).all()
