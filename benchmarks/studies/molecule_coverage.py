"""How much of real assay data the pretrained models can read: unknown tokens and exact reconstruction.

For each of the four task sets (FreeSolv, ESOL, Lipophilicity, Huuskonen
solubility), as published, and each pretrained model, as it reads molecules
(its own ``SmilesInput``: standardised or not, with or without
stereochemistry):

* the share of molecules holding a token the model's vocabulary lacks (read
  as ``<unk>``), and the commonest such tokens;
* the share of molecules that greedy decoding of their code gives back
  exactly (:func:`skcmim.generation_metrics.reconstruction_accuracy`, which
  compares molecules as the model reads them).  None of these molecules was
  trained on: MOSES ZINC holds none of them.

    python benchmarks/studies/molecule_coverage.py
    python benchmarks/studies/molecule_coverage.py --models cmim-zinc cmim-zinc-v2

Writes ``benchmarks/results/molecule_coverage/molecule_coverage.md`` and ``.csv``.
"""

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
from skcmim import pretrained
from skcmim.datasets import fetch_esol, fetch_lipophilicity, load_freesolv, load_solubility
from skcmim.generation_metrics import reconstruction_accuracy
from skcmim.inputs import Reading

from _common import PROJECT_DATA, add_data_option, machine, results_folder

RESULTS = results_folder(__file__)


def task_sets(data):
    """``{name: SMILES}`` of the four task sets, as published (Huuskonen: its train and test files)."""
    return {
        "FreeSolv": list(load_freesolv(return_X_y=True)[0]),
        "ESOL": list(fetch_esol(data_home=data, return_X_y=True)[0]),
        "Lipophilicity": list(fetch_lipophilicity(data_home=data, return_X_y=True)[0]),
        "Huuskonen": [*load_solubility("train", return_X_y=True)[0], *load_solubility("test", return_X_y=True)[0]],
    }


def unknown_tokens(model, smiles):
    """``(share of molecules with an unknown token, Counter of those tokens)``, as ``model`` reads ``smiles``."""
    texts, valid = model.input_._validated(smiles, Reading(on_invalid="nan"))
    tokenizer, counts, holding = model.tokenizer_, Counter(), 0
    for row, text in enumerate(texts):
        if text is None:
            continue
        missing = [token for token in tokenizer._split(text, row) if token not in tokenizer.token_to_id_]
        holding += bool(missing)
        counts.update(set(missing))
    return holding / len(smiles), counts, int((~valid).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, help="pretrained model names (default: all shipped)")
    parser.add_argument(
        "--n-reconstruct",
        type=int,
        default=500,
        help="molecules per set whose reconstruction is scored, drawn with seed 0 (default: %(default)s)",
    )
    add_data_option(parser, "esol_delaney.csv and lipophilicity.csv")
    args = parser.parse_args()
    names = args.models or [card["name"] for card in pretrained.list_models()]
    start = time.perf_counter()
    rows = []
    for task, smiles in task_sets(args.data or PROJECT_DATA).items():
        rng = np.random.RandomState(0)
        held_out = [smiles[i] for i in rng.choice(len(smiles), min(args.n_reconstruct, len(smiles)), replace=False)]
        for name in names:
            model = pretrained.load(name)
            share, counts, invalid = unknown_tokens(model, smiles)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # the unknown tokens, counted above
                exact = reconstruction_accuracy(model.set_params(on_invalid="nan"), held_out)
            rows.append(
                dict(
                    task=task,
                    model=name,
                    molecules=len(smiles),
                    unknown_token_share=share,
                    invalid=invalid,
                    reconstruction_exact=exact,
                    commonest_unknown=", ".join(f"{t} ({n})" for t, n in counts.most_common(4)),
                )
            )
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS / "molecule_coverage.csv", index=False)
    command = "python benchmarks/studies/molecule_coverage.py" + "".join(f" {arg}" for arg in sys.argv[1:])
    text = "\n".join(
        [
            "# Real assay molecules read by the pretrained models",
            "",
            f"Command: `{command}`; {time.perf_counter() - start:.0f} s on {machine()}.",
            "",
            "unknown_token_share: molecules (of the whole set, as published) holding a token the model's vocabulary "
            "lacks, as the model reads them (its own standardisation and stereochemistry settings); invalid: molecules "
            f"the model cannot read at all. reconstruction_exact: greedy reconstruction of {args.n_reconstruct} "
            "molecules of each set (seed 0), none of them seen in training.",
            "",
            frame.to_markdown(index=False, floatfmt=".3f"),
            "",
        ]
    )
    (RESULTS / "molecule_coverage.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
