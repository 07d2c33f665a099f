"""Data-parallel training on several GPUs or machines (PyTorch DDP).

Write an ordinary training script and launch one copy per GPU (or per CPU
process) with ``torchrun``, PyTorch's standard launcher::

    # train.py
    from skcmim import CMIMTransformer
    from skcmim.datasets import load_zinc
    from skcmim.distributed import fit_data_parallel, is_main_process

    model = CMIMTransformer(batch_size=1024, max_epochs=10, random_state=0)
    fit_data_parallel(model, load_zinc(stream=True))
    if is_main_process():
        model.save("zinc_cmim.safetensors")

    # one machine, 4 GPUs:
    torchrun --nproc_per_node=4 train.py
    # two machines, 8 GPUs each (run on both, with the first one's address):
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d \\
        --rdzv_endpoint=HOST:29400 train.py

Every process passes the same estimator and the same data.  They draw the
same shuffled order, split every global batch of ``batch_size`` rows into
equal parts, train on their part, and average gradients with
``DistributedDataParallel``, so training follows the single-process run with
the same ``batch_size``.  cMIM takes its negatives from the **global** batch
(codes are gathered across processes with gradients), so its contrastive
term is the same as in a single process; ``negatives="local"`` uses only the
process's own part of the batch instead.  The fitted estimator is an
ordinary skcmim estimator on the process's device: transform, save or
pickle it as usual.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from typing import Any, Literal

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_functional
from skorch.callbacks import Callback
from torch.nn.parallel import DistributedDataParallel

from .device import resolve_device
from .training.net import set_iterator_params

__all__ = ["DataParallel", "fit_data_parallel", "is_main_process"]

_NEGATIVES = ("global", "local")


def is_main_process() -> bool:
    """True in the process of rank 0, or when not running distributed.

    Reads the process group's rank, or once :func:`fit_data_parallel` has
    closed the group it made, the ``RANK`` that the launcher set, so that
    only one process saves the model after training.

    Returns
    -------
    bool
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


def fit_data_parallel(
    estimator: Any,
    X: Any,
    y: None = None,
    *,
    negatives: Literal["global", "local"] = "global",
    backend: str | None = None,
) -> Any:
    """Fit an skcmim estimator data-parallel across the processes of a launch.

    Call it in every process started by ``torchrun`` (or any launcher that
    sets ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``), with
    the same estimator parameters and the same X.  Outside such a launch (a
    world of one process) it is ``estimator.fit(X)``.

    Parameters
    ----------
    estimator : MIMTransformer, CMIMTransformer or a baseline
        Unfitted, or fitted with ``warm_start=True`` to continue training.
        ``batch_size`` is the global batch, split evenly over the processes.
    X : array-like, SMILES or ChunkSource
        What ``estimator.fit`` accepts; a chunk source
        (:mod:`skcmim.streaming`) keeps each process's memory flat.
    y : None
        Ignored.
    negatives : {"global", "local"}, default="global"
        Where cMIM's contrastive negatives come from: the codes of the whole
        global batch (gathered from all processes; the loss then equals the
        single-process loss) or only this process's part of it.  The InfoNCE
        baseline always uses local negatives.
    backend : str or None, default=None
        Process-group backend when this function has to create the group:
        ``"nccl"`` on CUDA, ``"gloo"`` on CPU by default.  An existing
        process group is used as it is.

    Returns
    -------
    estimator : object
        The fitted estimator, identical in every process.  Its module stays on
        this process's device (``cuda:LOCAL_RANK`` on GPUs).
    """
    if negatives not in _NEGATIVES:
        raise ValueError(f"negatives must be one of {_NEGATIVES}, got {negatives!r}.")
    if not _launched() and not dist.is_initialized():
        return estimator.fit(X, y)
    device = _process_device(estimator.device)
    created = not dist.is_initialized()
    if created:
        dist.init_process_group(backend=backend or ("nccl" if device.type == "cuda" else "gloo"))
    try:
        _check_same_data(estimator, X)
        estimator._data_parallel = DataParallel(dist.get_rank(), dist.get_world_size(), device, negatives)
        try:
            return estimator.fit(X, y)
        finally:
            del estimator._data_parallel
    finally:
        if created:
            dist.destroy_process_group()


