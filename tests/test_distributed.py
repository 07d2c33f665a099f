"""Data-parallel training with torchrun: 2 CPU processes, gloo backend.

A two-process fit with global batch B follows a one-process fit with batch
B: the processes split every batch, DDP averages their gradients (the mean
of two half-batch means is the batch mean) and cMIM gathers the global
batch's codes for its negatives.  What differs is float32 summation order
in the gradient all-reduce, so the embeddings agree to a tolerance.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.distributed as dist
from ddp_data import ddp_case

from skcmim.distributed import fit_data_parallel, is_main_process

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")

WORKER = Path(__file__).with_name("ddp_worker.py")
# Only the float32 summation order of the gradient all-reduce differs from one
# process: over 84 Adam steps the codes differed by at most 4.1e-7 (cMIM).
TOLERANCE = 1e-5


def torchrun(name, negatives, out):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               str(WORKER), name, negatives, str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [p.name for p in out.parent.glob(f"{out.name}.written-by-rank*")] == [f"{out.name}.written-by-rank0"]
    return np.load(out)


def single_process(name):
    X, estimator = ddp_case(name)
    estimator.fit(X)
    return estimator.transform(X), estimator.history_[:, "train_loss"]


@pytest.mark.parametrize("name", ["MIM", "cMIM"])
def test_two_processes_match_one_with_the_same_global_batch(name, tmp_path):
    result = torchrun(name, "global", tmp_path / "ddp.npz")
    embedding, loss = single_process(name)
    assert result["embedding"].shape == embedding.shape
    np.testing.assert_allclose(result["embedding"], embedding, atol=TOLERANCE, rtol=0)
    # rank 0 logs the loss of its half of each batch: close to, not equal to, the batch loss
    np.testing.assert_allclose(result["loss"], loss, rtol=0.05)


def test_local_negatives_train_a_different_model(tmp_path):
    local = torchrun("cMIM", "local", tmp_path / "local.npz")
    embedding, _ = single_process("cMIM")
    assert np.isfinite(local["embedding"]).all()
    assert np.abs(local["embedding"] - embedding).max() > 10 * TOLERANCE


def test_without_a_launcher_it_is_an_ordinary_fit(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    X, estimator = ddp_case("MIM")
    fitted = fit_data_parallel(estimator, X)
    embedding, _ = single_process("MIM")
    np.testing.assert_array_equal(fitted.transform(X), embedding)
    assert is_main_process()
    assert fitted._data_parallel is None


def test_only_rank_zero_is_the_main_process_after_the_group_is_closed(monkeypatch):
    # fit_data_parallel closes the process group it opened; the launcher's RANK still says who saves
    monkeypatch.setenv("RANK", "1")
    assert not is_main_process()
    monkeypatch.setenv("RANK", "0")
    assert is_main_process()


def test_negatives_is_checked():
    X, estimator = ddp_case("cMIM")
    with pytest.raises(ValueError, match="negatives must be one of"):
        fit_data_parallel(estimator, X, negatives="everywhere")


@pytest.mark.parametrize("data", ["rows", "order"])
def test_processes_given_different_data_all_refuse_it_before_training(data, tmp_path):
    out = tmp_path / "refused.npz"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               str(WORKER), "cMIM", "global", str(out), data]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    messages = [path.read_text() for path in sorted(tmp_path.glob("refused.npz.refused-by-rank*"))]
    assert len(messages) == 2, "every rank raises"
    assert all("same X in every process" in message and "rank 1" in message for message in messages)
