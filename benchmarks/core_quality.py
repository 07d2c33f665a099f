"""Quality of the core estimators on real digits (issue: core figures).

Protocol: 50/50 stratified split (seed 0); each representation is fitted on
the training half only; LogisticRegression on standardised features scores
the test half.  Models use their defaults except ``n_components=16``, over
three model seeds (mean and standard deviation).

    python benchmarks/core_quality.py            # digits and mnist5k
    python benchmarks/core_quality.py --data digits --seeds 0

Writes benchmarks/results/core_quality.csv and .md.
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from _common import DATASETS, embed_both, linear_probe, split
from sklearn.decomposition import PCA

from skcmim import CMIMTransformer, MIMTransformer

RESULTS = Path(__file__).parent / "results"


def evaluate(data, seeds):
    X, y = DATASETS[data]()
    X_train, X_test, y_train, y_test = split(X, y)
    rows = [("raw features", [linear_probe(X_train, y_train, X_test, y_test)], 0.0)]
    pca = PCA(16, random_state=0).fit(X_train)
    rows.append(("PCA-16", [linear_probe(pca.transform(X_train), y_train, pca.transform(X_test), y_test)], 0.0))
    for name, Model in (("MIM", MIMTransformer), ("cMIM", CMIMTransformer)):
        plain, informative, seconds = [], [], []
        for seed in seeds:
            start = time.perf_counter()
            model = Model(n_components=16, random_state=seed).fit(X_train)
            seconds.append(time.perf_counter() - start)
            embeddings = embed_both(model, X_train, X_test)
            plain.append(linear_probe(embeddings[False][0], y_train, embeddings[False][1], y_test))
            informative.append(linear_probe(embeddings[True][0], y_train, embeddings[True][1], y_test))
        rows.append((name, plain, np.mean(seconds)))
        rows.append((f"{name} informative", informative, np.mean(seconds)))
    return [
        {"dataset": data, "representation": name, "accuracy_mean": np.mean(acc), "accuracy_std": np.std(acc),
         "n_seeds": len(acc), "fit_seconds": secs}
        for name, acc, secs in rows
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", default=["digits", "mnist5k"], choices=sorted(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    rows = [row for data in args.data for row in evaluate(data, args.seeds)]
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "core_quality.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| dataset | representation | accuracy (mean ± std) | seeds | fit s |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['dataset']} | {r['representation']} | {r['accuracy_mean']:.3f} ± {r['accuracy_std']:.3f} "
        f"| {r['n_seeds']} | {r['fit_seconds']:.1f} |"
        for r in rows
    ]
    (RESULTS / "core_quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
