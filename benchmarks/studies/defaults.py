"""What a user who never tunes gets: each baseline with its defaults, beside 0.1's defaults and its tuned setting.

skcmim 0.2 made every baseline's defaults its setting chosen on the
validation split (``benchmarks/claims/tuning.py``): ``augmentation="auto"``
(SCARF on numeric data) for both InfoNCE baselines, ``reconstruction_weight=0.1``
for InfoNCE with a decoder, ``free_bits=2.0`` for the VAE and cVAE.  This
script fits each of them on the MNIST-5k training half three ways, with the
same seeds: ``Estimator(random_state=seed)`` as shipped, with the defaults of
0.1, and with the setting ``benchmarks/claims/run.py`` uses (where that
differs from the defaults: the image shifts of InfoNCE with a decoder),
and scores logistic regression and KNN-5 on the test half, on the plain
codes and, for models with a decoder, on the informative embeddings.
Differences are paired by seed with 95% Student intervals.

    python benchmarks/studies/defaults.py                 # 5 seeds, every baseline
    python benchmarks/studies/defaults.py --models InfoNCE --seeds 0 1

Writes ``benchmarks/results/defaults/defaults.csv`` (a row per fit and
evaluator, kept between runs: a second run fits only what is missing) and
``defaults.md``.
"""

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from joblib import Parallel, delayed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim.inputs.numeric import AUTO_AUGMENTATION

from _common import DATASETS, commit, embed_both, machine, results_folder, split
from claims.run import EVALUATORS, MODELS, tuned_params
from claims.verdicts import paired_interval

RESULTS = results_folder(__file__)
DATA = "mnist5k"
PROBES = {name: EVALUATORS[name] for name in ("LogReg", "KNN-5")}

#: The defaults of skcmim 0.1 that 0.2 changed, per baseline.
OLD_DEFAULTS = {
    "InfoNCE": {"augmentation": "noise"},
    "InfoNCE-AE": {"augmentation": "noise", "reconstruction_weight": 1.0},
    "VAE": {"free_bits": 0.0},
    "cVAE": {"free_bits": 0.0},
}


def settings(name):
    """``{label: parameters}`` of one baseline: as shipped, 0.1's defaults, and the benchmark's if they differ."""
    out = {"defaults": {}, "0.1 defaults": OLD_DEFAULTS[name]}
    tuned = tuned_params(name, DATA)
    defaults = MODELS[name]().get_params()
    if defaults.get("augmentation") == "auto":  # what "auto" means for numeric data
        defaults["augmentation"] = AUTO_AUGMENTATION[0] if len(AUTO_AUGMENTATION) == 1 else AUTO_AUGMENTATION
    if any(defaults[key] != value for key, value in tuned.items()):
        out["tuned"] = tuned
    return out


def fit_and_score(name, label, params, seed, threads):
    torch.set_num_threads(threads)
    X, y = DATASETS[DATA]()
    X_train, X_test, y_train, y_test = split(X, y)
    model = MODELS[name](random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_train)
    fit_s = time.perf_counter() - start
    if "informative" in model.get_params():
        embeddings = embed_both(model, X_train, X_test)
    else:  # no decoder, no informative embeddings
        embeddings = {False: (model.transform(X_train), model.transform(X_test))}
    rows = []
    for informative, (Z_train, Z_test) in embeddings.items():
        for evaluator, make in PROBES.items():
            accuracy = make().fit(Z_train, y_train).score(Z_test, y_test)
            rows.append(
                dict(
                    model=name,
                    setting=label,
                    params=repr(params),
                    seed=seed,
                    evaluator=evaluator + (" informative" if informative else ""),
                    accuracy=accuracy,
                    fit_s=fit_s,
                )
            )
    return rows


def comparisons(frame):
    rows = []
    for (name, evaluator), group in frame.groupby(["model", "evaluator"], sort=False):
        table = group.pivot_table(index="seed", columns="setting", values="accuracy")
        for other in ("0.1 defaults", "tuned"):
            if other not in table:
                continue
            both = table[["defaults", other]].dropna()
            mean, low, high, n = paired_interval(both["defaults"], both[other])
            rows.append(
                dict(
                    model=name,
                    evaluator=evaluator,
                    defaults=both["defaults"].mean(),
                    against=other,
                    other=both[other].mean(),
                    difference=mean,
                    ci=f"[{low:+.4f}, {high:+.4f}]",
                    n=n,
                )
            )
    return pd.DataFrame(rows)


def report(frame, command):
    settings_used = frame.drop_duplicates(["model", "setting"])[["model", "setting", "params"]]
    return "\n".join(
        [
            "# Baselines with their defaults",
            "",
            f"Command: `{command}`; commit {commit()}; {frame['fit_s'].sum() / 60:.0f} minutes of fitting on "
            f"{machine()}.",
            "",
            "MNIST-5k, 50/50 stratified split (2,500 training images), `n_components=16`, `max_epochs=50` (the "
            "defaults); accuracy on the test half. `defaults - other`, paired by seed, 95% Student interval.",
            "",
            comparisons(frame).to_markdown(index=False, floatfmt=".4f"),
            "",
            "Settings (besides `random_state`):",
            "",
            settings_used.to_markdown(index=False),
            "",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(OLD_DEFAULTS), choices=list(OLD_DEFAULTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=1, help="fits at once (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per fit (default: %(default)s)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "defaults.csv"
    frame = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["model", "setting", "seed"])
    done = set(zip(frame["model"], frame["setting"], frame["seed"]))
    tasks = [
        (name, label, params, seed)
        for name in args.models
        for label, params in settings(name).items()
        for seed in args.seeds
        if (name, label, seed) not in done
    ]
    for rows in Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(fit_and_score)(*task, args.threads) for task in tasks
    ):
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
        frame.to_csv(path, index=False)  # after every fit: an interrupted run resumes
        print(rows[0]["model"], rows[0]["setting"], rows[0]["seed"], f"{rows[0]['fit_s']:.0f} s", flush=True)
    command = "python benchmarks/studies/defaults.py" + "".join(f" {arg}" for arg in sys.argv[1:])
    text = report(frame, command)
    (RESULTS / "defaults.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
