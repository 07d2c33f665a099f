"""Molecules: pretrain on ZINC, then regress four MoleculeNet-style properties from the codes.

The one molecular pipeline of the benchmarks.  Its command line (below) runs
the MIM/cMIM benchmark at the 200,000-molecule scale; :func:`molecular_downstream`
is the molecular half of ``benchmarks/claims/run.py``.  Both share the steps:

* pretraining: SMILES drawn from ``zinc_moses_train.csv.gz`` (seed 0), the
  same network and settings for every model; the time and molecules/s are
  recorded and the model is saved in ``benchmarks/.cache/`` (safetensors,
  not committed), where ``--reuse`` finds it again;
* downstream: FreeSolv, ESOL, Lipophilicity and Huuskonen solubility, each
  with a random 80/20 split (seed 0; Huuskonen: its shipped train/test
  files) and a MoleculeNet scaffold split (80/20, :func:`skcmim.datasets.scaffold_split`),
  regressed from the plain codes and the
  informative embeddings of each pretrained model, which is never refitted,
  beside Morgan fingerprints (ECFP4: radius 2, 2,048 bits) and either RDKit
  2-D descriptors (command line) or PCA of ECFP4 at the code width
  (``run.py``).  Regressors (on standardised features, hyper-parameters by
  cross-validation on the training part only): Ridge, SVR and a random
  forest on the command line; Ridge and KNN-5 in ``run.py``.  Held-out RMSE;
* generative: the greedy reconstruction exact-match rate on held-out ZINC
  SMILES (``zinc_moses_test``: 1,000 on the command line, 200 in
  ``run.py``), and on the command line the validity and uniqueness of 1,000
  SMILES decoded from prior samples.

Run from the repository root::

    python benchmarks/claims/molecular.py                 # the full CPU run (see molecules.md for its cost)
    python benchmarks/claims/molecular.py --quick         # a smoke run (minutes)
    python benchmarks/claims/molecular.py --quick --report   # only rewrite molecules_quick.md from its CSV files

Writes ``benchmarks/results/molecular/molecules_*.csv`` and ``molecules.md``
(``molecules_quick*`` with ``--quick``).
"""

import argparse
import json
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed
from rdkit import Chem, RDLogger
from rdkit.Chem import Descriptors, rdFingerprintGenerator
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: _common and the other folders
import skcmim
from skcmim import CMIMTransformer, MIMTransformer
from skcmim.datasets import fetch_esol, fetch_lipophilicity, load_freesolv, load_solubility, load_zinc, scaffold_split
from skcmim.generation_metrics import generation_metrics, reconstruction_accuracy

from _common import PROJECT_DATA, add_data_option, machine, results_folder

RESULTS = results_folder(__file__)
CACHE = Path(__file__).resolve().parents[1] / ".cache"  # benchmarks/.cache, git-ignored
RDLogger.DisableLog("rdApp.*")

MODELS = {"MIM": MIMTransformer, "cMIM": CMIMTransformer}


# ------------------------------------------------------------------ features
def morgan(smiles):
    """ECFP4: Morgan fingerprints of radius 2, 2,048 bits, as floats."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return np.array([generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles], dtype=np.float64)


def descriptors(smiles, names=None):
    """RDKit's 2-D descriptors (all, or those ``names``), non-finite values set to 0 and clipped to +-1e6."""
    if names is None:
        names = [name for name, _ in Descriptors.descList]
        rows = [Descriptors.CalcMolDescriptors(Chem.MolFromSmiles(s)) for s in smiles]
    else:  # only the named ones are computed
        functions = dict(Descriptors.descList)
        rows = [{name: functions[name](mol) for name in names} for mol in map(Chem.MolFromSmiles, smiles)]
    X = np.array([[row[name] for name in names] for row in rows], dtype=np.float64)
    X[~np.isfinite(X)] = 0.0  # a few descriptors overflow on odd molecules
    return np.clip(X, -1e6, 1e6)


def reference_featurizer(rdkit_descriptors=False):
    """``featurize(smiles) -> {label: X}``: ECFP4 and, on request, RDKit 2-D descriptors."""

    def featurize(smiles):
        sets = {"ECFP4": morgan(smiles)}
        if rdkit_descriptors:
            sets["RDKit descriptors"] = descriptors(smiles)
        return sets

    return featurize


