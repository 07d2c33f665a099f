"""Training batches of token sequences bucketed by length, and the encoder that reads padded batches.

``TensorBatches`` buckets shuffled ``RaggedRows`` so that each batch is
padded to about its own rows' length; dense rows are batched as before.
``SmilesEncoder`` reads each row of a padded batch within its length and
must give what a bidirectional GRU over packed sequences gives.
"""

import gzip

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skcmim.networks import SmilesEncoderDecoder
from skcmim.training import DeviceTensorDataset, RaggedRows, TensorBatches

FIRST_ID = 10  # row i's tokens are all FIRST_ID + i, so a batch names its rows


def _ragged(lengths, views=None):
    """Rows whose every token is FIRST_ID + row index, of the given lengths (per view when 2-D)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    rows = np.arange(len(lengths)) + FIRST_ID
    per_token = np.repeat(rows[:, None] if lengths.ndim == 2 else rows, lengths.reshape(len(lengths), -1).sum(1))
    return RaggedRows(torch.as_tensor(per_token), torch.as_tensor(lengths), pad_index=0)


def _batches(data, batch_size=8, seed=0, **options):
    return TensorBatches(DeviceTensorDataset(data), batch_size, shuffle=True, seed=seed, **options)


def _rows_of(batch):
    """The row index of each sequence of a padded batch (2-D, or 3-D with views)."""
    first = batch[..., 0] if batch.dim() == 2 else batch[:, 0, 0]
    return (first - FIRST_ID).tolist()


class _Chunks:
    """A stream of RaggedRows chunks, as TensorBatches reads a StreamDataset."""

    def __init__(self, parts):
        self.parts = parts

    def __len__(self):
        return sum(len(part) for part in self.parts)

    def chunks(self):
        yield from self.parts


LENGTHS = st.lists(st.integers(1, 40), min_size=1, max_size=300)


@settings(max_examples=40, deadline=None)
@given(LENGTHS, st.integers(1, 16), st.integers(1, 6))
def test_every_row_once_per_epoch_in_batches_padded_to_their_own_rows(lengths, batch_size, pool):
    batches = _batches(_ragged(lengths), batch_size, length_buckets=pool)
    for _ in range(2):  # two epochs
        seen, sizes = [], []
        for batch, _ in batches:
            rows = _rows_of(batch)
            assert batch.shape[1] == max(lengths[row] for row in rows)  # padded to its own longest row
            seen.extend(rows)
            sizes.append(len(rows))
        assert sorted(seen) == list(range(len(lengths)))
        # full batches, then the rest
        assert sizes[:-1] == [batch_size] * (len(sizes) - 1) and sizes[-1] == (len(lengths) % batch_size or batch_size)


def test_views_are_bucketed_by_their_longest_and_stay_together():
    lengths = np.random.default_rng(0).integers(3, 30, size=(50, 3))
    for batch, _ in _batches(_ragged(lengths, views=3), 8):
        rows = _rows_of(batch)
        assert batch.shape[:2] == (len(rows), 3) and batch.shape[2] == lengths[rows].max()
        assert ((batch == 0) | (batch == torch.as_tensor(rows)[:, None, None] + FIRST_ID)).all()


def test_streamed_chunks_are_bucketed_and_carry_their_rest_over():
    lengths = np.random.default_rng(1).integers(2, 30, size=100)
    data = _ragged(lengths)
    parts = [data.subset(torch.arange(start, min(start + 37, 100))) for start in range(0, 100, 37)]
    seen = [row for batch, _ in TensorBatches(_Chunks(parts), 16, shuffle=True, seed=0) for row in _rows_of(batch)]
    assert sorted(seen) == list(range(100))


def test_batches_are_deterministic_per_seed_and_change_between_epochs():
    data = _ragged(np.random.default_rng(2).integers(2, 40, size=400))

    def epochs(seed):
        batches = _batches(data, 16, seed=seed)
        return [[_rows_of(batch) for batch, _ in batches] for _ in range(2)]

    first, again, other = epochs(0), epochs(0), epochs(1)
    assert first == again
    assert first[0] != first[1] and first != other
    # the membership of batches changes too, not only their order
    assert {tuple(sorted(rows)) for rows in first[0]} != {tuple(sorted(rows)) for rows in first[1]}


def test_dense_rows_are_batched_exactly_as_without_buckets():
    X = torch.randn(203, 5)
    generator = torch.Generator().manual_seed(3)
    expected = X[torch.randperm(203, generator=generator)].split(16)
    for options in ({}, {"length_buckets": None}):
        got = [batch for batch, _ in _batches(X, 16, seed=3, **options)]
        assert len(got) == len(expected) and all(torch.equal(a, b) for a, b in zip(got, expected))


def test_unshuffled_ragged_rows_keep_their_order():
    data = _ragged([5, 1, 9, 3, 7, 2])
    batches = TensorBatches(DeviceTensorDataset(data), 4, shuffle=False)
    assert [_rows_of(batch) for batch, _ in batches] == [[0, 1, 2, 3], [4, 5]]


def _zinc_lengths():
    from conftest import SHARED_DATA

    path = SHARED_DATA / "zinc_moses_test.csv.gz"
    if not path.is_file():
        pytest.skip(f"needs {path} (set SKCMIM_TEST_DATA)")
    from skcmim.molecules import SmilesTokenizer

    with gzip.open(path, "rt") as handle:
        next(handle)
        smiles = [next(handle).strip() for _ in range(10_000)]
    return SmilesTokenizer().fit(smiles).lengths(smiles)


def test_buckets_cut_the_padding_of_real_zinc_batches():
    lengths = _zinc_lengths()
    data, tokens = _ragged(lengths), int(lengths.sum())

    def padding(**options):
        return sum(batch.numel() for batch, _ in _batches(data, 128, **options)) - tokens

    random, bucketed = padding(length_buckets=None), padding()
    # measured: random batches of 128 pad ZINC by ~27% of its tokens, pools of 50 batches by ~1%
    assert random > 0.2 * tokens
    assert bucketed < 0.1 * random


# -- the encoder reads padded batches ------------------------------------------------------------------


def _padded(lengths, vocab_size, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randint(3, vocab_size, (len(lengths), max(lengths)), generator=generator)
    lengths = torch.as_tensor(lengths)
    return x.masked_fill(torch.arange(x.shape[1]) >= lengths[:, None], 0), lengths


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=9), st.integers(1, 2), st.integers(0, 1000))
def test_encoder_gives_what_a_packed_bidirectional_gru_gives(lengths, num_layers, seed):
    torch.manual_seed(seed)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=num_layers).eval()
    x, lengths = _padded(lengths, 12, seed)
    embedded = module.encoder_embedding(x)  # with gradients: the padded two-pass path
    expected = module._packed_final_states(embedded, lengths)
    torch.testing.assert_close(module._final_states(embedded, lengths), expected, rtol=1e-5, atol=1e-6)


def test_inference_in_float64_encodes_with_the_packed_gru_bit_for_bit():
    # where the fused kernel does not apply (float64 here; a GPU; SKCMIM_FUSED_GRU=0) saved models
    # transform exactly as they did when the encoder always packed
    torch.manual_seed(0)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=2).eval().double()
    x, lengths = _padded([7, 2, 5, 7, 1], 12, 0)
    with torch.inference_mode():
        embedded = module.encoder_embedding(x)
        assert torch.equal(module._final_states(embedded, lengths), module._packed_final_states(embedded, lengths))
        assert module.encode(x[:0]).shape == (0, 3)


def test_encoder_gradients_match_the_packed_gru():
    torch.manual_seed(0)
    module = SmilesEncoderDecoder(12, 3, hidden_size=8, embedding_dim=5, num_layers=2)
    x, lengths = _padded([7, 2, 5, 7, 1], 12, 0)

    def gradients(final_states):
        module.zero_grad()
        final_states(module.encoder_embedding(x)).square().sum().backward()
        return {name: p.grad.clone() for name, p in module.named_parameters() if p.grad is not None}

    expected = gradients(lambda embedded: module._packed_final_states(embedded, lengths))
    got = gradients(lambda embedded: module._final_states(embedded, lengths))
    assert expected.keys() == got.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-4, atol=1e-6, msg=name)


def test_smiles_training_is_bucketed_by_default():
    pytest.importorskip("rdkit")
    from skorch.callbacks import Callback

    from skcmim import CMIMTransformer

    from conftest import FAST

    class Padding(Callback):
        def initialize(self):
            self.cells, self.tokens = 0, 0
            return self

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            self.cells += batch[0].numel()
            self.tokens += int((batch[0] != 0).sum())

    smiles = ["C" * n for n in range(1, 41)] * 4  # lengths 3..42 tokens, 160 rows
    model = CMIMTransformer(**{**FAST, "max_epochs": 1, "batch_size": 16}, callbacks=[("padding", Padding())])
    padding = dict(model.fit(smiles).net_.callbacks_)["padding"]
    assert padding.tokens == sum(n + 2 for n in range(1, 41)) * 4
    # one pool of 50 batches holds all 160 rows, sorted: each batch of 16 holds 4 copies of 4 consecutive
    # lengths, padded by 3 + 2 + 1 + 0 tokens per copy (unbucketed batches of 16 pad these rows by ~2,800)
    assert padding.cells - padding.tokens == 10 * 4 * (3 + 2 + 1)
