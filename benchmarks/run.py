"""The benchmark that checks the method's claims on real data.

    python benchmarks/run.py --quick     # digits and molecules, reduced: a few minutes on 2 CPU cores
    python benchmarks/run.py             # digits, MNIST-5k and molecules, 3 seeds, full sweep
    python benchmarks/run.py --datasets molecules   # only the molecular half

"molecules" is FreeSolv and Huuskonen solubility regressed from codes of
models pretrained on ZINC (``molecular.py``).

For every dataset: a 50/50 stratified split (seed 0); each representation is
fitted on the training half only and every downstream evaluator is fitted on
the training half's features and scored on the test half.  Nothing is tuned
on the test half: model defaults were chosen on a validation split of the
training half (``benchmarks/tune.py``).

Writes under ``benchmarks/results/`` (prefix ``quick_`` in quick mode):
``downstream.csv`` (every score), ``summary.md`` (tables), ``ranks.png``,
``batch_size.png``, ``batch_size.csv``, ``reconstruction.csv``,
``speed.csv``.  The LogReg column of the full mode on digits and MNIST-5k is
the quality table that the README quotes.
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _common import DATASETS, PeakMemory, in_fresh_process, split
from core_speed import hand_loop
from molecular import molecular_downstream
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, InfoNCETransformer, VAETransformer

RESULTS = Path(__file__).parent / "results"
WIDTH = 16

MODELS = {
    "VAE": VAETransformer,
    "cVAE": CVAETransformer,
    "MIM": MIMTransformer,
    "cMIM": CMIMTransformer,
    "InfoNCE": InfoNCETransformer,
}

EVALUATORS = {
    "LogReg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "KNN-5 euclidean": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(5)),
    "KNN-5 cosine": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(5, metric="cosine")),
    "RBF SVM": lambda: make_pipeline(StandardScaler(), SVC()),
    "MLP": lambda: make_pipeline(StandardScaler(), MLPClassifier((128,), max_iter=300, early_stopping=True,
                                                                 random_state=0)),
}


def _score_all(Z_train, y_train, Z_test, y_test):
    return {name: make().fit(Z_train, y_train).score(Z_test, y_test) for name, make in EVALUATORS.items()}


def downstream(data, seeds, max_epochs):
    """Scores of every representation x evaluator x seed, plus reconstruction and speed."""
    X, y = DATASETS[data]()
    X_train, X_test, y_train, y_test = split(X, y)
    scores, recon, speed = [], [], []

    def record(rep, seed, Z_train, Z_test):
        for evaluator, acc in _score_all(Z_train, y_train, Z_test, y_test).items():
            scores.append(dict(dataset=data, representation=rep, seed=seed, evaluator=evaluator, accuracy=acc))

    record("raw features", 0, X_train, X_test)
    hand_epoch_s = _hand_loop_epoch_seconds(X_train)
    start = time.perf_counter()
    pca = PCA(WIDTH, random_state=0).fit(X_train)
    pca_fit = time.perf_counter() - start
    start = time.perf_counter()
    Z_test = pca.transform(X_test)
    pca_throughput = len(X_test) / (time.perf_counter() - start)
    record(f"PCA-{WIDTH}", 0, pca.transform(X_train), Z_test)
    recon.append(dict(dataset=data, model=f"PCA-{WIDTH}", seed=0,
                      mse=float(np.mean((pca.inverse_transform(Z_test) - X_test) ** 2))))
    speed.append(dict(dataset=data, model=f"PCA-{WIDTH}", seed=0, fit_s=pca_fit, transform_per_s=pca_throughput,
                      peak_mib=peak_fit_memory(data, None, max_epochs), epoch_s=np.nan, hand_epoch_s=hand_epoch_s))

    for name, Model in MODELS.items():
        for seed in seeds:
            model = Model(n_components=WIDTH, max_epochs=max_epochs, random_state=seed)
            start = time.perf_counter()
            model.fit(X_train)
            fit_s = time.perf_counter() - start
            start = time.perf_counter()
            Z_test = model.transform(X_test)
            speed.append(dict(dataset=data, model=name, seed=seed, fit_s=fit_s,
                              transform_per_s=len(X_test) / (time.perf_counter() - start),
                              peak_mib=peak_fit_memory(data, name, max_epochs) if seed == seeds[0] else np.nan,
                              epoch_s=fit_s / model.n_iter_, hand_epoch_s=hand_epoch_s))
            record(name, seed, model.transform(X_train), Z_test)
            if hasattr(model, "inverse_transform"):
                recon.append(dict(dataset=data, model=name, seed=seed,
                                  mse=float(np.mean((model.inverse_transform(Z_test) - X_test) ** 2))))
                model.set_params(informative=True)
                record(f"{name} informative", seed, model.transform(X_train), model.transform(X_test))
    return scores, recon, speed


def _hand_loop_epoch_seconds(X, epochs=3, repeats=3):
    """Seconds per epoch of the minimal hand-written torch loop of the core
    issue (same MLP (512, 512), batch 128), after a warm-up epoch; the best
    of ``repeats`` (the least disturbed by other processes)."""
    hand_loop(X, torch.device("cpu"), 1, 128, 0, (512, 512))
    times = []
    for repeat in range(repeats):
        start = time.perf_counter()
        hand_loop(X, torch.device("cpu"), epochs, 128, repeat, (512, 512))
        times.append((time.perf_counter() - start) / epochs)
    return min(times)


def _fit_memory(data, name, max_epochs):
    X, y = DATASETS[data]()
    X_train = split(X, y)[0]
    model = PCA(WIDTH, random_state=0) if name is None else MODELS[name](
        n_components=WIDTH, max_epochs=max_epochs, random_state=0)
    with PeakMemory() as memory:
        model.fit(X_train)
    return memory.mib


def peak_fit_memory(data, name, max_epochs):
    """Peak memory (MiB) that one fit adds, measured in a fresh process so
    that memory kept by earlier fits does not hide it; ``name=None`` is PCA."""
    return in_fresh_process(_fit_memory, data, name, max_epochs)


def batch_size_sweep(data, batch_sizes, updates, seeds):
    """Downstream LogReg accuracy against batch size at a fixed number of optimiser steps."""
    X, y = DATASETS[data]()
    X_train, X_test, y_train, y_test = split(X, y)
    rows = []
    for name in ("MIM", "cMIM", "InfoNCE"):
        for batch_size in batch_sizes:
            steps_per_epoch = math.ceil(len(X_train) / batch_size)
            epochs = max(1, round(updates / steps_per_epoch))
            for seed in seeds:
                model = MODELS[name](n_components=WIDTH, batch_size=batch_size, max_epochs=epochs, random_state=seed)
                Z_train = model.fit_transform(X_train)
                acc = EVALUATORS["LogReg"]().fit(Z_train, y_train).score(model.transform(X_test), y_test)
                rows.append(dict(dataset=data, model=name, batch_size=batch_size, epochs=epochs,
                                 updates=epochs * steps_per_epoch, seed=seed, accuracy=acc))
    return pd.DataFrame(rows)


def rank_summary(scores, column="accuracy"):
    """The method's summary: per-evaluator z-scores and ranks, averaged over
    evaluators; ``column`` is a score where higher is better."""
    mean = scores.groupby(["dataset", "evaluator", "representation"])[column].mean().reset_index()
    grouped = mean.groupby(["dataset", "evaluator"])[column]
    mean["z"] = (mean[column] - grouped.transform("mean")) / grouped.transform("std").replace(0, 1)
    mean["rank"] = grouped.rank(ascending=False, method="average")
    return (mean.groupby(["dataset", "representation"])[["z", "rank"]].mean()
            .rename(columns={"z": "mean z-score", "rank": "mean rank"}).reset_index()
            .sort_values(["dataset", "mean rank"]))


def _markdown(frame, floatfmt=".3f"):
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def _plots(prefix, ranks, sweep):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(ranks["dataset"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4.5), squeeze=False)
    for ax, data in zip(axes[0], datasets):
        part = ranks[ranks["dataset"] == data].sort_values("mean rank", ascending=False)
        ax.barh(part["representation"], part["mean rank"], color="tab:blue")
        ax.set_xlabel("mean rank over evaluators (1 = best)")
        ax.set_title(data)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{prefix}ranks.png", dpi=110)
    plt.close(fig)

    datasets = list(sweep["dataset"].unique())
    if not datasets:
        return
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 4), squeeze=False)
    for ax, data in zip(axes[0], datasets):
        part = sweep[sweep["dataset"] == data].groupby(["model", "batch_size"])["accuracy"].agg(["mean", "std"])
        for model in ("MIM", "cMIM", "InfoNCE"):
            curve = part.loc[model]
            ax.errorbar(curve.index, curve["mean"], yerr=curve["std"].fillna(0), marker="o", label=model, capsize=3)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size (equal number of optimiser updates)")
        ax.set_ylabel("held-out LogReg accuracy")
        ax.set_title(data)
        ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / f"{prefix}batch_size.png", dpi=110)
    plt.close(fig)


def _rank_claims(scores, ranks, column, evaluator):
    lines = []
    for data in ranks["dataset"].unique():
        r = ranks[ranks["dataset"] == data].set_index("representation")["mean rank"]
        lines.append(f"- {data}: mean rank cMIM {r['cMIM']:.2f}, MIM {r['MIM']:.2f}, InfoNCE {r['InfoNCE']:.2f}: "
                     f"cMIM > MIM {'holds' if r['cMIM'] < r['MIM'] else 'does NOT hold'}, "
                     f"cMIM > InfoNCE {'holds' if r['cMIM'] < r['InfoNCE'] else 'does NOT hold'}.")
        chosen = scores[(scores["dataset"] == data) & (scores["evaluator"] == evaluator)]
        value = chosen.groupby("representation")[column].mean()
        for name in ("MIM", "cMIM"):
            better = value[f"{name} informative"] < value[name] if column == "rmse" else (
                value[f"{name} informative"] > value[name])
            lines.append(f"- {data}: {name} informative {value[f'{name} informative']:.3f} vs plain "
                         f"{value[name]:.3f} ({evaluator} {column}): informative > plain "
                         f"{'holds' if better else 'does NOT hold'}.")
    return lines


def _claims(scores, ranks, sweep):
    lines = _rank_claims(scores, ranks, "accuracy", "LogReg") if len(ranks) else []
    for data in sweep["dataset"].unique():
        curve = sweep[sweep["dataset"] == data].groupby(["model", "batch_size"])["accuracy"].mean()
        models = ("cMIM", "MIM", "InfoNCE")
        drop = {m: curve[m].max() - curve[m][curve[m].index.min()] for m in models}
        spread = {m: curve[m].max() - curve[m].min() for m in models}
        holds = drop["cMIM"] <= 0.5 * drop["InfoNCE"]
        lines.append(f"- {data}: accuracy drop from best batch size to batch {curve['cMIM'].index.min()}: "
                     + ", ".join(f"{m} {drop[m]:.3f}" for m in models)
                     + f": cMIM's drop <= half of InfoNCE's {'holds' if holds else 'does NOT hold'}.")
        holds = spread["cMIM"] <= 0.5 * spread["InfoNCE"]
        lines.append(f"- {data}: spread (best - worst) over batch sizes {sorted(curve['cMIM'].index)}: "
                     + ", ".join(f"{m} {spread[m]:.3f}" for m in models)
                     + f": cMIM's spread <= half of InfoNCE's {'holds' if holds else 'does NOT hold'}.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="digits only, fewer epochs and updates")
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS) + ["molecules"],
                        help="override the datasets")
    args = parser.parse_args()
    if args.quick:
        datasets, seeds, max_epochs, updates, prefix = ["digits", "molecules"], [0, 1, 2], 20, 200, "quick_"
        pretraining = dict(n_pretrain=2000, epochs=1, hidden=64)
    else:
        datasets, seeds, max_epochs, updates, prefix = ["digits", "mnist5k", "molecules"], [0, 1, 2], 50, 1000, ""
        pretraining = dict(n_pretrain=20_000, epochs=2, hidden=128)
    datasets = args.datasets or datasets
    numeric = [data for data in datasets if data != "molecules"]
    if args.datasets:
        prefix += "_".join(args.datasets) + "_"
    batch_sizes = [16, 64, 256, 1024]
    RESULTS.mkdir(exist_ok=True)
    start = time.perf_counter()

    scores, recon, speed = [], [], []
    for data in numeric:
        s, r, p = downstream(data, seeds, max_epochs)
        scores += s
        recon += r
        speed += p
    scores, recon, speed = (pd.DataFrame(scores, columns=["dataset", "representation", "seed", "evaluator", "accuracy"]),
                            pd.DataFrame(recon), pd.DataFrame(speed))
    sweep = pd.concat([batch_size_sweep(d, batch_sizes, updates, seeds) for d in numeric] or [pd.DataFrame(
        columns=["dataset", "model", "batch_size", "epochs", "updates", "seed", "accuracy"])])
    ranks = rank_summary(scores)
    molecular = None
    if "molecules" in datasets:
        molecular = [pd.DataFrame(part) for part in molecular_downstream(MODELS, WIDTH, seeds, **pretraining)]
        molecular[0].to_csv(RESULTS / f"{prefix}molecular_downstream.csv", index=False)
        molecular.append(rank_summary(molecular[0], "score"))

    mode = "quick" if args.quick else "full"
    text = [
        f"# Benchmark results ({mode} mode)",
        "",
        f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{' --datasets ' + ' '.join(args.datasets) if args.datasets else ''}`; seeds {seeds}; "
        + (f"max_epochs {max_epochs}; " if numeric else "")
        + f"width {WIDTH}; {time.perf_counter() - start:.0f} s on this machine.",
        "",
        "## Claims",
        "",
    ]
    if numeric:
        text.append(_claims(scores, ranks, sweep))
    if molecular:
        text.append("\n".join(_rank_claims(molecular[0], molecular[3], "rmse", "Ridge")))
    if numeric:
        scores.to_csv(RESULTS / f"{prefix}downstream.csv", index=False)
        sweep.to_csv(RESULTS / f"{prefix}batch_size.csv", index=False)
        recon.to_csv(RESULTS / f"{prefix}reconstruction.csv", index=False)
        speed.to_csv(RESULTS / f"{prefix}speed.csv", index=False)
        text += _numeric_sections(scores, ranks, sweep, recon, speed, updates)
    if molecular:
        text += _molecular_sections(*molecular, pretraining)
    _plots(prefix, pd.concat([ranks] + ([molecular[3]] if molecular else [])), sweep)
    (RESULTS / f"{prefix}summary.md").write_text("\n".join(text))
    print("\n".join(text))


def _mean_std(frame, column, fmt=".3f"):
    table = frame.groupby(["dataset", "representation", "evaluator"])[column].agg(["mean", "std"])
    table = table.apply(lambda r: f"{r['mean']:{fmt}} ± {0 if np.isnan(r['std']) else r['std']:{fmt}}", axis=1)
    return table.unstack("evaluator").reset_index()


def _numeric_sections(scores, ranks, sweep, recon, speed, updates):
    recon_table = recon.groupby(["dataset", "model"])["mse"].agg(["mean", "std"]).reset_index()
    speed_table = (speed.groupby(["dataset", "model"])[["fit_s", "transform_per_s", "peak_mib", "epoch_s",
                                                         "hand_epoch_s"]].mean().reset_index())
    pca_speed = speed_table[speed_table["model"].str.startswith("PCA")].set_index("dataset")
    pca_speed["peak_mib"] = pca_speed["peak_mib"].clip(lower=1.0)  # PCA of these sizes adds under 1 MiB
    for column, label in (("fit_s", "fit / PCA"), ("transform_per_s", "transform / PCA"),
                          ("peak_mib", "memory / PCA")):
        speed_table[label] = speed_table[column] / speed_table["dataset"].map(pca_speed[column])
    speed_table["epoch / hand loop"] = speed_table["epoch_s"] / speed_table["hand_epoch_s"]
    speed_table = speed_table.drop(columns=["hand_epoch_s"])
    sweep_table = (sweep.groupby(["dataset", "model", "batch_size"])["accuracy"].agg(["mean", "std"])
                   .reset_index())
    return [
        "",
        "## Downstream accuracy (held-out half, mean ± std over seeds)",
        "",
        _markdown(_mean_std(scores, "accuracy")),
        "",
        "## Summary: mean z-score and mean rank over evaluators",
        "",
        _markdown(ranks),
        "",
        f"## Batch-size sweep (LogReg accuracy, {updates} optimiser updates each)",
        "",
        _markdown(sweep_table),
        "",
        "## Reconstruction error (test MSE per feature)",
        "",
        _markdown(recon_table, ".4f"),
        "",
        "## Speed (CPU)",
        "",
        "fit seconds and transform samples/s of the test half (means over seeds); peak memory added by one fit "
        "(MiB of resident set, sampled every 2 ms, seed 0, in a fresh process; PCA's is floored at 1 MiB for the "
        "ratio); seconds per training epoch; ratios to PCA and to the minimal hand-written torch loop of "
        "`benchmarks/core_speed.py` (MLP (512, 512), batch 128; best of 3 after a warm-up) timed on the same data "
        "in the same run.",
        "",
        _markdown(speed_table, ".2f"),
        "",
    ]


def _molecular_sections(scores, recon, speed, ranks, pretraining):
    recon_table = recon.groupby("model")["exact_match"].agg(["mean", "std"]).reset_index()
    speed_table = speed.groupby("model")[["fit_s", "molecules_per_s"]].mean().reset_index()
    return [
        "",
        "## Molecules: held-out RMSE (mean ± std over seeds; lower is better)",
        "",
        f"Models pretrained on {pretraining['n_pretrain']:,} ZINC SMILES for {pretraining['epochs']} epoch(s), "
        f"GRU width {pretraining['hidden']}, one model per seed; FreeSolv: random 80/20 split (seed 0); "
        "solubility: the shipped train/test files. ECFP4: Morgan radius 2, 2,048 bits.",
        "",
        _markdown(_mean_std(scores, "rmse")),
        "",
        "## Molecules: mean z-score and mean rank over evaluators (of -RMSE)",
        "",
        _markdown(ranks),
        "",
        "## Molecules: greedy reconstruction exact-match on 200 held-out ZINC SMILES",
        "",
        _markdown(recon_table),
        "",
        "## Molecules: pretraining cost (CPU)",
        "",
        _markdown(speed_table, ".1f"),
        "",
    ]


if __name__ == "__main__":
    main()
