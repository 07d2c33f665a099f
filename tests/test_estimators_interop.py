"""Behaviour users of the ecosystem expect (issue 16): verbose levels, the renamed
contrastive temperature, warnings at the user's line, pandas round trips."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skcmim import CMIMTransformer
from skcmim.baselines import InfoNCETransformer
from skcmim.streaming import ArrayChunks

from conftest import FAST, TINY


@pytest.mark.parametrize("streamed", [False, True])
def test_each_verbose_level_prints_what_it_promises(capsys, digits_small, streamed):
    X = digits_small[0][:200]
    data = ArrayChunks(X, chunk_size=80) if streamed else X
    outputs = {}
    for verbose in (0, 1, 2):
        CMIMTransformer(**{**FAST, "max_epochs": 2, "verbose": verbose}).fit(data)
        outputs[verbose] = capsys.readouterr()
    assert outputs[0].out == "" and outputs[0].err == ""
    batches = 2 * int(np.ceil(len(X) / FAST["batch_size"]))
    for verbose in (1, 2):  # one bar for the whole fit, which ends full and stays; streamed fits too
        assert outputs[verbose].err.count("CMIMTransformer: 100%") >= 1
        assert outputs[verbose].err.rstrip().endswith("]") and f"{batches}/{batches} [" in outputs[verbose].err
        assert "epoch=2" in outputs[verbose].err.rsplit("\r", 1)[-1]
    assert "train_loss" not in outputs[1].out
    assert "epoch" in outputs[2].out and "train_loss" in outputs[2].out and outputs[2].out.count("\n") >= 4


@pytest.mark.parametrize("Estimator", [CMIMTransformer, InfoNCETransformer])
def test_the_old_temperature_name_still_works_with_a_future_warning(Estimator, digits_small):
    X = digits_small[0]
    with pytest.warns(FutureWarning, match="contrastive_temperature"):
        old = Estimator(**FAST, temperature=0.3).fit(X)
    new = Estimator(**FAST, contrastive_temperature=0.3).fit(X)
    np.testing.assert_array_equal(old.transform(X), new.transform(X))
    assert new.net_.criterion_.temperature == 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name warns about nothing
        Estimator(**FAST, contrastive_temperature=0.3).fit(X)


def test_warnings_point_at_the_users_line_and_are_shown_once_across_folds(digits_small):
    X, y = digits_small
    pipe = make_pipeline(CMIMTransformer(**{**TINY, "temperature": 0.2}), LogisticRegression(max_iter=50))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cross_val_score(pipe, X, y, cv=3)  # this line
    future = [w for w in caught if issubclass(w.category, FutureWarning)]
    assert len(future) == 3 and all(w.filename == __file__ for w in future)
    assert len({(w.filename, w.lineno, str(w.message)) for w in future}) == 1  # the default filter shows one


def test_pandas_output_round_trips_without_torch_warnings(digits_small):
    pytest.importorskip("pandas")
    X = digits_small[0]
    model = CMIMTransformer(**FAST).set_output(transform="pandas").fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = model.transform(X)
        assert model.inverse_transform(Z).shape == X.shape


def test_n_jobs_gives_the_output_of_one_process():
    pytest.importorskip("rdkit")
    from skcmim.datasets import load_freesolv
    from skcmim.molecules import to_smiles

    smiles = list(load_freesolv(return_X_y=True)[0])
    # more rows than the parallel threshold, with invalid rows spread through them
    X = [text if i % 97 else "not a smiles" for i, text in enumerate(smiles * 4)]
    serial = to_smiles(X, on_invalid="nan")
    parallel = to_smiles(X, on_invalid="nan", n_jobs=2)
    assert parallel[0] == serial[0]
    np.testing.assert_array_equal(parallel[1], serial[1])
    flat = to_smiles(X, on_invalid="nan", isomeric=False)  # FreeSolv has stereocentres and E/Z bonds
    assert flat[0] != serial[0] and to_smiles(X, on_invalid="nan", isomeric=False, n_jobs=2)[0] == flat[0]
    with pytest.raises(ValueError, match="Row 0 .*not a smiles"):
        to_smiles(X, n_jobs=2)
    model = CMIMTransformer(**{**TINY, "n_jobs": 2, "on_invalid": "nan"}).fit(smiles[:100])
    np.testing.assert_array_equal(model.transform(X[1:2600]), model.set_params(n_jobs=1).transform(X[1:2600]))
