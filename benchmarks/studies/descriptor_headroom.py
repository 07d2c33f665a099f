"""How far a few exact descriptors take the shipped encoder's embeddings downstream.

The issue asks the frozen encoder for an RMSE within 10% of RDKit's 2-D
descriptors on two of its four data sets.  A way the field puts such
information into a code is an auxiliary head that predicts a few computed
properties from it during pretraining (CDDD, MolBERT).  Before building one,
this measures what such a head could give at best: the informative
embeddings with a dozen of those descriptors appended exactly (as if the
code predicted them without error), and the dozen alone, scored as in
``pretrained_downstream.py`` (best of Ridge, SVR and a random forest, chosen
on the training part only)::

    python benchmarks/studies/descriptor_headroom.py

Writes ``benchmarks/results/descriptor_headroom/descriptor_headroom.csv`` and ``.md``; the
reference columns (ECFP4, all RDKit descriptors, the informative embeddings
alone) are read from ``benchmarks/results/pretrained_downstream/pretrained_downstream.csv``.
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import pretrained

from _common import add_data_option, machine, results_folder
from claims.molecular import code_featurizer, descriptors, downstream_tasks, task_features
from studies.pretrained_downstream import best_regressor_rmse

RESULTS = results_folder(__file__)
REFERENCES = results_folder("pretrained_downstream") / "pretrained_downstream.csv"
MODEL = "cmim-zinc"

#: Properties CDDD's and MolBERT's auxiliary heads predict, and a few more of the same kind.
FEW = (
    "MolLogP",
    "MolMR",
    "TPSA",
    "MolWt",
    "NumHDonors",
    "NumHAcceptors",
    "NumRotatableBonds",
    "RingCount",
    "FractionCSP3",
    "BertzCT",
    "NumAromaticRings",
    "HeavyAtomCount",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_option(parser, "esol_delaney.csv and lipophilicity.csv")
    args = parser.parse_args()
    start = time.perf_counter()
    tasks = downstream_tasks(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        embeddings = task_features(tasks, code_featurizer(MODEL, pretrained.load(MODEL), MODEL))
    few = task_features(tasks, lambda smiles: {"few": descriptors(smiles, FEW)})
    rows = []
    for task, (_, y_train, _, y_test) in tasks.items():
        Z_train, Z_test = embeddings[task][f"{MODEL} informative"]
        D_train, D_test = few[task]["few"]
        sets = {
            f"{len(FEW)} descriptors": (D_train, D_test),
            f"{MODEL} informative + {len(FEW)} descriptors": (
                np.hstack([Z_train, D_train]),
                np.hstack([Z_test, D_test]),
            ),
        }
        for features, (X_train, X_test) in sets.items():
            regressor, cv_rmse, rmse = best_regressor_rmse(X_train, y_train, X_test, y_test)
            rows.append(dict(task=task, features=features, regressor=regressor, cv_rmse=cv_rmse, rmse=rmse))
            print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(RESULTS / "descriptor_headroom.csv", index=False)
    reference = pd.read_csv(REFERENCES)
    reference = reference[reference.features.isin(["ECFP4", "RDKit descriptors", f"{MODEL} informative"])]
    table = pd.concat([reference, frame]).pivot_table(index="task", columns="features", values="rmse", sort=False)
    table["10% above RDKit descriptors"] = 1.1 * table["RDKit descriptors"]
    within = {
        column: int((table[column] <= table["10% above RDKit descriptors"]).sum())
        for column in table.columns
        if column not in ("RDKit descriptors", "10% above RDKit descriptors")
    }
    text = "\n".join(
        [
            "# Headroom: the shipped encoder's embeddings with a few exact descriptors",
            "",
            f"Command: `python benchmarks/studies/descriptor_headroom.py`; {time.perf_counter() - start:.0f} s on "
            f"{machine()}.",
            "",
            f"Held-out RMSE, scored as in `pretrained_downstream.py` (the ECFP4, RDKit-descriptor and `{MODEL} "
            f"informative` columns are read from its committed CSV). The {len(FEW)} descriptors: "
            f"{', '.join(FEW)}. Appending them exactly is the best an auxiliary head that predicts them from the "
            "code could do.",
            "",
            table.to_markdown(floatfmt=".3f"),
            "",
            *(
                f"- {column}: within 10% of RDKit descriptors on {count} of {len(table)} task splits."
                for column, count in within.items()
            ),
            "",
        ]
    )
    (RESULTS / "descriptor_headroom.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
