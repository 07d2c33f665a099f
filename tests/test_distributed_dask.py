"""Grid search across Dask workers through joblib's ``"dask"`` backend.

Skipped cleanly when ``dask.distributed`` is not installed
(``pip install skcmim[distributed]``).
"""

import re
import sys

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skcmim import CMIMTransformer

distributed = pytest.importorskip("distributed")

N_CANDIDATES, N_FOLDS = 2, 2


@pytest.fixture
def dask_client():
    """A 2-worker, 1-thread-per-worker LocalCluster and its Client, closed even if the test fails.

    processes=True (each worker a separate process behind a nanny, as on a real
    cluster) is fast and reliable enough: on 2 cores shared with another busy
    process the whole test, cluster start and shutdown included, takes 12 to
    20 s (much of it the workers importing torch), so there is no need to fall
    back to in-process (thread) workers.  The nanny starts workers with
    OMP_NUM_THREADS=1 (dask's default ``distributed.nanny.pre-spawn-environ``).
    """
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield client


def _search(**params):
    # device="cpu": the comparison with the serial run relies on bitwise-reproducible
    # CPU training; on a GPU machine, device="auto" would put both workers on cuda:0.
    pipe = Pipeline(
        [
            ("cmim", CMIMTransformer(max_epochs=3, hidden_layer_sizes=(32,), random_state=0, device="cpu")),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    # neg_log_loss next to accuracy: a continuous score, so that a difference in
    # the fitted weights on the workers cannot hide behind an unchanged accuracy.
    return GridSearchCV(
        pipe,
        {"cmim__n_components": [2, 4]},
        cv=N_FOLDS,
        scoring={"accuracy": "accuracy", "log_loss": "neg_log_loss"},
        refit="accuracy",
        **params,
    )


def test_grid_search_on_dask_workers_matches_serial(dask_client):
    digits = load_digits()
    X, y = digits.data[:300] / 16.0, digits.target[:300]

    serial = _search(n_jobs=1).fit(X, y)

    def skcmim_imported():
        return "skcmim.estimators" in sys.modules

    # fresh worker processes: nothing has imported skcmim there yet
    assert not any(dask_client.run(skcmim_imported).values())

    with distributed.get_task_stream(dask_client) as stream, joblib.parallel_backend("dask"):
        dask_search = _search(n_jobs=-1).fit(X, y)

    # the search finished, with both candidates
    assert len(dask_search.cv_results_["params"]) == N_CANDIDATES
    assert dask_search.cv_results_["params"] == serial.cv_results_["params"]
    assert dask_search.best_params_ == serial.best_params_

    # identical scores, fold by fold (CPU training with random_state is deterministic)
    for key in [f"split{i}_test_{s}" for i in range(N_FOLDS) for s in ("accuracy", "log_loss")] + [
        "mean_test_accuracy",
        "mean_test_log_loss",
    ]:
        np.testing.assert_allclose(dask_search.cv_results_[key], serial.cv_results_[key], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(
        dask_search.cv_results_["rank_test_accuracy"], serial.cv_results_["rank_test_accuracy"]
    )
    # the refitted model (trained in this process) gives the same codes
    np.testing.assert_allclose(
        dask_search.best_estimator_["cmim"].transform(X),
        serial.best_estimator_["cmim"].transform(X),
        rtol=1e-10,
        atol=1e-12,
    )

    # every fit ran on a Dask worker: joblib names each Dask task
    # "batch_of_<function>_<n>_calls-<uuid>", and the scheduler records where it ran
    workers = set(dask_client.scheduler_info()["workers"])
    fit_tasks = [t for t in stream.data if "_fit_and_score" in str(t["key"])]
    assert fit_tasks, [t["key"] for t in stream.data]
    n_calls = sum(int(re.search(r"_(\d+)_calls", str(t["key"])).group(1)) for t in fit_tasks)
    assert n_calls == N_CANDIDATES * N_FOLDS
    used = {t["worker"] for t in fit_tasks}
    assert used <= workers
    # and, worker side: the worker processes that ran them have now imported skcmim
    imported = dask_client.run(skcmim_imported)
    assert all(imported[w] for w in used), imported
