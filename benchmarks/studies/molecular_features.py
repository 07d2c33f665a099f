"""Pretrained molecular encoders against featurizers chemists use, split by split, with paired intervals.

Four regression tasks (FreeSolv, ESOL, Lipophilicity, Huuskonen solubility),
each on five random 80/20 splits (seeds 0 to 4) and on MoleculeNet's
scaffold split; feature sets:

* ECFP4 (Morgan fingerprints, radius 2, 2,048 bits) and RDKit's 2-D
  descriptors, both from scikit-fingerprints (``skfp``), a maintained
  library of scikit-learn featurizers;
* each pretrained encoder's informative embeddings (frozen: never refitted);
* each encoder's embeddings beside the descriptors, as a user builds them
  with ``make_union(FrozenEstimator(encoder), RDKit2DDescriptorsFingerprint())``
  (the recipe in docs/recipes.rst).

Regressors, one per family, each tuned on the training part only: linear
(Ridge on standardised features, alpha by leave-one-out), kernel (RBF SVR on
standardised features, C in {1, 10} by 3-fold CV) and forest (300 trees, out-of-bag
predictions choose nothing: the forest's one setting is fixed); and the best
of the three by its validation RMSE on the training part.  Comparisons are
paired by split: the mean RMSE difference over the five random splits with
its 95% Student interval, and the scaffold split's difference beside it.

    python benchmarks/studies/molecular_features.py                       # every shipped model
    python benchmarks/studies/molecular_features.py --models cmim-zinc-v2 mim-zinc-v2 cmim-zinc

Needs ``pip install ".[benchmarks]"`` (scikit-fingerprints).  Writes
``benchmarks/results/molecular_features/molecular_features.csv`` (one row per
task, split, feature set and regressor) and ``.md`` (the comparisons).
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import RidgeCV
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import pretrained
from skcmim.datasets import fetch_esol, fetch_lipophilicity, load_freesolv, load_solubility
from skcmim.model_selection import scaffold_split

from _common import PROJECT_DATA, add_data_option, machine, results_folder
from claims.verdicts import paired_interval

RESULTS = results_folder(__file__)
SEEDS = (0, 1, 2, 3, 4)
FAMILIES = ("linear", "kernel", "forest")


# ------------------------------------------------------------------ featurizers
def ecfp4():
    from skfp.fingerprints import ECFPFingerprint

    return ECFPFingerprint(fp_size=2048, radius=2)


def descriptors():
    """RDKit's 2-D descriptors (skfp); the few that overflow on odd molecules are made finite."""
    from skfp.fingerprints import RDKit2DDescriptorsFingerprint
    from sklearn.preprocessing import FunctionTransformer

    finite = FunctionTransformer(lambda X: np.clip(np.nan_to_num(np.asarray(X, dtype=np.float64)), -1e6, 1e6))
    return make_pipeline(RDKit2DDescriptorsFingerprint(), finite)


def embedding(encoder):
    return FrozenEstimator(encoder.set_params(informative=True))


def feature_sets(encoders):
    """``{label: transformer}``: the reference featurizers, each encoder, and each encoder with descriptors."""
    sets = {"ECFP4": ecfp4(), "RDKit descriptors": descriptors()}
    for name, encoder in encoders.items():
        sets[name] = embedding(encoder)
        sets[f"{name} + descriptors"] = make_union(embedding(encoder), descriptors())
    return sets


# ------------------------------------------------------------------ regressors
def linear():
    return make_pipeline(
        StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 15), scoring="neg_root_mean_squared_error")
    )


def kernel():
    return GridSearchCV(
        make_pipeline(StandardScaler(), SVR()), {"svr__C": [1, 10]}, cv=3, scoring="neg_root_mean_squared_error"
    )


def forest():
    return RandomForestRegressor(n_estimators=300, max_features=0.3, oob_score=True, n_jobs=2, random_state=0)


#: Each family's regressor and the RMSE on the training part that ranks it for "best of".
REGRESSORS = {
    "linear": (linear, lambda model, y: -model[-1].best_score_),
    "kernel": (kernel, lambda model, y: -model.best_score_),
    "forest": (forest, lambda model, y: root_mean_squared_error(y, model.oob_prediction_)),
}


# ------------------------------------------------------------------ tasks
def tasks(data):
    """``{name: (smiles, y)}`` of the four tasks (Huuskonen: its shipped train and test files together)."""
    (a, ya), (b, yb) = load_solubility("train", return_X_y=True), load_solubility("test", return_X_y=True)
    return {
        "FreeSolv": load_freesolv(return_X_y=True),
        "ESOL": fetch_esol(data_home=data, return_X_y=True),
        "Lipophilicity": fetch_lipophilicity(data_home=data, return_X_y=True),
        "Huuskonen": (list(a) + list(b), np.concatenate([ya, yb])),
    }


