"""Downstream regression with the shipped pretrained encoders, frozen.

For each task of ``molecular.downstream_tasks`` (FreeSolv, ESOL,
Lipophilicity and Huuskonen solubility, each with a random and a scaffold
split) and each feature set (ECFP4, RDKit 2-D descriptors, and the plain and
informative embeddings of every shipped model, which is never refitted), the
regressor is the best of Ridge, SVR and a random forest by its validation
RMSE on the training part only (ridge: leave-one-out over its alphas; SVR:
5-fold grid search over C; forest: out-of-bag predictions), fitted on the
whole training part and scored on the test part.

    python benchmarks/studies/pretrained_downstream.py                  # every shipped model
    python benchmarks/studies/pretrained_downstream.py --models cmim-zinc

Writes ``benchmarks/results/pretrained_downstream/pretrained_downstream.csv`` and ``.md``.  A
models folder other than the package's (``--models-dir``, see
:mod:`skcmim.pretrained`) can be scored against the same reference columns
without recomputing them (they do not depend on the models)::

    python benchmarks/studies/pretrained_downstream.py --models-dir FOLDER --tag 360k \
        --references benchmarks/results/pretrained_downstream/pretrained_downstream.csv --output FOLDER/downstream
"""

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import root_mean_squared_error

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import pretrained

from _common import machine, results_folder
from claims.molecular import comparison_features, downstream_tasks, random_forest, ridge, svr

RESULTS = results_folder(__file__)


def _ridge():
    # RMSE ranks the alphas as the default squared error does: the same alpha, its RMSE kept in best_score_
    return ridge().set_params(ridgecv__scoring="neg_root_mean_squared_error")


def _forest():
    return random_forest().set_params(oob_score=True)


#: Each candidate and the RMSE on the training part that selects it, from the one fit: leave-one-out
#: over ridge's alphas, SVR's 5-fold grid search over C, the forest's out-of-bag predictions.
CANDIDATES = {
    "Ridge": (_ridge, lambda model, y: -model[-1].best_score_),
    "SVR": (svr, lambda model, y: -model.best_score_),
    "RF": (_forest, lambda model, y: root_mean_squared_error(y, model.oob_prediction_)),
}


def best_regressor_rmse(X_train, y_train, X_test, y_test):
    """``(name, cv_rmse, test_rmse)`` of the candidate with the lowest validation RMSE on the training part."""
    fitted = {name: (make().fit(X_train, y_train), selection) for name, (make, selection) in CANDIDATES.items()}
    cv = {name: float(selection(model, y_train)) for name, (model, selection) in fitted.items()}
    name = min(cv, key=cv.get)
    prediction = fitted[name][0].predict(X_test)
    return name, cv[name], float(root_mean_squared_error(y_test, prediction))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, help="model names (default: all in the folder)")
    parser.add_argument("--models-dir", default=None, help="models folder (default: the package's)")
    parser.add_argument("--tag", default=None, help="added to the models' column names, as in 'cmim-zinc [TAG]'")
    parser.add_argument(
        "--references", default=None, help="CSV of an earlier run whose ECFP4 and RDKit-descriptor rows to reuse"
    )
    parser.add_argument(
        "--output",
        default=str(RESULTS / "pretrained_downstream"),
        help="path of the report without suffix (.csv and .md are written)",
    )
    args = parser.parse_args()
    names = args.models or [card["name"] for card in pretrained.list_models(args.models_dir)]
    labels = {name: f"{name} [{args.tag}]" if args.tag else name for name in names}
    models = {labels[name]: pretrained.load(name, models_dir=args.models_dir) for name in names}
    start = time.perf_counter()
    rows = []
    tasks = downstream_tasks()
    if args.references:
        earlier = pd.read_csv(args.references)
        rows = earlier[earlier.features.isin(["ECFP4", "RDKit descriptors"])].to_dict("records")
    features_of = comparison_features(tasks, models, references=not args.references)
    for task, (_, y_train, _, y_test) in tasks.items():
        for features, (X_train, X_test) in features_of[task].items():
            regressor, cv_rmse, test_rmse = best_regressor_rmse(X_train, y_train, X_test, y_test)
            rows.append(dict(task=task, features=features, regressor=regressor, cv_rmse=cv_rmse, rmse=test_rmse))
            print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output.with_suffix(".csv"), index=False)
    table = frame.pivot_table(index="task", columns="features", values="rmse", sort=False)
    reference = table[["ECFP4", "RDKit descriptors"]]
    verdicts = []
    for name in models:
        for column in (name, f"{name} informative"):
            if column not in table:
                continue
            below_ecfp = (table[column] < reference["ECFP4"]).sum()
            within = (table[column] <= 1.1 * reference["RDKit descriptors"]).sum()
            verdicts.append(
                f"- {column}: RMSE below ECFP4 on {below_ecfp} of {len(table)} task splits; within 10% "
                f"of RDKit descriptors on {within} of {len(table)}."
            )
    command_options = "".join(f" {arg}" for arg in sys.argv[1:])
    text = "\n".join(
        [
            f"# Downstream regression with {'pretrained' if args.models_dir else 'the shipped'} encoders (frozen)",
            "",
            f"Command: `python benchmarks/studies/pretrained_downstream.py{command_options}`; "
            f"{time.perf_counter() - start:.0f} s on {machine()}.",
            "",
            "Held-out RMSE of the best of Ridge, SVR and a random forest, chosen by validation RMSE on the training "
            "part only (ridge: leave-one-out over alpha; SVR: 5-fold grid search over C; forest: out-of-bag); the "
            "chosen regressor per cell is in the CSV. Random split: 80/20, seed 0 (Huuskonen: its "
            "shipped files); scaffold split: MoleculeNet's, 80/20. The encoders are never refitted.",
            "",
            table.to_markdown(floatfmt=".3f"),
            "",
            *verdicts,
            "",
        ]
    )
    output.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
