"""Molecules: pretrain MIM and cMIM on ZINC, then regress FreeSolv and solubility.

Protocol (issue "Molecules"):

* pretraining: ``--n-train`` SMILES drawn from ``zinc_moses_train.csv.gz``
  (seed 0), ``--epochs`` epochs, the same network and settings for MIM and
  cMIM; the time and molecules/s are recorded;
* downstream: FreeSolv (random 80/20 split, seed 0) and Huuskonen solubility
  (the shipped train/test files).  Features: ``mu`` and informative
  embeddings of each pretrained model, Morgan fingerprints (radius 2, 2,048
  bits) and RDKit 2-D descriptors.  Regressors: Ridge, SVR (both on
  standardised features, hyper-parameters chosen by 5-fold CV on the
  training part only) and a random forest.  Held-out RMSE;
* generative: greedy reconstruction exact-match rate on 1,000 held-out ZINC
  SMILES (``zinc_moses_test``), and validity / uniqueness of 1,000 SMILES
  decoded from prior samples.

Run from the repository root::

    python benchmarks/molecules.py                 # the full CPU run (see molecules.md for its cost)
    python benchmarks/molecules.py --quick         # a smoke run (minutes)

Writes ``benchmarks/results/molecules_*.csv`` and ``molecules.md``; the
pretrained models go to ``benchmarks/.cache/`` (safetensors, not committed).
"""

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdFingerprintGenerator
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

import skcmim
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.datasets import load_freesolv, load_solubility, load_zinc

RESULTS = Path(__file__).resolve().parent / "results"
CACHE = Path(__file__).resolve().parent / ".cache"
RDLogger.DisableLog("rdApp.*")

MODELS = {"MIM": MIMTransformer, "cMIM": CMIMTransformer}


# ------------------------------------------------------------------ features
def morgan(smiles):
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return np.array([generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles], dtype=np.float64)


def descriptors(smiles):
    names = [name for name, _ in Descriptors.descList]
    rows = [Descriptors.CalcMolDescriptors(Chem.MolFromSmiles(s)) for s in smiles]
    X = np.array([[row[name] for name in names] for row in rows], dtype=np.float64)
    X[~np.isfinite(X)] = 0.0  # a few descriptors overflow on odd molecules
    return np.clip(X, -1e6, 1e6)


# ---------------------------------------------------------------- regressors
def ridge():
    """Ridge on standardised features, alpha by (efficient) leave-one-out CV on the training part."""
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 15)))


def svr():
    """RBF SVR on standardised features, C by 5-fold CV on the training part."""
    return GridSearchCV(
        make_pipeline(StandardScaler(), SVR()),
        {"svr__C": [0.3, 1, 3, 10, 30], "svr__gamma": ["scale"]},
        cv=5,
        scoring="neg_root_mean_squared_error",
    )


def regressors(seed):
    return {
        "Ridge": ridge(),
        "SVR": svr(),
        "RF": RandomForestRegressor(n_estimators=300, n_jobs=2, random_state=seed),
    }


def rmse(model, X_train, y_train, X_test, y_test):
    model.fit(X_train, y_train)
    return float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))


# ---------------------------------------------------------------- pretraining
def pretrain(name, smiles, args):
    model = MODELS[name](
        n_components=args.n_components,
        hidden_layer_sizes=(args.hidden,),
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        random_state=0,
        verbose=0,
    )
    start = time.perf_counter()
    model.fit(smiles)
    seconds = time.perf_counter() - start
    CACHE.mkdir(exist_ok=True)
    model.save(CACHE / f"zinc_{name}_{args.tag}.safetensors")
    losses = [round(float(v), 3) for v in model.history_[:, "train_loss"]]
    record = {"model": name, "molecules": len(smiles), "epochs": args.epochs, "minutes": seconds / 60,
              "molecules_per_s": len(smiles) * args.epochs / seconds, "train_loss": losses}
    # Kept beside the weights so that a --reuse run still reports what pretraining cost.
    (CACHE / f"zinc_{name}_{args.tag}.json").write_text(json.dumps(record))
    return model, record


def generative(name, model, held_out, n_samples=1000):
    canonical = [Chem.CanonSmiles(s) for s in held_out]
    decoded = model.inverse_transform(model.transform(canonical))
    exact = float(np.mean([d == c for d, c in zip(decoded, canonical)]))
    sampled = model.sample(n_samples, random_state=0)
    mols = [Chem.MolFromSmiles(s) if s else None for s in sampled]
    valid = [Chem.MolToSmiles(m) for m in mols if m is not None and m.GetNumAtoms() > 0]
    return {"model": name, "reconstruction_exact": exact, "validity": len(valid) / n_samples,
            "uniqueness": len(set(valid)) / max(1, len(valid)), "examples": sampled[:8].tolist()}


