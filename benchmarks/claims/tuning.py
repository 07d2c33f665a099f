"""Validation-only tuning: the study that chose every model's settings in ``run.py``.

Validation data only: MNIST-5k's training half (the 50/50 split of
``run.py``, seed 0) is split again 50/50 (seed 1) into a fitting part
(1,250 images) and a validation part (1,250); the test half is never loaded
here.  Every configuration is fitted on the fitting part with each seed and
scored on the validation part by LogisticRegression and KNN-5 on the plain
codes and, for models with a decoder, on the informative embeddings of the
same model.  A configuration's score is the mean of those validation
accuracies; each model's choice is its best configuration.

Families (``--models``); cMIM and each baseline have a grid of 24
configurations, so that the baselines get the tuning budget cMIM gets:

* ``MIM``: the form of the objective: ``reconstruction`` summed or averaged
  over features, ``latent_scale`` ``"none"`` or ``"per_dimension"`` (the
  latent terms divided by ``n_components``, as NVIDIA's published cMIM code
  does with its opt-in ``normalize_gradient=True``);
* ``cMIM``: each form with ``contrastive_weight`` (1, 10, 100),
  ``contrastive_temperature`` (0.1, 1.0) and the similarity on the sampled
  code ``z`` or the posterior mean ``mu``; cMIM is also compared with MIM of
  the same form seed by seed, so the table shows where the contrastive term
  itself helps;
* ``VAE``: KL warm-up (0 to 25 epochs) and free bits (0 to 2 nats per
  dimension), against posterior collapse;
* ``InfoNCE`` and ``InfoNCE-AE`` (InfoNCE with a decoder): projection head,
  augmentation (noise, SCARF corruption at two rates, image shifts, and
  shifts composed with SCARF or noise, as SimCLR composes its views),
  temperature and, for InfoNCE-AE, the reconstruction weight.

The chosen MIM and cMIM settings are the estimators' defaults; the chosen
baseline settings are written to ``tuned.json``, which ``run.py``
reads.

    python benchmarks/claims/tuning.py --jobs 2                 # every family, 2 seeds, 30 epochs
    python benchmarks/claims/tuning.py --models MIM cMIM        # one family at a time (results are merged)
    python benchmarks/claims/tuning.py --models InfoNCE --keep  # fit only the configurations not yet in the CSV
    python benchmarks/claims/tuning.py --report                 # rewrite tuning.md and tuned.json from the CSV

Writes ``benchmarks/results/tuning/tuning.csv`` (every fit and score),
``tuning.md`` (tables and choices) and ``tuned.json``.
"""

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from _common import DATASETS, machine, results_folder, split
from claims.verdicts import claim, claims_markdown, paired

RESULTS = results_folder(__file__)
WIDTH = 16
IMAGE_SHAPE = (28, 28)
PROBES = {
    "LogReg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "KNN-5": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(5)),
}
SCORES = ["LogReg", "KNN-5", "LogReg informative", "KNN-5 informative"]
FORMS = [
    dict(reconstruction=r, latent_scale=s) for r, s in itertools.product(("sum", "mean"), ("none", "per_dimension"))
]
CONTRASTIVE = [
    dict(contrastive_weight=w, contrastive_temperature=t, contrastive_on=on)
    for w, t, on in [(10, 0.1, "z"), (1, 0.1, "z"), (100, 0.1, "z"), (10, 1.0, "z"), (100, 1.0, "z"), (10, 0.1, "mu")]
]
VIEWS = [dict(augmentation="noise"), dict(augmentation="scarf"), dict(augmentation="shift", image_shape=IMAGE_SHAPE)]
# Composed views, as SimCLR composes crops with colour changes; and a milder SCARF corruption.
COMPOSED_VIEWS = [
    dict(augmentation=("shift", "scarf"), image_shape=IMAGE_SHAPE),
    dict(augmentation=("shift", "noise"), image_shape=IMAGE_SHAPE),
    dict(augmentation="scarf", corruption_rate=0.3),
]


