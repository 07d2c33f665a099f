"""scipy sparse input (scikit-fingerprints, CountVectorizer): the dense array's
result, densified one batch at a time (issue 16)."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import InfoNCETransformer

from conftest import FAST

FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array]


def _counts(seed, shape=(200, 40), density=0.1):
    rng = np.random.default_rng(seed)
    return (rng.random(shape) < density) * rng.integers(1, 5, shape).astype(np.float64)


@pytest.mark.parametrize(
    "Estimator,params",
    [(CMIMTransformer, {}), (MIMTransformer, {"likelihood": "gaussian"}), (InfoNCETransformer, {})],
    ids=["cMIM-bernoulli", "MIM-gaussian", "InfoNCE"],
)
@pytest.mark.parametrize("to_sparse", FORMATS, ids=lambda f: f.__name__)
def test_sparse_input_gives_the_dense_result(Estimator, params, to_sparse):
    X = _counts(0)
    if not params and Estimator is CMIMTransformer:
        X = (X > 0).astype(np.float64)  # binary fingerprints: Bernoulli
    dense = Estimator(**FAST, **params).fit(X)
    sparse = Estimator(**FAST, **params).fit(to_sparse(X))
    # the sparse statistics are summed in another order: equal to rounding
    np.testing.assert_allclose(sparse.transform(to_sparse(X)), dense.transform(X), rtol=0, atol=1e-10)
    np.testing.assert_allclose(sparse.transform(X), dense.transform(X), rtol=0, atol=1e-10)
    if hasattr(dense, "score_samples"):
        np.testing.assert_allclose(sparse.score_samples(to_sparse(X)), dense.score_samples(X), rtol=1e-10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), density=st.floats(0.0, 0.5), dtype=st.sampled_from([np.float32, np.float64]))
def test_fuzzed_sparse_matrices_match_dense(seed, density, dtype):
    X = _counts(seed, (30, 7), density).astype(dtype)
    params = {**FAST, "likelihood": "gaussian"}
    np.testing.assert_allclose(
        MIMTransformer(**params).fit(sp.csr_matrix(X)).transform(sp.csr_matrix(X)),
        MIMTransformer(**params).fit(X).transform(X),
        rtol=0,
        atol=1e-10 if dtype == np.float64 else 1e-5,
    )


def test_a_wide_sparse_matrix_is_never_densified_whole():
    n_rows, n_features = 4000, 20000  # dense: 640 MB of float64
    rng = np.random.default_rng(0)
    X = sp.random(n_rows, n_features, density=2e-4, format="csr", random_state=rng, dtype=np.float64)
    X.data[:] = 1.0
    model = CMIMTransformer(n_components=2, hidden_layer_sizes=(4,), max_epochs=1, batch_size=256, random_state=0)
    tracemalloc.start()
    try:
        Z = model.fit(X).transform(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert Z.shape == (n_rows, 2) and np.isfinite(Z).all()
    # a few dense batches live at once (about 40 MiB each); the whole matrix would be 640 MiB
    assert peak < 256 * 2**20, f"peak {peak / 2**20:.0f} MiB: the matrix was densified"
