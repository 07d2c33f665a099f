"""bfloat16 training of a SMILES model: how much faster it is, and what it costs.

``mixed_precision=True`` trains under bfloat16 autocast (on CPUs with native
bfloat16 arithmetic, AMX or AVX-512 BF16, and on GPUs that have it); model
files and ``transform`` stay in float32.  For each seed a
``CMIMTransformer`` (one GRU layer of width 256, a 32-d code, the
estimator's other defaults) is fitted on the same ZINC molecules in float32
and in bfloat16, one after the other (the order alternates with the seed,
as these machines are shared and noisy), and each model is measured on:

* seconds per training epoch (skorch's ``dur``), and their ratio;
* the last epoch's training loss;
* greedy exact reconstruction of held-out MOSES test SMILES;
* validity and uniqueness of SMILES decoded from prior samples;
* ESOL (random 80/20 split, seed 0): held-out RMSE of a ridge regression
  on the informative embeddings.

Claims are paired by seed (``verdicts.py``): for speed, "holds" says that
bfloat16 is faster; for quality, "within noise" says that no difference was
detected at this number of seeds, and "does not hold" that bfloat16 is
worse::

    python benchmarks/speed/mixed_precision.py                   # 10,000 molecules, 3 epochs, 3 seeds, 1 thread
    python benchmarks/speed/mixed_precision.py --molecules 2000 --epochs 1 --seeds 0   # a smoke run

Writes ``benchmarks/results/mixed_precision/mixed_precision_cpu.md`` and ``.csv``.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer
from skcmim.datasets import fetch_esol, load_zinc
from skcmim.generation_metrics import generation_metrics, reconstruction_accuracy

from _common import PROJECT_DATA, add_data_option, machine, results_folder
from claims.molecular import ridge, rmse
from claims.verdicts import claim, claims_markdown, paired

RESULTS = results_folder(__file__)
PRECISIONS = {"float32": False, "bfloat16": True}


def esol_split(data=PROJECT_DATA):
    """ESOL's random 80/20 split (seed 0): ``(s_train, s_test, y_train, y_test)``; the file is in ``data``."""
    smiles, y = fetch_esol(data_home=data, return_X_y=True)
    return train_test_split(list(smiles), np.asarray(y, float), test_size=0.2, random_state=0)


def esol_rmse(model, esol):
    """Held-out RMSE of ridge regression on the informative embeddings of ``esol_split()``."""
    s_train, s_test, y_train, y_test = esol
    model.set_params(informative=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a few ESOL tokens are not in the ZINC vocabulary
        X_train, X_test = model.transform(s_train), model.transform(s_test)
    model.set_params(informative=False)
    return rmse(ridge(), X_train, y_train, X_test, y_test)


def measure(precision, seed, train, held_out, esol, epochs, n_samples):
    """One fit in ``precision`` and its speed and quality row."""
    model = CMIMTransformer(
        n_components=32,
        hidden_layer_sizes=(256,),
        max_epochs=epochs,
        random_state=seed,
        mixed_precision=PRECISIONS[precision],
    )
    start = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - start
    generated = generation_metrics(model.sample(n_samples, random_state=seed), training=train)
    row = dict(
        precision=precision,
        seed=seed,
        fit_s=fit_s,
        epoch_s=float(np.median(model.history_[:, "dur"])),
        train_loss=float(model.history_[-1, "train_loss"]),
        reconstruction=reconstruction_accuracy(model, held_out),
        validity=generated["validity"],
        uniqueness=generated["uniqueness"],
        esol_rmse=esol_rmse(model, esol),
    )
    print(row, flush=True)
    return row


def claims(frame):
    """bfloat16 against float32, paired by seed."""
    rows = []
    for column, text, greater in (
        ("epoch_s", "bfloat16 epoch shorter (s)", False),
        ("train_loss", "bfloat16 training loss lower", False),
        ("reconstruction", "bfloat16 reconstruction higher", True),
        ("validity", "bfloat16 validity higher", True),
        ("esol_rmse", "bfloat16 ESOL RMSE lower", False),
    ):
        a, b = paired(frame, column, "precision", "bfloat16", "float32")
        rows.append(claim(text, a, b, greater=greater, measure=column))
    return rows


def report(frame, args, seconds):
    means = frame.groupby("precision", sort=False).mean(numeric_only=True).drop(columns="seed")
    speedup = paired(frame, "epoch_s", "precision", "float32", "bfloat16")
    ratios = speedup[0] / speedup[1]
    return "\n".join(
        [
            "# bfloat16 training of a SMILES cMIM (CPU)",
            "",
            f"Command: `python benchmarks/speed/mixed_precision.py --molecules {args.molecules} --epochs {args.epochs} "
            f"--seeds {' '.join(map(str, args.seeds))} --threads {args.threads}`; {seconds:.0f} s on {machine()}, "
            f"{torch.get_num_threads()} thread(s).",
            "",
            f"CMIMTransformer, GRU 256, 32-d code, batch 128, {args.molecules:,} ZINC molecules (MOSES train, seed 0), "
            f"{args.epochs} epochs; reconstruction on {args.held_out} MOSES test SMILES; {args.samples} prior samples; "
            "ESOL: ridge on the informative embeddings, random 80/20 split.",
            "",
            "## Means over seeds",
            "",
            means.reset_index().to_markdown(index=False, floatfmt=".4f"),
            "",
            f"Epoch speed-up of bfloat16, per seed: {', '.join(f'{r:.2f}x' for r in ratios)} "
            f"(median {np.median(ratios):.2f}x).",
            "",
            "## Claims (bfloat16 minus float32, paired by seed, 95% interval; for quality, within noise = no "
            "difference detected)",
            "",
            claims_markdown(claims(frame)),
            "",
            "## Every fit",
            "",
            frame.to_markdown(index=False, floatfmt=".4f"),
            "",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--molecules", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument("--samples", type=int, default=500)
    add_data_option(parser, "zinc_moses_{train,test}.csv.gz and esol_delaney.csv")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train = load_zinc(n_samples=args.molecules, path=args.data, random_state=0)
    held_out = load_zinc(n_samples=args.held_out, path=args.data, split="test", random_state=0)
    esol = esol_split(args.data)
    start = time.perf_counter()
    rows = []
    for seed in args.seeds:
        order = list(PRECISIONS) if seed % 2 == 0 else list(PRECISIONS)[::-1]
        rows += [measure(precision, seed, train, held_out, esol, args.epochs, args.samples) for precision in order]
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS / "mixed_precision_cpu.csv", index=False)
    text = report(frame, args, time.perf_counter() - start)
    (RESULTS / "mixed_precision_cpu.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