def grid(family):
    """The configurations (parameter dicts) of one family."""
    if family == "MIM":
        return [dict(form) for form in FORMS]
    if family == "cMIM":
        return [dict(form, **extra) for form in FORMS for extra in CONTRASTIVE]
    if family == "VAE":
        return [dict(kl_warmup_epochs=w, free_bits=b) for w in (0, 5, 10, 25) for b in (0.0, 0.1, 0.25, 0.5, 1.0, 2.0)]
    if family == "InfoNCE":
        return [
            dict(projection_head=head, contrastive_temperature=t, **view)
            for head in (None, (128,))
            for view in VIEWS + COMPOSED_VIEWS
            for t in (0.1, 0.5)
        ]
    if family == "InfoNCE-AE":
        return [
            dict(projection_head=head, contrastive_temperature=t, reconstruction_weight=r, **view)
            for head in ((128,), None)
            for view in VIEWS[1:] + COMPOSED_VIEWS[:1]
            for t in (0.1, 0.5)
            for r in (0.1, 1.0)
        ]
    raise ValueError(family)


FAMILIES = ["MIM", "cMIM", "VAE", "InfoNCE", "InfoNCE-AE"]


def model_class(family):
    from skcmim import CMIMTransformer, MIMTransformer, baselines

    return {
        "MIM": MIMTransformer,
        "cMIM": CMIMTransformer,
        "VAE": baselines.VAETransformer,
        "InfoNCE": baselines.InfoNCETransformer,
        "InfoNCE-AE": getattr(baselines, "InfoNCEAETransformer", None),
    }[family]


def label(params):
    return ", ".join(f"{key}={value}" for key, value in params.items() if key != "image_shape")


def score(model, X_fit, y_fit, X_val, y_val):
    """Validation accuracies of the probes on the plain codes and, with a decoder, the informative ones."""
    modes = (False, True) if "informative" in model.get_params() else (False,)
    rows = {}
    for informative in modes:
        model.set_params(informative=informative) if len(modes) > 1 else None
        Z_fit, Z_val = model.transform(X_fit), model.transform(X_val)
        for probe, make in PROBES.items():
            score = make().fit(Z_fit, y_fit).score(Z_val, y_val)
            rows[f"{probe}{' informative' if informative else ''}"] = float(score)
    if len(modes) > 1:
        model.set_params(informative=False)
    return rows


def _terms(model):
    last = model.history_[-1]
    return {
        f"train_{term}": float(last[f"train_{term}"]) if f"train_{term}" in last else np.nan
        for term in ("reconstruction", "latent", "kl", "contrastive")
    }


def fit_one(family, params, seed, max_epochs, threads):
    """One fit and its validation scores (runs in a worker process)."""
    import torch

    torch.set_num_threads(threads)
    X, y = DATASETS["mnist5k"]()
    X_train, _, y_train, _ = split(X, y)
    X_fit, X_val, y_fit, y_val = split(X_train, y_train, seed=1)
    model = model_class(family)(n_components=WIDTH, max_epochs=max_epochs, random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_fit)
    row = dict(
        model=family,
        config=label(params),
        params=json.dumps(params),
        seed=seed,
        fit_s=time.perf_counter() - start,
        **score(model, X_fit, y_fit, X_val, y_val),
        **_terms(model),
    )
    if family == "VAE":
        from skcmim.metrics import active_dimensions

        row["active_dims"] = int(active_dimensions(model, X_val))
    print(json.dumps(row), flush=True)
    return row


