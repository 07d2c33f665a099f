"""MOSES-style generation metrics of the shipped models, beside the training data itself.

For each shipped SMILES model, ``--n-samples`` molecules are decoded from
codes drawn from the N(0, I) prior (``sample(random_state=0)``) and compared
with the first ``--n-reference`` SMILES of the MOSES ZINC test split:
validity and uniqueness (:func:`skcmim.generation_metrics.generation_metrics`)
and the distribution metrics of MOSES
(:func:`skcmim.generation_metrics.distribution_metrics`: SNN, Frag, Scaf,
IntDiv1, PAINS-free share, and the Wasserstein distances of logP, QED and
molecular weight).  The row "MOSES train" scores ``--n-samples`` molecules
drawn from the training split (seed 1) the same way: what a model that
reproduced the data distribution would get at these sample sizes, since
SNN and Scaf grow with the sizes of both sets.

A second row per model draws from the aggregate posterior of
``--n-samples`` training molecules (seed 2) instead of the prior:
``sample(like=training)``, which picks one of them at random and draws its
code from q(z | x).  Its novelty is against those molecules: how many
samples are not one of them.  The report gives the per-dimension standard
deviation of the training molecules' codes (the prior's is 1).

    python benchmarks/studies/generation.py
    python benchmarks/studies/generation.py --n-samples 5000 --n-reference 10000

Writes ``benchmarks/results/generation/generation.md`` and ``.csv``.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import pretrained
from skcmim.datasets import fetch_zinc
from skcmim.generation_metrics import distribution_metrics, generation_metrics

from _common import add_data_option, machine, results_folder

RESULTS = results_folder(__file__)
COLUMNS = ["validity", "uniqueness", "novelty", "snn", "frag", "scaf", "int_div", "pains_free", "logp", "qed", "weight"]


def scored(name, molecules, reference, training=None):
    """One row of the table: the metrics of ``molecules`` against ``reference`` (novelty against ``training``)."""
    row = {"source": name, **generation_metrics(molecules, training=training)}
    row.update(distribution_metrics(molecules, reference))
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=2000, help="(default: %(default)s)")
    parser.add_argument("--n-reference", type=int, default=5000, help="test SMILES (default: %(default)s)")
    add_data_option(parser, "zinc_moses_{train,test}.csv.gz")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    reference = list(fetch_zinc("test", n_samples=args.n_reference, path=args.data))
    rows = [
        scored(
            "MOSES train",
            list(fetch_zinc("train", n_samples=args.n_samples, random_state=1, path=args.data)),
            reference,
        )
    ]
    training = list(fetch_zinc("train", n_samples=args.n_samples, random_state=2, path=args.data))
    spreads = []
    for card in pretrained.list_models():
        model = pretrained.load(card["name"])
        rows.append(scored(card["name"], model.sample(args.n_samples, random_state=0), reference, training))
        like = model.sample(args.n_samples, random_state=0, like=training)
        rows.append(scored(f"{card['name']}, like training molecules", like, reference, training))
        codes = model.transform(training)
        spread = codes.std(0)
        spreads.append(
            f"- {card['name']}: per-dimension standard deviation of the training molecules' codes "
            f"median {np.median(spread):.2f} (min {spread.min():.2f}, max {spread.max():.2f}); mean "
            f"code norm {np.linalg.norm(codes, axis=1).mean():.2f}, against "
            f"{np.sqrt(codes.shape[1]):.2f} for prior samples."
        )
        print(rows[-2:], spreads[-1], flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS / "generation.csv", index=False)
    command = "python benchmarks/studies/generation.py" + (
        ""
        if (args.n_samples, args.n_reference) == (2000, 5000)
        else f" --n-samples {args.n_samples} --n-reference {args.n_reference}"
    )
    text = "\n".join(
        [
            "# Generation: MOSES-style metrics of prior samples and of samples like the training data",
            "",
            f"Command: `{command}`; {time.perf_counter() - start:.0f} s on {machine()}.",
            "",
            f"{args.n_samples:,} molecules per row (decoded from N(0, I) prior samples with `random_state=0`; "
            f'"MOSES train": drawn from the training split), against the first {args.n_reference:,} SMILES of the '
            "MOSES test split. Higher is closer to the data for snn, frag and scaf (cosine similarities and nearest-"
            "neighbour Tanimoto); lower for the logp, qed and weight columns (Wasserstein distances). int_div is the "
            "samples' own diversity; pains_free the share without a PAINS alert (reference: "
            f"{rows[0]['pains_free_reference']:.3f}).",
            "",
            frame.set_index("source")[COLUMNS].to_markdown(floatfmt=".3f"),
            "",
            'Rows "like training molecules": `sample(like=training)`, codes drawn from the aggregate posterior of '
            f"{args.n_samples:,} training molecules (seed 2) instead of the prior; novelty is against those molecules "
            "(for the prior rows too).",
            "",
            *spreads,
            "",
        ]
    )
    (RESULTS / "generation.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
