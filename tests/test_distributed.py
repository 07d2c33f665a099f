"""Data-parallel training with torchrun: 2 CPU processes, gloo backend.

A two-process fit with global batch B follows a one-process fit with batch
B: the processes split every batch, DDP averages their gradients (the mean
of two half-batch means is the batch mean) and cMIM gathers the global
batch's codes for its negatives.  What differs is float32 summation order
in the gradient all-reduce.  Training amplifies such rounding differences
by an amount that depends on the CPU (BLAS kernels differ), so the tolerance
is measured on the machine running the test: the spread between two
one-process fits whose inputs differ by a few float32 units in the last
place, the same size as a change of summation order.
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

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="torch.distributed with gloo is not available"
)

WORKER = Path(__file__).with_name("ddp_worker.py")
# Relative changes of 2**-22 and 2**-21 (shrinks) move every nonzero float32 input by a few units in the
# last place; two of them, as one draw of a chaotic spread can be small by chance.
ROUNDING_PERTURBATIONS = (2.0**-22, 2.0**-21)
# How far beyond the measured rounding spread a two-process fit may lie, and a floor
# for a machine on which that spread happens to be zero.
SPREAD_FACTOR, FLOOR = 10.0, 1e-6


def launch_worker(*args):
    """Run ddp_worker.py with ``args`` in two processes under torchrun; it must exit cleanly."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER)]
    done = subprocess.run([*command, *map(str, args)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def torchrun(name, negatives, out):
    launch_worker(name, negatives, out)
    assert [p.name for p in out.parent.glob(f"{out.name}.written-by-rank*")] == [f"{out.name}.written-by-rank0"]
    return np.load(out)


def single_process(name, perturbation=0.0):
    X, estimator = ddp_case(name)
    estimator.fit(X * (1.0 - perturbation))  # shrunk, so that X stays in [0, 1] (Bernoulli)
    return estimator.transform(X), estimator.history_[:, "train_loss"]


def rounding_tolerance(name, embedding):
    """How far rounding-level differences move this training's codes on this machine."""
    spread = max(float(np.abs(single_process(name, size)[0] - embedding).max()) for size in ROUNDING_PERTURBATIONS)
    return max(FLOOR, SPREAD_FACTOR * spread)


@pytest.mark.parametrize("name", ["MIM", "cMIM"])
def test_two_processes_match_one_with_the_same_global_batch(name, tmp_path):
    result = torchrun(name, "global", tmp_path / "ddp.npz")
    embedding, loss = single_process(name)
    assert result["embedding"].shape == embedding.shape
    np.testing.assert_allclose(result["embedding"], embedding, atol=rounding_tolerance(name, embedding), rtol=0)
    # rank 0 logs the loss of its half of each batch: close to, not equal to, the batch loss
    np.testing.assert_allclose(result["loss"], loss, rtol=0.05)


def test_local_negatives_train_a_different_model(tmp_path):
    local = torchrun("cMIM", "local", tmp_path / "local.npz")
    embedding, _ = single_process("cMIM")
    assert np.isfinite(local["embedding"]).all()
    assert np.abs(local["embedding"] - embedding).max() > 10 * rounding_tolerance("cMIM", embedding)


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
    launch_worker("cMIM", "global", tmp_path / "refused.npz", data)
    messages = [path.read_text() for path in sorted(tmp_path.glob("refused.npz.refused-by-rank*"))]
    assert len(messages) == 2, "every rank raises"
    assert all("same X in every process" in message and "rank 1" in message for message in messages)
