"""Hostile molecular input for every encoder-decoder and method.

Generated lists mix valid SMILES (salts, stereo, charges, isotopes, long
chains), invalid ones, empty and blank strings, odd characters, missing
values and non-strings.  Every outcome must be a correct result or a clear
ValueError naming a row: never a crash from inside torch or RDKit, a NaN row
for a valid molecule, or a dropped row.  EXAMPLES inputs per test per run
(see docs/reliability.rst).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY

pytest.importorskip("rdkit")
from rdkit import Chem, RDLogger  # noqa: E402

from skcmim import CMIMTransformer, MIMTransformer  # noqa: E402
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer  # noqa: E402
from skcmim.molecules import MAX_ATOMS, MAX_SMILES_LENGTH  # noqa: E402

RDLogger.DisableLog("rdApp.*")
EXAMPLES = 40
ESTIMATORS = [MIMTransformer, CMIMTransformer, VAETransformer, CVAETransformer]

VALID = [
    "CCO",
    "c1ccccc1",
    "CC(=O)[O-].[Na+]",  # salt
    "[Na+].[Cl-]",
    "C[C@@H](N)C(=O)O",
    "F/C=C/F",
    "F/C=C\\F",  # stereo
    "C[N+](=O)[O-]",
    "[13CH3]O",
    "[2H]C([2H])([2H])O",  # charges, isotopes
    "C1CCCCCCCCC%10CCCCC1%10",
    "[nH]1cccc1",
    "ClC(Br)I",
    "O=S(=O)(O)O",
    "[Se]",
    "*C",
    "C" * 400,  # a long chain
    "CCO ethanol",  # a name after the SMILES, as in .smi files
]
INVALID = ["C1CC", "xyz", "C(", "[Xx]", "c1cccc1", "C=1CC", ")(", "CC)", "C%1", "[C@@", "C" + "(" * 5]
_odd_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_smiles_text = st.text(alphabet="CNOSPFIBrcl()[]=#@+-/\\%0123456789.H ", max_size=40)
entries = st.one_of(
    st.sampled_from(VALID),
    st.sampled_from(INVALID),
    _smiles_text,
    _odd_text,
    st.sampled_from(["", "   ", "\n", None, float("nan"), 3, 2.5, b"CCO", ("C",)]),
    st.integers(1, 3000).map(lambda n: "C" * n),  # huge chains
)
molecule_lists = st.lists(entries, min_size=1, max_size=8)


def _is_valid(value):
    """Oracle: RDKit reads the first whitespace-separated field as a molecule with atoms, within skcmim's limits."""
    if not isinstance(value, str) or not value.split() or len(value.split()[0]) > MAX_SMILES_LENGTH:
        return False
    mol = Chem.MolFromSmiles(value.split()[0])
    return mol is not None and 0 < mol.GetNumAtoms() <= MAX_ATOMS


@pytest.fixture(scope="module")
def models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {cls.__name__: cls(**TINY).fit(VALID * 2) for cls in ESTIMATORS}


def _clear_error(exc, X):
    message = str(exc)
    assert message and ("Row " in message or "molecule" in message), message
    first_bad = next(i for i, value in enumerate(X) if not _is_valid(value))
    assert f"Row {first_bad} " in message, (message, X)


@pytest.mark.parametrize("name", [cls.__name__ for cls in ESTIMATORS])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(X=molecule_lists)
def test_fuzz_transform_score_decode(models, name, X):
    model = models[name]
    valid = np.array([_is_valid(value) for value in X])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown tokens are counted in a warning
        if not valid.all():
            for method in (model.transform, model.score_samples):
                with pytest.raises(ValueError) as info:
                    method(X)
                _clear_error(info.value, X)
        model.set_params(on_invalid="nan")
        try:
            Z = model.transform(X)
            scores = model.score_samples(X)
            decoded = model.inverse_transform(Z)
        finally:
            model.set_params(on_invalid="raise")
    assert Z.shape == (len(X), 2) and scores.shape == (len(X),) and decoded.shape == (len(X),)
    assert np.isfinite(Z[valid]).all() and np.isnan(Z[~valid]).all(), "NaN exactly for the invalid rows"
    assert np.isfinite(scores[valid]).all() and np.isnan(scores[~valid]).all()
    assert all(isinstance(d, str) for d in decoded[valid]) and all(d is None for d in decoded[~valid])


@pytest.fixture(scope="module")
def infonce():
    return InfoNCETransformer(**TINY).fit(VALID * 2)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(X=molecule_lists)
def test_fuzz_infonce_transform(infonce, X):
    valid = np.array([_is_valid(value) for value in X])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if not valid.all():
            with pytest.raises(ValueError) as info:
                infonce.transform(X)
            _clear_error(info.value, X)
        infonce.set_params(on_invalid="nan")
        try:
            Z = infonce.transform(X)
        finally:
            infonce.set_params(on_invalid="raise")
    assert Z.shape == (len(X), 2)
    assert np.isfinite(Z[valid]).all() and np.isnan(Z[~valid]).all(), "NaN exactly for the invalid rows"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(X=molecule_lists)
def test_fuzz_fit(X):
    valid = np.array([_is_valid(value) for value in X])
    model = CMIMTransformer(**TINY)
    if not valid.all():
        with pytest.raises(ValueError) as info:
            model.fit(X)
        if any(isinstance(value, (str, bytes)) for value in X):
            _clear_error(info.value, X)
        else:  # no top-level string: read as a numeric matrix, 1-D (invalid) or with a bad cell
            message = str(info.value)
            assert "2D array" in message or "row 0, column" in message or "is ragged: row" in message, message
        return
    Z = model.fit_transform(X)
    assert Z.shape == (len(X), 2) and np.isfinite(Z).all()
    assert math.isfinite(model.score(X))