def splits(smiles):
    """``[(split, train_index, test_index)]``: five random 80/20 splits and MoleculeNet's scaffold split."""
    rows = np.arange(len(smiles))
    out = [(f"random {seed}", *train_test_split(rows, test_size=0.2, random_state=seed)) for seed in SEEDS]
    return [*out, ("scaffold", *scaffold_split(list(smiles), test_size=0.2))]


def score(features, regressors, X_train, y_train, X_test, y_test):
    """Rows ``{family, cv_rmse, rmse}`` for each family and for the best of them."""
    rows = []
    for family in regressors:
        make, selection = REGRESSORS[family]
        model = make().fit(X_train, y_train)
        rows.append(
            dict(
                family=family,
                cv_rmse=float(selection(model, y_train)),
                rmse=float(root_mean_squared_error(y_test, model.predict(X_test))),
            )
        )
    best = min(rows, key=lambda row: row["cv_rmse"])
    return [*rows, dict(best, family="best of three", chosen=best["family"])]


def run(encoders, data):
    rows = []
    for task, (smiles, y) in tasks(data).items():
        smiles, y = list(smiles), np.asarray(y, dtype=float)
        computed = {}
        for label, featurizer in feature_sets(encoders).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # unknown tokens are counted elsewhere
                computed[label] = np.asarray(featurizer.fit(smiles, y).transform(smiles), dtype=np.float64)
        for split, train, test in splits(smiles):
            for label, X in computed.items():
                for row in score(label, FAMILIES, X[train], y[train], X[test], y[test]):
                    rows.append(dict(task=task, split=split, features=label, **row))
                    print(json.dumps(rows[-1]), flush=True)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ report
def comparison(frame, a, b, family):
    """Per task: the mean paired difference of RMSE (a - b) over the random splits, its interval, and scaffold's."""
    out = []
    for task, group in frame[frame.family == family].groupby("task", sort=False):
        table = group.pivot_table(index="split", columns="features", values="rmse")
        randoms = table[table.index.str.startswith("random")]
        mean, low, high, n = paired_interval(randoms[a], randoms[b])
        verdict = "a better" if high < 0 else "b better" if low > 0 else "within noise"
        out.append(
            dict(
                task=task,
                family=family,
                a=a,
                b=b,
                a_rmse=randoms[a].mean(),
                b_rmse=randoms[b].mean(),
                difference=mean,
                ci=f"[{low:+.3f}, {high:+.3f}]",
                verdict=verdict,
                n=n,
                scaffold=float(table.loc["scaffold", a] - table.loc["scaffold", b]),
            )
        )
    return out


def report(frame, encoders, seconds, command):
    lines = [
        "# Pretrained molecular encoders against ECFP4 and RDKit descriptors",
        "",
        f"Command: `{command}`; {seconds / 60:.0f} min on {machine()}.",
        "",
        "RMSE differences `a - b` (negative: `a` predicts better), paired by split: mean over the five random "
        "80/20 splits with its 95% Student interval, and the scaffold split's difference. Regressors per family, "
        "each tuned on the training part only: linear = RidgeCV, kernel = RBF SVR (C in {1, 10} by 3-fold CV), "
        "forest = 300 trees; best of three = the family with the lowest validation RMSE on the training part.",
        "",
    ]
    families = [*FAMILIES, "best of three"]
    for name in encoders:
        for b in ("ECFP4", "RDKit descriptors"):
            rows = [row for family in families for row in comparison(frame, name, b, family)]
            lines += [
                f"## {name} against {b}",
                "",
                pd.DataFrame(rows).drop(columns=["a", "b"]).to_markdown(index=False, floatfmt=".3f"),
                "",
            ]
        rows = [
            row
            for family in families
            for row in comparison(frame, f"{name} + descriptors", "RDKit descriptors", family)
        ]
        lines += [
            f"## {name} + descriptors against descriptors alone",
            "",
            pd.DataFrame(rows).drop(columns=["a", "b"]).to_markdown(index=False, floatfmt=".3f"),
            "",
        ]
    mean = frame.pivot_table(index=["task", "family"], columns="features", values="rmse", aggfunc="mean", sort=False)
    lines += [
        "## Mean RMSE over the five random splits and the scaffold split",
        "",
        mean.to_markdown(floatfmt=".3f"),
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, help="pretrained model names (default: all shipped)")
    parser.add_argument(
        "--output",
        default=str(RESULTS / "molecular_features"),
        help="path of the report without suffix (.csv and .md are written)",
    )
    add_data_option(parser)
    args = parser.parse_args()
    names = args.models or [card["name"] for card in pretrained.list_models()]
    encoders = {name: pretrained.load(name) for name in names}
    start = time.perf_counter()
    frame = run(encoders, args.data or PROJECT_DATA)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output.with_suffix(".csv"), index=False)
    command = "python benchmarks/studies/molecular_features.py" + "".join(f" {arg}" for arg in sys.argv[1:])
    text = report(frame, encoders, time.perf_counter() - start, command)
    output.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