# ----------------------------------------------------------------- downstream
def downstream_tasks(quick):
    smiles, y = load_freesolv(return_X_y=True)
    s_train, s_test, y_train, y_test = train_test_split(list(smiles), np.asarray(y), test_size=0.2, random_state=0)
    tasks = {"FreeSolv": (s_train, y_train, s_test, y_test)}
    (a, ya), (b, yb) = load_solubility("train", return_X_y=True), load_solubility("test", return_X_y=True)
    tasks["solubility"] = (list(a), np.asarray(ya), list(b), np.asarray(yb))
    return tasks


def feature_sets(models, s_train, s_test):
    sets = {
        "ECFP4": (morgan(s_train), morgan(s_test)),
        "RDKit descriptors": (descriptors(s_train), descriptors(s_test)),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a few FreeSolv tokens are not in ZINC's vocabulary
        for name, model in models.items():
            for informative in (False, True):
                model.set_params(informative=informative)
                label = f"{name} informative" if informative else f"{name} mu"
                sets[label] = (model.transform(s_train), model.transform(s_test))
            model.set_params(informative=False)
    return sets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 molecules, 1 epoch: a smoke run")
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n-components", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--reuse", action="store_true", help="load the pretrained models from benchmarks/.cache")
    parser.add_argument("--report", action="store_true", help="only rewrite the Markdown from the CSV files")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS),
                        help="which pretrained models to run (default: all)")
    args = parser.parse_args(argv)
    if args.report:
        print(write_report("molecules_quick" if args.quick else "molecules", args.quick))
        return 0
    if args.quick:
        args.n_train, args.epochs = 5000, 1
    args.tag = f"{args.n_train}x{args.epochs}"
    prefix = "molecules_quick" if args.quick else "molecules"
    torch.set_num_threads(max(1, torch.get_num_threads()))

    train = load_zinc(n_samples=args.n_train, random_state=0)
    held_out = load_zinc(n_samples=1000, split="test", random_state=0)
    models, cost, gen = {}, [], []
    for name in args.models:
        path = CACHE / f"zinc_{name}_{args.tag}.safetensors"
        if args.reuse and path.is_file():
            models[name] = skcmim.load(path)
            record_file = path.with_suffix(".json")
            if record_file.is_file():
                cost.append(json.loads(record_file.read_text()))
        else:
            models[name], record = pretrain(name, train, args)
            cost.append(record)
            print(json.dumps(record), flush=True)
        gen.append(generative(name, models[name], held_out))
        print(json.dumps(gen[-1]), flush=True)

    rows = []
    for task, (s_train, y_train, s_test, y_test) in downstream_tasks(args.quick).items():
        for features, (X_train, X_test) in feature_sets(models, s_train, s_test).items():
            for regressor, model in regressors(0).items():
                rows.append({"task": task, "features": features, "regressor": regressor,
                             "rmse": rmse(model, X_train, y_train, X_test, y_test)})
                print(json.dumps(rows[-1]), flush=True)

    RESULTS.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(RESULTS / f"{prefix}_downstream.csv", index=False)
    if cost:
        pd.DataFrame(cost).to_csv(RESULTS / f"{prefix}_pretraining.csv", index=False)
    pd.DataFrame(gen).to_csv(RESULTS / f"{prefix}_generative.csv", index=False)
    print(write_report(prefix, args.quick))
    return 0


def write_report(prefix, quick):
    """``<prefix>.md`` from the CSV files of a run."""
    downstream = pd.read_csv(RESULTS / f"{prefix}_downstream.csv")
    gen = pd.read_csv(RESULTS / f"{prefix}_generative.csv")
    cost_file = RESULTS / f"{prefix}_pretraining.csv"
    table = downstream.pivot_table(index="features", columns=["task", "regressor"], values="rmse")
    order = ["ECFP4", "RDKit descriptors", "MIM mu", "MIM informative", "cMIM mu", "cMIM informative"]
    table = table.reindex([o for o in order if o in table.index])
    table.columns = [f"{task} {regressor}" for task, regressor in table.columns]
    lines = [
        f"# Molecules ({'quick' if quick else 'full'} run)",
        "",
        f"`python benchmarks/molecules.py{' --quick' if quick else ''}` on "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, CPU.",
        "",
    ]
    if cost_file.is_file():
        cost = pd.read_csv(cost_file).drop(columns="train_loss")
        lines += ["## Pretraining on ZINC", "", cost.to_markdown(index=False, floatfmt=".1f"), ""]
    lines += [
        "## Held-out RMSE (lower is better)",
        "",
        "FreeSolv (kcal/mol): random 80/20 split (seed 0); solubility (log S): the shipped train/test files.",
        "",
        table.to_markdown(floatfmt=".3f"),
        "",
        "## Generative (1,000 held-out ZINC SMILES; 1,000 prior samples, greedy decoding)",
        "",
        gen.drop(columns="examples").to_markdown(index=False, floatfmt=".3f"),
        "",
    ]
    text = "\n".join(lines)
    (RESULTS / f"{prefix}.md").write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(main())