def _check_same_data(estimator, X):
    """Every process must pass the same data: a ValueError on every rank before training otherwise.

    Compares the number of rows and a digest of the data (for a chunk
    source, its description), gathered from all processes, so that no
    process is left waiting inside a collective call of the training.
    """
    mine = _fingerprint(estimator, X)
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    if any(other != mine for other in everyone):
        shown = "; ".join(
            f"rank {rank}: {rows} rows, digest {digest[:12]}" for rank, (rows, digest) in enumerate(everyone)
        )
        raise ValueError(
            f"fit_data_parallel needs the same X in every process (each trains on its share of every global "
            f"batch of the same data), but the processes passed different data: {shown}."
        )


def _fingerprint(estimator, X):
    """``(number of rows, digest)`` of training data, the same in every process for the same data.

    The input kind the estimator reads X as makes the digest.
    """
    from .inputs import make_input
    from .streaming import as_chunk_source

    source = as_chunk_source(X)
    if source is not None:
        return -1, hashlib.sha256(repr(source).encode()).hexdigest()
    input_ = make_input(estimator._input_parameter(X), X)
    return getattr(X, "shape", (len(X),))[0], input_.fingerprint(X)


def _launched():
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _process_device(device):
    """This process's device: ``cuda:LOCAL_RANK`` when the estimator would use CUDA."""
    resolved = resolve_device(device)
    if resolved.type != "cuda":
        return resolved
    index = int(os.environ.get("LOCAL_RANK", resolved.index or 0))
    torch.cuda.set_device(index)
    return torch.device("cuda", index)


class DataParallel(Callback):
    """skorch callback: one process's part in a data-parallel fit.

    While the net trains (``on_train_begin`` to ``on_train_end``) its module
    is wrapped in ``DistributedDataParallel``, its batches are this
    process's share of every global batch, the reparameterisation noise is
    drawn for the global batch, and (``negatives="global"``) cMIM's
    contrastive term sees the codes of the global batch.  The estimators add
    it to their net for the duration of a fit under :func:`fit_data_parallel`.

    Parameters
    ----------
    rank, world_size : int
        This process's rank and the number of processes.
    device : torch.device
        This process's training device.
    negatives : {"global", "local"}
        Where cMIM's negatives come from.
    """

    def __init__(self, rank: int, world_size: int, device: torch.device, negatives: str) -> None:
        self.rank = rank
        self.world_size = world_size
        self.device = device
        self.negatives = negatives

    def _gather_codes(self, z):
        # Differentiable all-gather: gradients reach every process's encoder.
        # Its suggested successor backpropagates with reduce_scatter, which
        # gloo (CPU) lacks; this one falls back to scatters on gloo.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "torch.distributed.nn.functional.all_gather", FutureWarning)
            parts = dist_functional.all_gather(z)
        return torch.cat(parts), self.rank * z.shape[0]

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        self.module_ = net.module_
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        net.module_ = DistributedDataParallel(self.module_, device_ids=device_ids)
        set_iterator_params(net, rank=self.rank, world_size=self.world_size)
        if hasattr(self.module_, "noise_shard"):
            self.module_.noise_shard = (self.rank, self.world_size)
        if self.negatives == "global" and hasattr(net.criterion_, "gather_codes"):
            net.criterion_.gather_codes = self._gather_codes

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        net.module_ = self.module_
        if hasattr(self.module_, "noise_shard"):
            del self.module_.noise_shard  # back to the class default
        set_iterator_params(net, rank=0, world_size=1)
        if hasattr(net.criterion_, "gather_codes"):
            net.criterion_.gather_codes = None
        del self.module_