def run(families, seeds, max_epochs, jobs, done=frozenset(), threads=None):
    """Fit every configuration of ``families`` with every seed, except the ``(family, config, seed)`` in ``done``."""
    from joblib import Parallel, delayed

    tasks = [
        (family, params, seed)
        for family in families
        for params in grid(family)
        for seed in seeds
        if (family, label(params), seed) not in done
    ]
    threads = threads or max(1, (os.cpu_count() or 1) // jobs)
    rows = Parallel(n_jobs=jobs)(delayed(fit_one)(f, p, s, max_epochs, threads) for f, p, s in tasks)
    return pd.DataFrame(rows)


def choices(frame):
    """Each family's best configuration: ``{family: (label, params)}``."""
    frame = frame.assign(score=frame[[c for c in SCORES if c in frame]].mean(axis=1))
    means = frame.groupby(["model", "config", "params"], sort=False)["score"].mean().reset_index()
    best = means.loc[means.groupby("model")["score"].idxmax()]
    return {row.model: (row.config, json.loads(row.params)) for row in best.itertuples()}


def _contrastive_effect(frame):
    """cMIM minus MIM of the same form, seed by seed, for every cMIM configuration."""
    frame = frame[frame["model"].isin(["MIM", "cMIM"])]
    frame = frame.assign(form=frame["params"].map(lambda p: "{reconstruction}/{latent_scale}".format(**json.loads(p))))
    rows = []
    for config in frame.loc[frame["model"] == "cMIM", "config"].unique():
        part = frame[frame["config"] == config]
        mim = frame[(frame["model"] == "MIM") & (frame["form"] == part["form"].iloc[0])]
        for column in SCORES:
            a, b = paired(pd.concat([part, mim]), column, "model", "cMIM", "MIM")
            rows.append(claim("cMIM > MIM of the same form", a, b, config=config, score=column))
    return rows


def report(frame, seconds, command):
    frame = frame.assign(score=frame[[c for c in SCORES if c in frame]].mean(axis=1))
    extra = [
        c
        for c in ("active_dims", "train_reconstruction", "train_latent", "train_kl", "train_contrastive", "fit_s")
        if c in frame and frame[c].notna().any()
    ]
    table = (
        frame.groupby(["model", "config"], sort=False)[[c for c in SCORES if c in frame] + ["score"] + extra]
        .mean()
        .reset_index()
        .sort_values(["model", "score"], ascending=[True, False])
    )
    chosen = choices(frame)
    lines = [
        "# Validation-only tuning (MNIST-5k training half)",
        "",
        f"Command: `python benchmarks/claims/tuning.py --jobs 2` (every family; the record keeps each family's latest "
        f"fits); last run: `{command}`, {seconds}. Seeds {sorted(int(s) for s in frame['seed'].unique())}; "
        f"n_components {WIDTH}; {len(frame)} fits, {frame['fit_s'].sum() / 60:.0f} minutes of fitting in all, on "
        f"{machine()}.",
        "",
        "Fitting part 1,250 images, validation part 1,250 images, both from the training half; the test half is "
        "never used. score = mean of the validation accuracies (LogReg and KNN-5, on the plain codes and, for "
        "models with a decoder, on the informative embeddings). Terms are the last epoch's per-sample means "
        "(nats): reconstruction -log p(x|z), latent -1/2 (log q + log P), kl log q - log P, contrastive "
        "-log p(k=1|z,x), each before its weight or scaling. active_dims: code dimensions whose posterior mean "
        "varies across the validation images (Cov_x E[z|x] > 0.01).",
        "",
        "## Choices (best validation score per model)",
        "",
        *[f"- {family}: {config}" for family, (config, _) in chosen.items()],
        "",
        "## Every configuration (mean over seeds)",
        "",
        table.to_markdown(index=False, floatfmt=".4f"),
        "",
    ]
    if {"MIM", "cMIM"} <= set(frame["model"]):
        lines += [
            "## cMIM minus MIM of the same form (paired by seed, 95% interval)",
            "",
            claims_markdown(_contrastive_effect(frame)),
            "",
        ]
    return "\n".join(lines), chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=FAMILIES, default=FAMILIES)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (threads are shared among them)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per worker (default: the CPU cores shared among the workers)",
    )
    parser.add_argument("--report", action="store_true", help="only rewrite tuning.md and tuned.json")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the fits already in tuning.csv (same family, configuration and seed) and fit only "
        "the configurations of the grids that are not there",
    )
    args = parser.parse_args()
    csv = RESULTS / "tuning.csv"
    old = pd.read_csv(csv) if csv.is_file() else pd.DataFrame(columns=["model"])
    seconds = "report rewritten from the CSV"
    if not args.report:
        start = time.perf_counter()
        kept = old[old["model"].isin(args.models) & old["seed"].isin(args.seeds)] if args.keep else old.iloc[:0]
        new = run(
            args.models,
            args.seeds,
            args.max_epochs,
            args.jobs,
            done=frozenset(zip(kept["model"], kept["config"], kept["seed"])),
            threads=args.threads,
        )
        seconds = f"{time.perf_counter() - start:.0f} s for {len(new)} fits of {', '.join(args.models)}"
        old = pd.concat([old[~old["model"].isin(args.models)], kept, new], ignore_index=True)
        old.to_csv(csv, index=False)
    text, chosen = report(old, seconds, " ".join(["python benchmarks/claims/tuning.py", *sys.argv[1:]]))
    (RESULTS / "tuning.md").write_text(text)
    (RESULTS / "tuned.json").write_text(
        json.dumps({family: params for family, (_, params) in chosen.items()}, indent=1) + "\n"
    )
    print(text)


if __name__ == "__main__":
    main()
