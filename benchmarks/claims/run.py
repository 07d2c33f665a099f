"""The benchmark that checks the method's claims on real data.

    python benchmarks/claims/run.py --quick --jobs 2   # digits and molecules, reduced: under 10 minutes on 2 CPU cores
    python benchmarks/claims/run.py --jobs 2           # MNIST-5k, digits and molecules, full settings
    python benchmarks/claims/run.py --datasets molecules   # only the molecular half
    python benchmarks/claims/run.py --datasets mnist5k --models VAE cVAE   # refit two models, keep the others' rows

Protocol.  Images: a 50/50 stratified split (seed 0); every representation
is fitted on the training half only, and every downstream evaluator is
fitted on the training half's features and scored on the test half.
Molecules (``molecular.py``): models pretrained on ZINC, then FreeSolv,
ESOL, Lipophilicity and Huuskonen solubility regressed from their codes, each
with a random split and a MoleculeNet scaffold split.  Nothing is tuned on
a test half: MIM's and cMIM's defaults and the baselines' settings
(``benchmarks/results/tuning/tuned.json``) were chosen on a validation split of the MNIST-5k
training half by ``benchmarks/claims/tuning.py``, whose record is committed beside
these results.  Digits uses MNIST's choices (image shifts of at most one
pixel of its 8x8 grid).

Evaluators: logistic regression, KNN-5 with Euclidean and with cosine
distance and an MLP probe, each on plain and informative embeddings; the
summary ranks every representation by mean z-score and mean rank over
them, per seed, with intervals over seeds.  "cMIM w/o contrastive" is cMIM
with ``contrastive_weight=0``, all else equal: the ablation of the term.
The batch-size sweep runs at an equal number of updates and at an equal
number of epochs.

Claims are paired differences over seeds (same seed, same split) with a 95%
interval (``verdicts.py``): "holds" only when the interval excludes zero in
the claimed direction; Holm's correction over the whole table gives the
family-wise verdict beside it.

Writes under ``benchmarks/results/run/`` (prefix ``quick_`` in quick mode):
``downstream.csv`` (every score), ``claims.csv``, ``summary.md`` (claims and
tables), ``ranks.png``, ``batch_size.png``, ``batch_size.csv``,
``reconstruction.csv``, ``speed.csv`` and, for molecules,
``molecular_downstream.csv``.
"""

import argparse
import functools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.baselines import CVAETransformer, InfoNCEAETransformer, InfoNCETransformer, VAETransformer
from skcmim.metrics import active_dimensions

from _common import DATASETS, PeakMemory, commit, in_fresh_process, machine, results_folder, split
from claims.molecular import molecular_downstream
from claims.verdicts import claim, claims_markdown, paired, with_holm
from speed.core_speed import hand_loop

RESULTS = results_folder(__file__)
WIDTH = 16
IMAGE_SHAPES = {"digits": (8, 8), "mnist5k": (28, 28)}

#: The same-form ablation: cMIM's objective and latent scaling, with the contrastive term switched off.
NO_CONTRASTIVE = "cMIM w/o contrastive"

MODELS = {
    "VAE": VAETransformer,
    "cVAE": CVAETransformer,
    "MIM": MIMTransformer,
    "cMIM": CMIMTransformer,
    NO_CONTRASTIVE: functools.partial(CMIMTransformer, contrastive_weight=0.0),
    "InfoNCE": InfoNCETransformer,
    "InfoNCE-AE": InfoNCEAETransformer,
}

#: The paper's evaluators, each on standardised embeddings: a linear model, nearest neighbours with Euclidean
#: and with cosine distance, and an MLP probe (one hidden layer, early stopping on a tenth of the training half).
EVALUATORS = {
    "LogReg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "KNN-5": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(5)),
    "KNN-5 cosine": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(5, metric="cosine")),
    "MLP": lambda: make_pipeline(
        StandardScaler(), MLPClassifier((128,), early_stopping=True, max_iter=500, random_state=0)
    ),
}


