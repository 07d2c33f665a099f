"""Worker of tests/test_distributed.py, launched by torchrun (2 processes, gloo).

Usage: torchrun --standalone --nproc_per_node=2 tests/ddp_worker.py ESTIMATOR NEGATIVES OUT.npz [same|rows|order]
"""

import os
import sys

import numpy as np
import torch
from ddp_data import ddp_case

from skcmim.distributed import fit_data_parallel, is_main_process

torch.set_num_threads(1)


def main(name, negatives, out, data="same"):
    X, estimator = ddp_case(name)
    rank = int(os.environ["RANK"])
    if data != "same":  # each process gets other data: every rank must refuse it
        X = X[: len(X) - 64 * rank] if data == "rows" else (X if rank == 0 else X[::-1].copy())
        try:
            fit_data_parallel(estimator, X, negatives=negatives)
        except ValueError as exc:
            open(f"{out}.refused-by-rank{rank}", "w").write(str(exc))
            return
        raise AssertionError("different data was not refused")
    fit_data_parallel(estimator, X, negatives=negatives)
    if is_main_process():  # exactly one process writes: two would corrupt the file
        open(f"{out}.written-by-rank{os.environ['RANK']}", "w").close()
        np.savez(out, embedding=estimator.transform(X), loss=estimator.history_[:, "train_loss"])


if __name__ == "__main__":
    main(*sys.argv[1:])
