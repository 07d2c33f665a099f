"""Fitting from chunk sources: memmaps, generators and SMILES files.

Chunked training must see every row once per epoch, compute the same
feature statistics as an in-memory fit, name the chunk of a bad row, and
keep memory bounded by the chunk rather than the data.
"""

import gzip
import re
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import skcmim.streaming
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.inputs import FeatureStats
from skcmim.streaming import ArrayChunks, IterableChunks, SmilesFile, as_chunk_source
from skcmim.training import DeviceTensorDataset, StreamDataset, TensorBatches

from conftest import FAST


def test_one_chunk_trains_exactly_like_an_array(digits):
    X, _ = digits
    in_memory = CMIMTransformer(**FAST).fit(X)
    streamed = CMIMTransformer(**FAST).fit(ArrayChunks(X, chunk_size=len(X)))
    np.testing.assert_array_equal(streamed.transform(X), in_memory.transform(X))


def test_chunked_statistics_match_the_whole_data(digits):
    X = digits[0] * 16 + np.arange(64)  # not in [0, 1]: a Gaussian, standardised model
    streamed = MIMTransformer(**FAST).fit(ArrayChunks(X, chunk_size=100))
    in_memory = MIMTransformer(**FAST).fit(X)
    assert streamed.likelihood_ == in_memory.likelihood_ == "gaussian"
    np.testing.assert_allclose(streamed.mean_, in_memory.mean_, rtol=1e-12)
    np.testing.assert_allclose(streamed.scale_, in_memory.scale_, rtol=1e-9)
    assert streamed.n_iter_ == FAST["max_epochs"] and streamed.n_features_in_ == 64


@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.integers(1, 17))
@settings(max_examples=40, deadline=None)
def test_feature_stats_merge_is_exact(sizes, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(3.0, 2.0, size=(sum(sizes), 3))
    parts = np.split(X, np.cumsum(sizes)[:-1])
    merged = FeatureStats.of(parts[0])
    for part in parts[1:]:
        merged = merged.merge(FeatureStats.of(part))
    whole = FeatureStats.of(X)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-12)
    np.testing.assert_allclose(merged.std, whole.std, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(merged.low, whole.low)
    np.testing.assert_array_equal(merged.high, whole.high)


@given(st.lists(st.integers(1, 30), min_size=1, max_size=6), st.integers(1, 12), st.sampled_from([1, 2, 3]))
@settings(max_examples=60, deadline=None)
def test_batches_see_every_row_once_and_shards_cover_them(chunk_sizes, batch_size, world_size):
    rows = torch.arange(sum(chunk_sizes))
    source = IterableChunks(list(torch.split(rows, chunk_sizes)))
    stream = StreamDataset(source, lambda chunk: chunk)
    batches = [b for b, _ in TensorBatches(stream, batch_size, shuffle=True, seed=1)]
    assert sorted(torch.cat(batches).tolist()) == rows.tolist()
    assert all(len(b) == batch_size for b in batches[:-1])
    shards = [
        [b for b, _ in TensorBatches(stream, batch_size, shuffle=True, seed=1, rank=r, world_size=world_size)]
        for r in range(world_size)
    ]
    for index, batch in enumerate(b for b in batches if len(b) >= world_size):
        together = torch.cat([shard[index] for shard in shards])
        assert together.tolist() == batch[: len(together)].tolist()
        assert len(batch) - len(together) < world_size  # trimmed to a multiple of world_size


def test_in_memory_batches_are_unchanged():
    X = torch.arange(10)
    batches = [b for b, _ in TensorBatches(DeviceTensorDataset(X), 4)]
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_large_memmap_is_streamed(tmp_path, monkeypatch, digits):
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=digits[0].shape)
    X[:] = digits[0]
    X.flush()
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert as_chunk_source(X) is None  # smaller than a chunk: read into memory
    monkeypatch.setattr(skcmim.streaming, "DEFAULT_CHUNK_SIZE", 500)
    source = as_chunk_source(X)
    assert isinstance(source, ArrayChunks) and source.chunk_size == 500
    model = MIMTransformer(**FAST).fit(X)
    assert model.transform(X[:7]).shape == (7, FAST["n_components"])