def code_featurizer(name, model, plain_label):
    """``featurize(smiles) -> {label: Z}``: the plain codes (labelled ``plain_label``) and, for an
    encoder-decoder, the informative embeddings of one pretrained model, which is not refitted."""

    def featurize(smiles):
        decodes = hasattr(model, "inverse_transform")  # InfoNCE has no decoder, hence no informative embeddings
        sets = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a few task tokens are not in ZINC's vocabulary
            for informative in (False, True) if decodes else (False,):
                if decodes:
                    model.set_params(informative=informative)
                sets[f"{name} informative" if informative else plain_label] = model.transform(smiles)
        if decodes:
            model.set_params(informative=False)
        return sets

    return featurize


def task_features(tasks, featurize):
    """``{task: {label: (X_train, X_test)}}`` with ``featurize`` applied once to the distinct SMILES of
    all ``tasks`` (the random and the scaffold split of a data set share their molecules)."""
    smiles = list(dict.fromkeys(s for s_train, _, s_test, _ in tasks.values() for s in (*s_train, *s_test)))
    row = {s: i for i, s in enumerate(smiles)}
    features = featurize(smiles)
    return {
        task: {label: (X[[row[s] for s in s_train]], X[[row[s] for s in s_test]]) for label, X in features.items()}
        for task, (s_train, _, s_test, _) in tasks.items()
    }


def comparison_features(tasks, models, plain_label="{name}", references=True):
    """``{task: {label: (X_train, X_test)}}``: ECFP4, RDKit 2-D descriptors and every model's embeddings.

    Each model's plain codes are labelled ``plain_label.format(name=name)``;
    see :func:`code_featurizer`.  ``references=False`` leaves out ECFP4 and
    the descriptors.
    """
    feature_sets = [task_features(tasks, reference_featurizer(rdkit_descriptors=True))] if references else []
    feature_sets += [
        task_features(tasks, code_featurizer(name, model, plain_label.format(name=name)))
        for name, model in models.items()
    ]
    return {task: {label: pair for sets in feature_sets for label, pair in sets[task].items()} for task in tasks}


def with_pca(sets, width):
    """``sets`` plus PCA of its ECFP4 at ``width``, fitted on the training part."""
    X_train, X_test = sets["ECFP4"]
    pca = PCA(width, random_state=0).fit(X_train)
    return {**sets, f"PCA-{width}": (pca.transform(X_train), pca.transform(X_test))}


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


def random_forest():
    """A random forest of 300 trees (seed 0) on the raw features."""
    return RandomForestRegressor(n_estimators=300, n_jobs=2, random_state=0)


def knn():
    """Five nearest neighbours on standardised features."""
    return make_pipeline(StandardScaler(), KNeighborsRegressor(5))


REGRESSORS = {"Ridge": ridge, "SVR": svr, "RF": random_forest, "KNN-5": knn}


def rmse(model, X_train, y_train, X_test, y_test):
    """Held-out RMSE of ``model`` fitted on the training part."""
    model.fit(X_train, y_train)
    return float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))


# ----------------------------------------------------------------- downstream
def _random_and_scaffold(name, smiles, y, random_split=None):
    """``{"<name> random": ..., "<name> scaffold": ...}``: an 80/20 random split (seed 0, or the given
    one) and MoleculeNet's 80/20 scaffold split of the same molecules."""
    smiles, y = list(smiles), np.asarray(y, dtype=float)
    if random_split is None:
        random_split = train_test_split(np.arange(len(smiles)), test_size=0.2, random_state=0)
    tasks = {}
    for kind, (train, test) in (("random", random_split), ("scaffold", scaffold_split(smiles, test_size=0.2))):
        tasks[f"{name} {kind}"] = ([smiles[i] for i in train], y[train], [smiles[i] for i in test], y[test])
    return tasks


def downstream_tasks(data=PROJECT_DATA):
    """``{task: (s_train, y_train, s_test, y_test)}``: FreeSolv, ESOL, Lipophilicity and Huuskonen
    solubility, each with a random and a scaffold split (Huuskonen's random split: its shipped files).
    ESOL and Lipophilicity are read (checksums checked) from the folder ``data``."""
    tasks = {}
    loaders = (
        ("FreeSolv", load_freesolv),
        ("ESOL", partial(fetch_esol, data_home=data)),
        ("Lipophilicity", partial(fetch_lipophilicity, data_home=data)),
    )
    for name, load in loaders:
        tasks.update(_random_and_scaffold(name, *load(return_X_y=True)))
    (a, ya), (b, yb) = load_solubility("train", return_X_y=True), load_solubility("test", return_X_y=True)
    shipped = (np.arange(len(a)), len(a) + np.arange(len(b)))
    tasks.update(_random_and_scaffold("Huuskonen", list(a) + list(b), np.concatenate([ya, yb]), shipped))
    return tasks


