"""Worker of tests/test_distributed.py, launched by torchrun (2 processes, gloo).

Usage: torchrun --standalone --nproc_per_node=2 tests/ddp_worker.py ESTIMATOR NEGATIVES OUT.npz
"""

import os
import sys

import numpy as np
import torch

from skcmim.distributed import fit_data_parallel, is_main_process
from ddp_data import ddp_case

torch.set_num_threads(1)


def main(name, negatives, out):
    X, estimator = ddp_case(name)
    fit_data_parallel(estimator, X, negatives=negatives)
    if is_main_process():  # exactly one process writes: two would corrupt the file
        open(f"{out}.written-by-rank{os.environ['RANK']}", "w").close()
        np.savez(out, embedding=estimator.transform(X), loss=estimator.history_[:, "train_loss"])


if __name__ == "__main__":
    main(*sys.argv[1:])
