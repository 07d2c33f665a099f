"""The molecular half of ``benchmarks/run.py``: regression from SMILES.

Every model (VAE, cVAE, MIM, cMIM, InfoNCE) is pretrained on the same ZINC
SMILES (``zinc_moses_train.csv.gz``, a seed-0 random subset) once per seed,
at the width of the numeric half; then FreeSolv (random 80/20 split, seed 0)
and Huuskonen solubility (shipped train/test files) are regressed from the
codes, with and without informative embeddings, beside Morgan fingerprints
(ECFP4, 2,048 bits) and PCA of them at the same width.  Evaluators: Ridge,
SVR (hyper-parameters by 5-fold CV on the training part) and KNN-5, on
standardised features.  Scores are held-out RMSE; the summary ranks use its
negative, so that higher is better everywhere.  Reconstruction: the greedy
exact-match rate on 200 held-out ZINC SMILES.
"""

import time
import warnings

import numpy as np
from molecules import downstream_tasks, morgan, ridge, rmse, svr
from rdkit import Chem
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcmim.datasets import load_zinc

REGRESSORS = {
    "Ridge": ridge,
    "SVR": svr,
    "KNN-5": lambda: make_pipeline(StandardScaler(), KNeighborsRegressor(5)),
}


def molecular_downstream(models, width, seeds, n_pretrain, epochs, hidden):
    """Scores (``score`` = -RMSE), reconstruction and speed rows, like ``run.downstream``."""
    zinc = load_zinc(n_samples=n_pretrain, random_state=0)
    held_out = load_zinc(n_samples=200, split="test", random_state=0)
    held_out_canonical = [Chem.CanonSmiles(text) for text in held_out]  # what the models decode to
    tasks = downstream_tasks(quick=False)
    scores, recon, speed = [], [], []

    def record(task, rep, seed, Z_train, Z_test):
        _, y_train, _, y_test = tasks[task]
        for evaluator, make in REGRESSORS.items():
            error = rmse(make(), Z_train, y_train, Z_test, y_test)
            scores.append(dict(dataset=task, representation=rep, seed=seed, evaluator=evaluator,
                               rmse=error, score=-error))

    for task, (s_train, _, s_test, _) in tasks.items():
        X_train, X_test = morgan(s_train), morgan(s_test)
        record(task, "ECFP4", 0, X_train, X_test)
        pca = PCA(width, random_state=0).fit(X_train)
        record(task, f"PCA-{width}", 0, pca.transform(X_train), pca.transform(X_test))

    for name, Model in models.items():
        for seed in seeds:
            model = Model(n_components=width, hidden_layer_sizes=(hidden,), batch_size=256, max_epochs=epochs,
                          random_state=seed)
            start = time.perf_counter()
            model.fit(zinc)
            fit_s = time.perf_counter() - start
            speed.append(dict(dataset="ZINC pretraining", model=name, seed=seed, fit_s=fit_s,
                              molecules_per_s=len(zinc) * epochs / fit_s))
            decodes = hasattr(model, "inverse_transform")
            if decodes:  # InfoNCE has no decoder
                decoded = model.inverse_transform(model.transform(held_out))
                exact = np.mean([d == c for d, c in zip(decoded, held_out_canonical)])
                recon.append(dict(dataset="ZINC held-out", model=name, seed=seed, exact_match=float(exact)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # a few task tokens are not in ZINC's vocabulary
                for task, (s_train, _, s_test, _) in tasks.items():
                    for informative in (False, True) if decodes else (False,):
                        if decodes:
                            model.set_params(informative=informative)
                        label = f"{name} informative" if informative else name
                        record(task, label, seed, model.transform(s_train), model.transform(s_test))
    return scores, recon, speed