def _peak_python_memory(fit, X):
    tracemalloc.start()
    try:
        fit(X)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_data_grows(tmp_path):
    params = dict(FAST, max_epochs=1, batch_size=256)
    rng = np.random.default_rng(0)
    peaks = {}
    for n_rows in (8_000, 64_000):
        path = tmp_path / f"{n_rows}.npy"
        X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_rows, 64))
        X[:] = rng.random((n_rows, 64), dtype=np.float32)
        X.flush()
        del X
        data = np.load(path, mmap_mode="r")
        peaks[n_rows] = _peak_python_memory(lambda d: MIMTransformer(**params).fit(ArrayChunks(d, 2_000)), data)
    data_bytes = 64_000 * 64 * 4
    assert peaks[64_000] < 1.5 * peaks[8_000], peaks
    assert peaks[64_000] < data_bytes / 4, (peaks, data_bytes)


def test_generator_function_gives_a_pass_per_epoch(digits):
    X = digits[0]
    passes = []

    def chunks():
        passes.append(1)
        for start in range(0, len(X), 500):
            yield X[start : start + 500]

    model = CMIMTransformer(**FAST).fit(IterableChunks(chunks))
    assert model.n_iter_ == FAST["max_epochs"]
    # one pass per epoch, the setup pass, and a look at the first chunk to
    # tell SMILES from numbers
    assert len(passes) == FAST["max_epochs"] + 2


def test_a_one_pass_generator_is_refused_with_advice(digits):
    X = digits[0]
    one_pass = (X[start : start + 500] for start in range(0, len(X), 500))
    with pytest.raises(TypeError, match="one-pass iterator.*partial_fit"):
        IterableChunks(one_pass)


def test_errors_name_the_chunk(digits):
    X = digits[0]
    bad = X[:100].copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match=r"In chunk 1 of .*NaN"):
        MIMTransformer(**FAST).fit(IterableChunks([X[:100], bad]))
    with pytest.raises(ValueError, match=r"In chunk 1 of .*features"):
        MIMTransformer(**FAST).fit(IterableChunks([X[:100], X[:100, :10]]))
    with pytest.raises(ValueError, match="yielded no data"):
        MIMTransformer(**FAST).fit(IterableChunks(list))
    with pytest.raises(ValueError, match="early_stopping"):
        MIMTransformer(**FAST, early_stopping=True).fit(ArrayChunks(X, 500))
    with pytest.raises(ValueError, match="chunk_size"):
        ArrayChunks(X, chunk_size=0)
    with pytest.raises(TypeError, match="IterableChunks needs"):
        IterableChunks(3)


# ------------------------------------------------------------------ molecules
SMILES = [
    "CCO",
    "c1ccccc1O",
    "CC(=O)Nc1ccc(O)cc1",
    "C1CCNCC1",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "O=C(O)c1ccccc1",
    "CN1CCC[C@H]1c1cccnc1",
    "ClC(Cl)Cl",
    "CCOC(=O)C",
    "c1ccc2ccccc2c1",
    "N#Cc1ccccc1",
    "CC(C)(C)O",
]


def _smiles_file(path, smiles, header="SMILES"):
    with gzip.open(path, "wt") as handle:
        handle.write(f"{header},name\n" if header else "")
        for index, text in enumerate(smiles):
            handle.write(f"{text},mol{index}\n" if header else f"{text}\n")
    return path


@pytest.mark.parametrize("header", ["SMILES", None])
def test_smiles_file_streams_rows_in_order(tmp_path, header):
    path = _smiles_file(tmp_path / "mols.csv.gz", SMILES, header)
    source = SmilesFile(path, chunk_size=5)
    assert [len(chunk) for chunk in source] == [5, 5, 2]
    assert [s for chunk in source for s in chunk] == SMILES
    assert list(SmilesFile(path, chunk_size=5, n_samples=7).lines()) == SMILES[:7]


