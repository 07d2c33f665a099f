"""Downstream regression with the shipped pretrained encoders, frozen.

For each task of ``molecular.downstream_tasks`` (FreeSolv, ESOL,
Lipophilicity and Huuskonen solubility, each with a random and a scaffold
split) and each feature set (ECFP4, RDKit 2-D descriptors, and the plain and
informative embeddings of every shipped model, which is never refitted), the
regressor is the best of Ridge, SVR and a random forest by 5-fold
cross-validated RMSE on the training part only; it is refitted on the whole
training part and scored on the test part.

    python benchmarks/pretrained_downstream.py                  # every shipped model
    python benchmarks/pretrained_downstream.py --models cmim-zinc

Writes ``benchmarks/results/pretrained_downstream.csv`` and ``.md``.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine
from molecular import REGRESSORS, code_features, downstream_tasks, reference_features
from sklearn.model_selection import cross_val_score

from skcmim import pretrained

RESULTS = Path(__file__).resolve().parent / "results"
CANDIDATES = ("Ridge", "SVR", "RF")


def best_regressor_rmse(X_train, y_train, X_test, y_test):
    """``(name, cv_rmse, test_rmse)`` of the candidate with the lowest cross-validated RMSE on the training part."""
    cv = {name: -cross_val_score(REGRESSORS[name](), X_train, y_train, cv=5,
                                 scoring="neg_root_mean_squared_error").mean() for name in CANDIDATES}
    name = min(cv, key=cv.get)
    model = REGRESSORS[name]().fit(X_train, y_train)
    return name, float(cv[name]), float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, help="shipped model names (default: all)")
    args = parser.parse_args()
    names = args.models or [card["name"] for card in pretrained.list_models()]
    models = {name: pretrained.load(name) for name in names}
    start = time.perf_counter()
    rows = []
    for task, (s_train, y_train, s_test, y_test) in downstream_tasks().items():
        sets = reference_features(s_train, s_test, rdkit_descriptors=True)
        for name, model in models.items():
            sets.update(code_features(name, model, s_train, s_test, name))
        for features, (X_train, X_test) in sets.items():
            regressor, cv_rmse, test_rmse = best_regressor_rmse(X_train, y_train, X_test, y_test)
            rows.append(dict(task=task, features=features, regressor=regressor, cv_rmse=cv_rmse, rmse=test_rmse))
            print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    frame.to_csv(RESULTS / "pretrained_downstream.csv", index=False)
    table = frame.pivot_table(index="task", columns="features", values="rmse", sort=False)
    reference = table[["ECFP4", "RDKit descriptors"]]
    verdicts = []
    for name in models:
        for column in (name, f"{name} informative"):
            if column not in table:
                continue
            below_ecfp = (table[column] < reference["ECFP4"]).sum()
            within = (table[column] <= 1.1 * reference["RDKit descriptors"]).sum()
            verdicts.append(f"- {column}: RMSE below ECFP4 on {below_ecfp} of {len(table)} task splits; within 10% "
                            f"of RDKit descriptors on {within} of {len(table)}.")
    text = "\n".join([
        "# Downstream regression with the shipped encoders (frozen)",
        "",
        f"Command: `python benchmarks/pretrained_downstream.py`; {time.perf_counter() - start:.0f} s on {machine()}.",
        "",
        "Held-out RMSE of the best of Ridge, SVR and a random forest, chosen by 5-fold cross-validation on the "
        "training part (the chosen regressor per cell is in the CSV). Random split: 80/20, seed 0 (Huuskonen: its "
        "shipped files); scaffold split: MoleculeNet's, 80/20. The encoders are never refitted.",
        "",
        table.to_markdown(floatfmt=".3f"),
        "",
        *verdicts,
        "",
    ])
    (RESULTS / "pretrained_downstream.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