def tuned_params(name, data):
    """The settings ``tuning.py`` chose for ``name`` (a baseline), fitted to ``data``'s image grid.

    MIM and cMIM (and cMIM without its contrastive term) run with their
    defaults (which the same study chose); cVAE takes the VAE's KL settings.
    """
    if name in ("MIM", "cMIM", NO_CONTRASTIVE):
        return {}
    tuned = json.loads((results_folder("tuning") / "tuned.json").read_text())
    params = dict(tuned.get("VAE" if name == "cVAE" else name, {}))
    if "image_shape" in params:
        params["image_shape"] = IMAGE_SHAPES[data]
        if data == "digits":
            params["max_shift"] = 1
    return params


def make_model(name, data, seed, **overrides):
    params = dict(n_components=WIDTH, random_state=seed, **tuned_params(name, data))
    params.update(overrides)
    return MODELS[name](**params)


def _score_all(Z_train, y_train, Z_test, y_test):
    return {name: make().fit(Z_train, y_train).score(Z_test, y_test) for name, make in EVALUATORS.items()}


def _fit_and_score(data, name, seed, max_epochs, threads):
    """One model of the downstream table: its scores, reconstruction and speed rows (in a worker)."""
    torch.set_num_threads(threads)
    X, y = DATASETS[data]()
    X_train, X_test, y_train, y_test = split(X, y)
    model = make_model(name, data, seed, max_epochs=max_epochs)
    start = time.perf_counter()
    model.fit(X_train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    Z_test = model.transform(X_test)
    transform_per_s = len(X_test) / (time.perf_counter() - start)
    scores = [
        dict(dataset=data, representation=name, seed=seed, evaluator=e, accuracy=a)
        for e, a in _score_all(model.transform(X_train), y_train, Z_test, y_test).items()
    ]
    extra = dict(dataset=data, model=name, seed=seed)
    recon = []
    if hasattr(model, "inverse_transform"):
        recon.append(dict(extra, mse=float(np.mean((model.inverse_transform(Z_test) - X_test) ** 2))))
    if name in ("VAE", "cVAE"):
        recon[-1]["active_dims"] = int(active_dimensions(model, X_test))
    if "informative" in model.get_params():
        model.set_params(informative=True)
        scores += [
            dict(dataset=data, representation=f"{name} informative", seed=seed, evaluator=e, accuracy=a)
            for e, a in _score_all(model.transform(X_train), y_train, model.transform(X_test), y_test).items()
        ]
    speed = dict(extra, fit_s=fit_s, transform_per_s=transform_per_s, epoch_s=fit_s / model.n_iter_)
    return scores, recon, speed


def downstream(data, seeds, max_epochs, jobs, memory=False, models=tuple(MODELS)):
    """Scores of every representation x evaluator x seed, plus reconstruction and speed."""
    X, y = DATASETS[data]()
    X_train, X_test, y_train, y_test = split(X, y)
    scores = [
        dict(dataset=data, representation="raw features", seed=0, evaluator=e, accuracy=a)
        for e, a in _score_all(X_train, y_train, X_test, y_test).items()
    ]
    start = time.perf_counter()
    pca = PCA(WIDTH, random_state=0).fit(X_train)
    pca_fit = time.perf_counter() - start
    start = time.perf_counter()
    Z_test = pca.transform(X_test)
    pca_throughput = len(X_test) / (time.perf_counter() - start)
    scores += [
        dict(dataset=data, representation=f"PCA-{WIDTH}", seed=0, evaluator=e, accuracy=a)
        for e, a in _score_all(pca.transform(X_train), y_train, Z_test, y_test).items()
    ]
    recon = [
        dict(
            dataset=data,
            model=f"PCA-{WIDTH}",
            seed=0,
            mse=float(np.mean((pca.inverse_transform(Z_test) - X_test) ** 2)),
        )
    ]
    hand_epoch_s = _hand_loop_epoch_seconds(X_train)
    speed = [
        dict(dataset=data, model=f"PCA-{WIDTH}", seed=0, fit_s=pca_fit, transform_per_s=pca_throughput, epoch_s=np.nan)
    ]
    threads = max(1, torch.get_num_threads() // jobs)
    results = Parallel(n_jobs=jobs)(
        delayed(_fit_and_score)(data, name, seed, max_epochs, threads) for name in models for seed in seeds
    )
    for s, r, p in results:
        scores += s
        recon += r
        speed.append(p)
    for row in speed:
        row["hand_epoch_s"] = hand_epoch_s
    # memory in a fresh process per model (seed 0), so that earlier fits do not hide it: one more fit each
    for row in speed if memory else []:
        if row["seed"] == 0:
            row["peak_mib"] = peak_fit_memory(
                data, None if row["model"].startswith("PCA") else row["model"], max_epochs
            )
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
    model = PCA(WIDTH, random_state=0) if name is None else make_model(name, data, 0, max_epochs=max_epochs)
    with PeakMemory() as memory:
        model.fit(X_train)
    return memory.mib


def peak_fit_memory(data, name, max_epochs):
    """Peak memory (MiB) that one fit adds, measured in a fresh process so
    that memory kept by earlier fits does not hide it; ``name=None`` is PCA."""
    return in_fresh_process(_fit_memory, data, name, max_epochs)


SWEEP_MODELS = ("MIM", "cMIM", "InfoNCE")


#: The two budgets of the batch-size sweep: the same number of optimiser updates for every batch size (small
#: batches see the data fewer times), and the same number of epochs (small batches take more updates).
EQUAL_UPDATES, EQUAL_EPOCHS = "equal updates", "equal epochs"


def _sweep_point(data, name, batch_size, budget, amount, seed, threads):
    torch.set_num_threads(threads)
    X, y = DATASETS[data]()
    X_train, X_test, y_train, y_test = split(X, y)
    steps_per_epoch = math.ceil(len(X_train) / batch_size)
    epochs = max(1, round(amount / steps_per_epoch)) if budget == EQUAL_UPDATES else amount
    model = make_model(name, data, seed, batch_size=batch_size, max_epochs=epochs)
    Z_train = model.fit_transform(X_train)
    acc = EVALUATORS["LogReg"]().fit(Z_train, y_train).score(model.transform(X_test), y_test)
    return dict(
        dataset=data,
        model=name,
        budget=budget,
        batch_size=batch_size,
        epochs=epochs,
        updates=epochs * steps_per_epoch,
        seed=seed,
        accuracy=acc,
    )


def batch_size_sweep(data, batch_sizes, budgets, seeds, jobs, models=SWEEP_MODELS):
    """Downstream LogReg accuracy against batch size, for each budget ``{EQUAL_UPDATES: n, EQUAL_EPOCHS: n}``."""
    threads = max(1, torch.get_num_threads() // jobs)
    rows = Parallel(n_jobs=jobs)(
        delayed(_sweep_point)(data, name, b, budget, amount, seed, threads)
        for budget, amount in budgets.items()
        for name in models
        for b in batch_sizes
        for seed in seeds
    )
    return pd.DataFrame(rows)


def with_previous(frame, path, column, refitted):
    """``frame`` plus the rows of the models that were not refitted, read from the previous result file.

    Rows of representations that are not models (raw features, PCA) are
    always recomputed, so they come from ``frame`` only.
    """
    previous = pd.read_csv(path)
    model = previous[column].str.removesuffix(" informative")
    kept = previous[model.isin(list(MODELS)) & ~model.isin(refitted)]
    return pd.concat([frame, kept], ignore_index=True)


def _every_seed(scores):
    """``scores`` with the rows of seedless representations (raw features, PCA: one row, seed 0) in every seed."""
    parts = []
    for _, part in scores.groupby("dataset", sort=False):
        seeds = sorted(part["seed"].unique())
        single = part.groupby("representation")["seed"].transform("nunique") == 1
        fixed = part[single]
        parts += [part[~single]] + [fixed.assign(seed=seed) for seed in seeds]
    return pd.concat(parts, ignore_index=True)


def rank_summary(scores, column="accuracy"):
    """The paper's summary: per seed, each evaluator's z-scores and ranks across the representations, averaged
    over evaluators; then their mean over seeds with a 95% Student half-width.  ``column``: higher is better."""
    per_seed = _every_seed(scores)
    grouped = per_seed.groupby(["dataset", "seed", "evaluator"])[column]
    per_seed["z"] = (per_seed[column] - grouped.transform("mean")) / grouped.transform("std").replace(0, 1)
    per_seed["rank"] = grouped.rank(ascending=False, method="average")
    by_seed = per_seed.groupby(["dataset", "representation", "seed"])[["z", "rank"]].mean()

    def half_width(values):
        n = len(values)
        return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan

    summary = by_seed.groupby(["dataset", "representation"]).agg(
        z=("z", "mean"), z_hw=("z", half_width), rank=("rank", "mean"), rank_hw=("rank", half_width)
    )
    return (
        summary.rename(columns={"z": "mean z-score", "z_hw": "z ±", "rank": "mean rank", "rank_hw": "rank ±"})
        .reset_index()
        .sort_values(["dataset", "mean rank"])
    )


# ------------------------------------------------------------------- claims
def _comparisons(scores, evaluators, value, greater):
    """The method's representation claims, one row per dataset x evaluator x comparison."""
    pairs = [
        ("cMIM", "MIM"),
        ("cMIM informative", "MIM informative"),
        ("cMIM", NO_CONTRASTIVE),
        ("cMIM informative", f"{NO_CONTRASTIVE} informative"),
        ("cMIM", "InfoNCE"),
        ("cMIM informative", "InfoNCE-AE informative"),
        ("cMIM", "VAE"),
        ("MIM informative", "MIM"),
        ("cMIM informative", "cMIM"),
        ("InfoNCE-AE informative", "InfoNCE-AE"),
        ("VAE informative", "VAE"),
    ]
    rows = []
    for data in scores["dataset"].unique():
        for evaluator in evaluators:
            part = scores[(scores["dataset"] == data) & (scores["evaluator"] == evaluator)]
            present = set(part["representation"])
            for a, b in pairs:
                if a in present and b in present:
                    x, z = paired(part, value, "representation", a, b)
                    rows.append(
                        claim(
                            f"{a} {'>' if greater else '<'} {b}" + ("" if greater else " (RMSE)"),
                            x,
                            z,
                            greater=greater,
                            dataset=data,
                            evaluator=evaluator,
                        )
                    )
    return rows


def _sweep_claims(sweep):
    """Batch-size sensitivity per budget: each seed's spread (best - worst accuracy over batch sizes), paired."""
    rows = []
    for (data, budget), part in sweep.groupby(["dataset", "budget"], sort=False):
        spread = (
            part.groupby(["model", "seed"])["accuracy"].agg(lambda a: a.max() - a.min()).rename("spread").reset_index()
        )
        for other in ("InfoNCE", "MIM"):
            a, b = paired(spread, "spread", "model", "cMIM", other)
            rows.append(
                claim(
                    f"cMIM's batch-size spread < {other}'s ({budget})",
                    a,
                    b,
                    greater=False,
                    dataset=data,
                    evaluator="LogReg",
                )
            )
    return rows


def _reconstruction_claims(recon):
    """ "cMIM keeps competitive reconstruction": its test MSE below 1.1 x MIM's, paired by seed."""
    rows = []
    for data in recon["dataset"].unique():
        part = recon[recon["dataset"] == data]
        cmim, mim = paired(part, "mse", "model", "cMIM", "MIM")
        rows.append(
            claim("cMIM MSE < 1.1 x MIM MSE", cmim, 1.1 * mim, greater=False, dataset=data, evaluator="test MSE")
        )
    return rows


# ------------------------------------------------------------------- report
def _markdown(frame, floatfmt=".3f"):
    return frame.to_markdown(index=False, floatfmt=floatfmt)


def _mean_std(frame, column, fmt=".3f"):
    table = frame.groupby(["dataset", "representation", "evaluator"])[column].agg(["mean", "std"])
    table = table.apply(lambda r: f"{r['mean']:{fmt}} ± {0 if np.isnan(r['std']) else r['std']:{fmt}}", axis=1)
    return table.unstack("evaluator").reset_index()


def _plots(prefix, ranks, sweep):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(ranks["dataset"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4.5), squeeze=False)
    for ax, data in zip(axes[0], datasets):
        part = ranks[ranks["dataset"] == data].sort_values("mean rank", ascending=False)
        ax.barh(part["representation"], part["mean rank"], xerr=part["rank ±"].fillna(0), color="tab:blue", capsize=3)
        ax.set_xlabel("mean rank over evaluators and seeds (1 = best; 95% interval over seeds)")
        ax.set_title(data)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{prefix}ranks.png", dpi=110)
    plt.close(fig)

    datasets = list(sweep["dataset"].unique())
    if not datasets:
        return
    budgets = list(sweep["budget"].unique())
    fig, axes = plt.subplots(len(budgets), len(datasets), figsize=(5 * len(datasets), 4 * len(budgets)), squeeze=False)
    for row, budget in zip(axes, budgets):
        for ax, data in zip(row, datasets):
            part = sweep[(sweep["dataset"] == data) & (sweep["budget"] == budget)]
            part = part.groupby(["model", "batch_size"])["accuracy"].agg(["mean", "std"])
            for model in part.index.unique("model"):
                curve = part.loc[model]
                ax.errorbar(curve.index, curve["mean"], yerr=curve["std"].fillna(0), marker="o", label=model, capsize=3)
            ax.set_xscale("log", base=2)
            ax.set_xlabel(f"batch size ({budget})")
            ax.set_ylabel("held-out LogReg accuracy")
            ax.set_title(data)
            ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / f"{prefix}batch_size.png", dpi=110)
    plt.close(fig)


def _numeric_sections(scores, ranks, sweep, recon, speed, budgets):
    recon_table = (
        recon.groupby(["dataset", "model"])
        .agg(
            mse=("mse", "mean"),
            mse_std=("mse", "std"),
            **({"active_dims": ("active_dims", "mean")} if "active_dims" in recon else {}),
        )
        .reset_index()
    )
    columns = [c for c in ("fit_s", "transform_per_s", "peak_mib", "epoch_s", "hand_epoch_s") if c in speed]
    speed_table = speed.groupby(["dataset", "model"])[columns].mean().reset_index()
    pca_speed = speed_table[speed_table["model"].str.startswith("PCA")].set_index("dataset")
    if "peak_mib" in pca_speed:
        pca_speed["peak_mib"] = pca_speed["peak_mib"].clip(lower=1.0)  # PCA of these sizes adds under 1 MiB
    for column, label in (("fit_s", "fit / PCA"), ("transform_per_s", "transform / PCA"), ("peak_mib", "memory / PCA")):
        if column in speed_table:
            speed_table[label] = speed_table[column] / speed_table["dataset"].map(pca_speed[column])
    speed_table["epoch / hand loop"] = speed_table["epoch_s"] / speed_table["hand_epoch_s"]
    speed_table = speed_table.drop(columns=["hand_epoch_s"])
    sweep_table = (
        sweep.groupby(["dataset", "budget", "model", "batch_size"])
        .agg(
            epochs=("epochs", "first"), updates=("updates", "first"), mean=("accuracy", "mean"), std=("accuracy", "std")
        )
        .reset_index()
    )
    return [
        "",
        "## Downstream accuracy (held-out half, mean ± std over seeds)",
        "",
        _markdown(_mean_std(scores, "accuracy")),
        "",
        f"## Summary: mean z-score and mean rank over the {scores['evaluator'].nunique()} evaluators",
        "",
        "Per seed, each evaluator's z-scores and ranks across the representations (raw features and PCA, which "
        "have no seed, take part in every seed), averaged over evaluators; then the mean over seeds and its 95% "
        "half-width (`z ±`, `rank ±`).",
        "",
        _markdown(ranks),
        "",
        "## Batch-size sweep (LogReg accuracy; "
        + ", ".join(f"{budget}: {amount}" for budget, amount in budgets.items())
        + ")",
        "",
        _markdown(sweep_table),
        "",
        "## Reconstruction error (test MSE per feature) and active code dimensions",
        "",
        _markdown(recon_table, ".4f"),
        "",
        "## Speed (CPU)",
        "",
        "fit seconds and transform samples/s of the test half (means over seeds, fits run in parallel worker "
        "processes); with `--memory`, the peak memory added by one fit (MiB of resident set, sampled every 2 ms, "
        "seed 0, in a fresh process; PCA's is floored at 1 MiB for the ratio); seconds per training epoch; ratios to "
        "PCA and to the minimal hand-written torch loop of `benchmarks/speed/core_speed.py` (MLP (512, 512), batch "
        "128; best of 3 after a warm-up) timed on the same data in the same run. Training speed proper is "
        "`benchmarks/speed/core_speed.py`'s side-by-side ratio.",
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
        f"GRU width {pretraining['hidden']}, one model per seed. Each task with a random 80/20 split (seed 0; "
        "Huuskonen: its shipped train/test files) and a MoleculeNet scaffold split (80/20). "
        "ECFP4: Morgan radius 2, 2,048 bits; PCA-16 of ECFP4.",
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="digits and a small molecular run")
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS) + ["molecules"], help="override the datasets")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the fits")
    parser.add_argument(
        "--models",
        nargs="+",
        choices=list(MODELS),
        help="refit only these models on the image data sets and take the other models' rows from "
        "the previous result files of the same run (after retuning some baselines)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also measure each model's peak fit memory (one more fit per model, in a fresh process)",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4], help="(default: %(default)s)")
    args = parser.parse_args()
    ran_on = commit()  # before this run writes its files
    seeds = args.seeds
    if args.quick:
        datasets, max_epochs, prefix = ["digits", "molecules"], 20, "quick_"
        budgets = {EQUAL_UPDATES: 200, EQUAL_EPOCHS: 10}
        pretraining = dict(n_pretrain=2000, epochs=1, hidden=64)
    else:
        datasets, max_epochs, prefix = ["mnist5k", "molecules"], 50, ""
        budgets = {EQUAL_UPDATES: 500, EQUAL_EPOCHS: 10}
        pretraining = dict(n_pretrain=10_000, epochs=2, hidden=128)
    datasets = args.datasets or datasets
    numeric = [data for data in datasets if data != "molecules"]
    if args.models and "molecules" in datasets:
        parser.error("--models reruns models of the image data sets; pass --datasets without molecules")
    refitted = args.models or list(MODELS)
    if args.datasets:
        prefix += "_".join(args.datasets) + "_"
    # MNIST's batch 1024 would cost more than the rest of its sweep together (500 updates of 1,024 rows)
    batch_sizes = {"digits": [16, 64, 256, 1024], "mnist5k": [16, 64, 256]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    scores, recon, speed = [], [], []
    for data in numeric:
        s, r, p = downstream(data, seeds, max_epochs, args.jobs, args.memory, refitted)
        scores += s
        recon += r
        speed += p
    scores = pd.DataFrame(scores, columns=["dataset", "representation", "seed", "evaluator", "accuracy"])
    recon, speed = pd.DataFrame(recon), pd.DataFrame(speed)
    sweep_models = [name for name in SWEEP_MODELS if name in refitted]
    sweep = pd.concat(
        [batch_size_sweep(d, batch_sizes[d], budgets, seeds, args.jobs, sweep_models) for d in numeric if sweep_models]
        or [pd.DataFrame(columns=["dataset", "model", "budget", "batch_size", "epochs", "updates", "seed", "accuracy"])]
    )
    if args.models:
        scores = with_previous(scores, RESULTS / f"{prefix}downstream.csv", "representation", refitted)
        recon = with_previous(recon, RESULTS / f"{prefix}reconstruction.csv", "model", refitted)
        speed = with_previous(speed, RESULTS / f"{prefix}speed.csv", "model", refitted)
        sweep = with_previous(sweep, RESULTS / f"{prefix}batch_size.csv", "model", refitted)
    ranks = rank_summary(scores)
    claims = []
    if numeric:
        claims += _comparisons(scores, tuple(EVALUATORS), "accuracy", greater=True)
        claims += _sweep_claims(sweep) + _reconstruction_claims(recon)
    molecular = None
    if "molecules" in datasets:
        models = {name: MODELS[name] for name in ("MIM", "cMIM", "InfoNCE")}
        molecular = [
            pd.DataFrame(part) for part in molecular_downstream(models, WIDTH, seeds, jobs=args.jobs, **pretraining)
        ]
        molecular[0].to_csv(RESULTS / f"{prefix}molecular_downstream.csv", index=False)
        molecular.append(rank_summary(molecular[0], "score"))
        claims += _comparisons(molecular[0], ("Ridge",), "rmse", greater=False)
    claims = with_holm(claims)

    mode = "quick" if args.quick else "full"
    text = [
        f"# Benchmark results ({mode} mode)",
        "",
        f"Command: `python benchmarks/claims/run.py{' --quick' if args.quick else ''}"
        f"{' --datasets ' + ' '.join(args.datasets) if args.datasets else ''}"
        f"{' --models ' + ' '.join(args.models) if args.models else ''} --jobs {args.jobs}`"
        + (" (the other models' rows from the previous run's files)" if args.models else "")
        + f"; seeds {seeds}; "
        + (f"max_epochs {max_epochs}; " if numeric else "")
        + f"width {WIDTH}; {time.perf_counter() - start:.0f} s on {machine()}, commit {ran_on}.",
        "",
        "## Claims (paired by seed; 95% interval of a - b; holds only when it excludes zero in the claimed direction)",
        "",
        f"Holm's correction over all {len(claims)} claims of this table: `holm_p` is each claim's one-sided "
        "paired t-test p-value, adjusted; `verdict (Holm)` holds at a 5% family-wise error rate. A difference "
        "without variance over seeds is within noise.",
        "",
        claims_markdown(claims),
        "",
    ]
    pd.DataFrame(claims).to_csv(RESULTS / f"{prefix}claims.csv", index=False)
    if numeric:
        scores.to_csv(RESULTS / f"{prefix}downstream.csv", index=False)
        sweep.to_csv(RESULTS / f"{prefix}batch_size.csv", index=False)
        recon.to_csv(RESULTS / f"{prefix}reconstruction.csv", index=False)
        speed.to_csv(RESULTS / f"{prefix}speed.csv", index=False)
        text += _numeric_sections(scores, ranks, sweep, recon, speed, budgets)
    if molecular:
        text += _molecular_sections(*molecular, pretraining)
    _plots(prefix, pd.concat([ranks] + ([molecular[3]] if molecular else [])), sweep)
    (RESULTS / f"{prefix}summary.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main()