def test_smiles_file_fit_matches_the_in_memory_vocabulary(tmp_path):
    pytest.importorskip("rdkit")
    path = _smiles_file(tmp_path / "mols.csv.gz", SMILES * 5)
    streamed = CMIMTransformer(**FAST).fit(SmilesFile(path, chunk_size=16))
    in_memory = CMIMTransformer(**FAST).fit(SMILES * 5)
    assert streamed.input_kind_ == "smiles"
    assert streamed.tokenizer_.vocabulary_ == in_memory.tokenizer_.vocabulary_
    assert streamed.max_length_ == in_memory.max_length_
    assert streamed.transform(SMILES).shape == (len(SMILES), FAST["n_components"])


def test_an_invalid_smiles_names_its_chunk_and_row(tmp_path):
    pytest.importorskip("rdkit")
    path = _smiles_file(tmp_path / "mols.csv.gz", SMILES[:6] + ["C1CC(", *SMILES[6:]])
    with pytest.raises(ValueError, match=r"In chunk 1 of SmilesFile.*Row 2 .*C1CC\("):
        MIMTransformer(**FAST).fit(SmilesFile(path, chunk_size=4))


def test_load_zinc_streams(tmp_path):
    from skcmim.datasets import load_zinc

    path = _smiles_file(tmp_path / "zinc_moses_train.csv.gz", SMILES)
    source = load_zinc(n_samples=10, path=tmp_path, stream=True, chunk_size=4)
    assert isinstance(source, SmilesFile)
    assert [s for chunk in source for s in chunk] == SMILES[:10]
    with pytest.raises(ValueError, match="random_state must be None"):
        load_zinc(n_samples=10, path=path, stream=True, random_state=0)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (float("inf"), ValueError, "got inf"),
        (np.float64("nan"), ValueError, "got (np.float64\\()?nan"),
        (10**30, ValueError, "is more SMILES than any file holds"),
        (1e300, ValueError, "is more SMILES"),
        ([3], TypeError, r"got \[3\] \(list\)"),
        (True, TypeError, r"got True \(bool\)"),
        ("5", TypeError, "got '5'"),
        (-1, ValueError, "got -1"),
        (2.5, ValueError, "got 2.5"),
    ],
)
def test_check_n_samples_names_the_parameter(value, error, message):
    with pytest.raises(error, match=f"^n_samples.*{message}"):
        skcmim.streaming.check_n_samples(value)
    with pytest.raises(error, match=f"^n_samples.*{message}"):
        SmilesFile(__file__, n_samples=value)


def test_check_n_samples_accepts_whole_numbers():
    values = (None, 0, 7, np.int64(5), 2.0, np.float32(3))
    assert [skcmim.streaming.check_n_samples(v) for v in values] == [None, 0, 7, 5, 2, 3]
    assert type(skcmim.streaming.check_n_samples(np.int64(5))) is int


@pytest.mark.parametrize("chunk, shown", [({"a": [1.0, 2.0]}, "is a dict"), ("CCO", "is 'CCO'"), (None, "is None")])
def test_a_chunk_that_is_not_rows_names_its_index(digits, chunk, shown):
    X = digits[0]
    source = IterableChunks([X[:50], X[50:100], chunk])
    with pytest.raises(TypeError, match=rf"^Chunk 2 of IterableChunks\(<list>\) {re.escape(shown)}; a chunk is a 2-D "):
        list(source)
    with pytest.raises(TypeError, match=r"^Chunk 0 of IterableChunks\(<list>\) "):
        MIMTransformer(**FAST).fit(IterableChunks([chunk, X[:50]]))


def test_a_function_that_returns_no_iterator_is_named():
    with pytest.raises(TypeError, match=r"the function returned int, not an iterator of chunks"):
        list(IterableChunks(lambda: 3))
