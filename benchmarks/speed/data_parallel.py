"""Data-parallel cMIM: global vs local negatives, against one process.

Trains cMIM on the training half of a dataset (50/50 stratified split, seed
0) three ways at the same global batch size: in one process, with 2
``torchrun`` processes taking negatives from the global batch (the default),
and with 2 processes taking them from their own half of the batch.  Reports
held-out LogisticRegression accuracy on the codes, and how far the codes of
each two-process run are from the one-process run.

Run from the repository root::

    python benchmarks/speed/data_parallel.py                       # MNIST-5k, batch 64 and 256
    python benchmarks/speed/data_parallel.py --dataset digits --epochs 5

Writes ``benchmarks/results/data_parallel/data_parallel.csv`` and ``data_parallel.md``.
The processes use the gloo backend on the CPU, one thread each (the
one-process run too, so its time is that of one core against two).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer
from skcmim.distributed import fit_data_parallel, is_main_process

from _common import DATASETS, linear_probe, machine, results_folder, split

RESULTS = results_folder(__file__)


def _data(dataset):
    X, y = DATASETS[dataset]()
    return split(X, y)


def _model(batch_size, epochs):
    return CMIMTransformer(n_components=16, batch_size=batch_size, max_epochs=epochs, random_state=0)


def _fit_and_embed(args, fit):
    X_train, X_test, _, _ = _data(args.dataset)
    model = _model(args.batch_size, args.epochs)
    start = time.perf_counter()
    fit(model, X_train)
    seconds = time.perf_counter() - start
    return model.transform(X_train), model.transform(X_test), seconds


def worker(args):
    """One torchrun process: fit data-parallel, rank 0 saves the codes."""
    torch.set_num_threads(1)
    Z_train, Z_test, seconds = _fit_and_embed(
        args, lambda model, X: fit_data_parallel(model, X, negatives=args.negatives)
    )
    if is_main_process():
        np.savez(args.out, Z_train=Z_train, Z_test=Z_test, seconds=seconds)


def _two_processes(dataset, batch_size, epochs, negatives, folder):
    out = Path(folder) / f"{negatives}_{batch_size}.npz"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        __file__,
        "--worker",
        "--dataset",
        dataset,
        "--batch-size",
        str(batch_size),
        "--epochs",
        str(epochs),
        "--negatives",
        negatives,
        "--out",
        str(out),
    ]
    subprocess.run(command, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    saved = np.load(out)
    return saved["Z_train"], saved["Z_test"], float(saved["seconds"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist5k")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--negatives", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    _, _, y_train, y_test = _data(args.dataset)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for batch_size in args.batch_sizes:
            torch.set_num_threads(1)  # as each of the two processes: fit seconds compare 1 core with 2
            single = _fit_and_embed(
                argparse.Namespace(dataset=args.dataset, batch_size=batch_size, epochs=args.epochs),
                lambda model, X: model.fit(X),
            )
            runs = {"1 process": single}
            for negatives in ("global", "local"):
                runs[f"2 processes, {negatives} negatives"] = _two_processes(
                    args.dataset, batch_size, args.epochs, negatives, folder
                )
            for name, (Z_train, Z_test, seconds) in runs.items():
                rows.append(
                    {
                        "global batch": batch_size,
                        "run": name,
                        "accuracy": linear_probe(Z_train, y_train, Z_test, y_test),
                        "max abs difference to 1-process codes": float(np.abs(Z_test - single[1]).max()),
                        "fit seconds": seconds,
                    }
                )
                print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS / "data_parallel.csv", index=False)
    command = "python benchmarks/speed/data_parallel.py" + ("" if argv is None else " " + " ".join(argv))
    print(write_report(frame, command, args.dataset, args.epochs))
    return 0


def write_report(frame, command, dataset, epochs):
    """``data_parallel.md`` from the results table."""
    text = "\n".join(
        [
            "# Data-parallel cMIM: global vs local negatives",
            "",
            f"`{command}` on {machine()}, CPU, gloo; "
            f"{dataset}, 50/50 split (seed 0), n_components=16, {epochs} epochs; held-out "
            "LogisticRegression accuracy on the codes. Each process, the single one included, uses one thread.",
            "",
            frame.to_markdown(index=False, floatfmt=".3g"),
            "",
        ]
    )
    (RESULTS / "data_parallel.md").write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