def regress(task, target, feature_sets, regressors):
    """Rows ``{task, features, regressor, rmse}``: every regressor on every feature set of one task."""
    _, y_train, _, y_test = target
    rows = []
    for features, (X_train, X_test) in feature_sets.items():
        for regressor in regressors:
            rows.append(
                {
                    "task": task,
                    "features": features,
                    "regressor": regressor,
                    "rmse": rmse(REGRESSORS[regressor](), X_train, y_train, X_test, y_test),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


# ---------------------------------------------------------------- pretraining
def pretrain(name, Model, smiles, *, n_components, hidden, epochs, batch_size=256, seed=0, reuse=False):
    """``(model, record)``: ``Model`` pretrained on ``smiles`` and what that cost.

    The model and its record are saved in ``CACHE`` under a name that holds
    every setting; with ``reuse``, a saved model is loaded instead (its
    record is None if the record file is missing).
    """
    tag = f"{len(smiles)}x{epochs}_w{n_components}_h{hidden}_b{batch_size}_s{seed}"
    path = CACHE / f"zinc_{name}_{tag}.safetensors"
    # Kept beside the weights so that a reused model still reports what pretraining cost.
    record_file = path.with_suffix(".json")
    if reuse and path.is_file():
        return skcmim.load(path), (json.loads(record_file.read_text()) if record_file.is_file() else None)
    model = Model(
        n_components=n_components,
        hidden_layer_sizes=(hidden,),
        batch_size=batch_size,
        max_epochs=epochs,
        random_state=seed,
        verbose=0,
    )
    start = time.perf_counter()
    model.fit(smiles)
    seconds = time.perf_counter() - start
    CACHE.mkdir(exist_ok=True)
    model.save(path)
    record = {
        "model": name,
        "molecules": len(smiles),
        "epochs": epochs,
        "minutes": seconds / 60,
        "molecules_per_s": len(smiles) * epochs / seconds,
        "train_loss": [round(float(v), 3) for v in model.history_[:, "train_loss"]],
    }
    record_file.write_text(json.dumps(record))
    print(json.dumps(record), flush=True)
    return model, record


# ----------------------------------------------------------------- generative
#: Share of held-out SMILES that greedy decoding of their codes gives back (the same molecule).
exact_match = reconstruction_accuracy


def generative(name, model, held_out, n_samples=1000):
    """Reconstruction of ``held_out``, and validity and uniqueness of ``n_samples`` prior samples."""
    sampled = model.sample(n_samples, random_state=0)
    metrics = generation_metrics(sampled)
    return {
        "model": name,
        "reconstruction_exact": exact_match(model, held_out),
        "validity": metrics["validity"],
        "uniqueness": metrics["uniqueness"],
        "examples": sampled[:8].tolist(),
    }


# ---------------------------------------------------------- run.py's half
#: The regressors of ``run.py``'s molecular half (cheap enough for five seeds of three models).
RUN_REGRESSORS = ("Ridge", "KNN-5")


def _score_rows(rows, seed):
    """``regress`` rows as score rows of ``run.py`` (``score = -rmse``, so that higher is better)."""
    return [
        dict(
            dataset=row["task"],
            representation=row["features"],
            seed=seed,
            evaluator=row["regressor"],
            rmse=row["rmse"],
            score=-row["rmse"],
        )
        for row in rows
    ]


def _pretrain_and_score(name, Model, seed, zinc, held_out, tasks, settings, threads):
    """One model of the molecular half, pretrained with one seed: its score, reconstruction and speed rows."""
    torch.set_num_threads(threads)
    model, cost = pretrain(name, Model, zinc, seed=seed, **settings)
    speed = dict(
        dataset="ZINC pretraining",
        model=name,
        seed=seed,
        fit_s=cost["minutes"] * 60,
        molecules_per_s=cost["molecules_per_s"],
    )
    recon = (
        [dict(dataset="ZINC held-out", model=name, seed=seed, exact_match=exact_match(model, held_out))]
        if hasattr(model, "inverse_transform")
        else []
    )
    coded = task_features(tasks, code_featurizer(name, model, name))
    scores = [
        row
        for task, target in tasks.items()
        for row in _score_rows(regress(task, target, coded[task], RUN_REGRESSORS), seed)
    ]
    return scores, recon, speed


def molecular_downstream(models, width, seeds, n_pretrain, epochs, hidden, jobs=1, data=PROJECT_DATA):
    """The molecular half of ``benchmarks/claims/run.py``: score, reconstruction and speed rows.

    Every model of ``models`` is pretrained once per seed at ``width``, in
    ``jobs`` worker processes; the score rows carry ``score = -rmse`` so
    that higher is better, as in ``run.downstream``.  The data files are
    read from the folder ``data``.
    """
    zinc = load_zinc(n_samples=n_pretrain, path=data, random_state=0)
    held_out = load_zinc(n_samples=200, path=data, split="test", random_state=0)
    tasks = downstream_tasks(data)
    reference = task_features(tasks, reference_featurizer())
    scores = [
        row
        for task, target in tasks.items()
        for row in _score_rows(regress(task, target, with_pca(reference[task], width), RUN_REGRESSORS), 0)
    ]
    settings = dict(n_components=width, hidden=hidden, epochs=epochs)
    threads = max(1, torch.get_num_threads() // jobs)
    results = Parallel(n_jobs=jobs)(
        delayed(_pretrain_and_score)(name, Model, seed, zinc, held_out, tasks, settings, threads)
        for name, Model in models.items()
        for seed in seeds
    )
    recon, speed = [], []
    for s, r, p in results:
        scores += s
        recon += r
        speed.append(p)
    return scores, recon, speed


# ------------------------------------------------------------- command line
def main(argv=None):
    """The MIM/cMIM benchmark: pretrain, generate, regress, write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 molecules, 1 epoch: a smoke run")
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n-components", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--reuse", action="store_true", help="load the pretrained models from benchmarks/.cache")
    parser.add_argument("--report", action="store_true", help="only rewrite the Markdown from the CSV files")
    parser.add_argument(
        "--models",
        nargs="+",
        choices=sorted(MODELS),
        default=list(MODELS),
        help="which pretrained models to run (default: all)",
    )
    add_data_option(parser)
    args = parser.parse_args(argv)
    prefix = "molecules_quick" if args.quick else "molecules"
    if args.report:
        print(write_report(prefix, args.quick))
        return 0
    if args.quick:
        args.n_train, args.epochs = 5000, 1

    train = load_zinc(n_samples=args.n_train, path=args.data, random_state=0)
    held_out = load_zinc(n_samples=1000, path=args.data, split="test", random_state=0)
    models, cost, gen = {}, [], []
    for name in args.models:
        models[name], record = pretrain(
            name,
            MODELS[name],
            train,
            n_components=args.n_components,
            hidden=args.hidden,
            epochs=args.epochs,
            batch_size=args.batch_size,
            reuse=args.reuse,
        )
        if record is not None:
            cost.append(record)
        gen.append(generative(name, models[name], held_out))
        print(json.dumps(gen[-1]), flush=True)

    tasks = downstream_tasks(args.data)
    features = comparison_features(tasks, models, plain_label="{name} mu")
    rows = []
    for task, target in tasks.items():
        rows += regress(task, target, features[task], ("Ridge", "SVR", "RF"))

    RESULTS.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(RESULTS / f"{prefix}_downstream.csv", index=False)
    if cost:
        pd.DataFrame(cost).to_csv(RESULTS / f"{prefix}_pretraining.csv", index=False)
    pd.DataFrame(gen).to_csv(RESULTS / f"{prefix}_generative.csv", index=False)
    print(write_report(prefix, args.quick))
    return 0


def write_report(prefix, quick):
    """``<prefix>.md`` from the CSV files of a run; its text."""
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
        f"`python benchmarks/claims/molecular.py{' --quick' if quick else ''}` on {machine()}, CPU.",
        "",
    ]
    if cost_file.is_file():
        cost = pd.read_csv(cost_file).drop(columns="train_loss")
        lines += ["## Pretraining on ZINC", "", cost.to_markdown(index=False, floatfmt=".1f"), ""]
    lines += [
        "## Held-out RMSE (lower is better)",
        "",
        "FreeSolv (kcal/mol), ESOL and Huuskonen (log S), Lipophilicity (logD): random 80/20 split (seed 0; "
        "Huuskonen: the shipped train/test files) and MoleculeNet scaffold split (80/20).",
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
