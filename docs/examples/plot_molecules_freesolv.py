"""
=====================================================
Regression from SMILES: FreeSolv hydration energies
=====================================================

A pretrained encoder turns SMILES strings into features: ``cmim-zinc``, the
cMIM that ships with skcmim (:mod:`skcmim.pretrained`), was trained without
labels on ZINC molecules.  Wrapped in
:class:`~sklearn.frozen.FrozenEstimator` at the head of a
:class:`~sklearn.pipeline.Pipeline`, it is never refitted: the pipeline
trains only the regressor, so it fits in seconds.

The data is FreeSolv (:func:`~skcmim.datasets.load_freesolv`): 642 small
molecules with their measured hydration free energy in kcal/mol.  The
baseline is the usual one in chemistry: Morgan fingerprints (ECFP4, radius
2, 2,048 bits) from RDKit, with the same regressor on the same split.  One
split of 129 test molecules cannot rank methods; the :doc:`/benchmarks`
compare pretrained encoders, fingerprints and descriptors on four data sets
with random and scaffold splits.
"""

# %%
# The data and the split
# ----------------------
# ``X`` is a plain list of SMILES strings; the estimators canonicalise them
# with RDKit.  One 80/20 split, used by both models.
import numpy as np
from sklearn.model_selection import train_test_split

from skcmim.datasets import load_freesolv

smiles, y = load_freesolv(return_X_y=True)
s_train, s_test, y_train, y_test = train_test_split(smiles, y, test_size=0.2, random_state=0)
print(f"{len(s_train)} training and {len(s_test)} test molecules")
print(f"y in kcal/mol: mean {y.mean():.2f}, standard deviation {y.std():.2f}")
print("first molecules:", s_train[:4])

# %%
# Pretrained cMIM features and an SVR, in one pipeline
# ----------------------------------------------------
# ``informative=True`` appends the decoder's mean hidden state to the code
# (see :ref:`informative`).  The SVR sees standardised features; ``C=10``
# suits a target whose spread is several kcal/mol (the default ``C=1`` is
# meant for targets of unit scale), and the baseline gets the same SVR.
import time
import warnings

from sklearn.frozen import FrozenEstimator
from sklearn.metrics import root_mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from skcmim import pretrained

encoder = pretrained.load("cmim-zinc").set_params(informative=True)
cmim_svr = Pipeline(
    [
        ("cmim", FrozenEstimator(encoder)),
        ("scale", StandardScaler()),
        ("svr", SVR(C=10.0)),
    ]
)
start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    cmim_svr.fit(s_train, y_train)
    pred_cmim = cmim_svr.predict(s_test)
print(
    f"embedded, fitted and predicted in {time.perf_counter() - start:.1f} s; "
    f"{encoder.transform(s_test[:1]).shape[1]} features per molecule"
)
for message in sorted({str(w.message) for w in caught}):  # e.g. symbols ZINC never showed the model
    print("warning:", message)
rmse_cmim = root_mean_squared_error(y_test, pred_cmim)

# %%
# The ECFP4 baseline
# ------------------
# The same SVR on 2,048-bit Morgan fingerprints of radius 2; the bits go in
# as they are.
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

morgan = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


def ecfp4(smiles_list):
    """2,048 Morgan bits (radius 2) per molecule."""
    return np.array([morgan.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles_list], dtype=np.float64)


ecfp_svr = SVR(C=10.0).fit(ecfp4(s_train), y_train)
pred_ecfp = ecfp_svr.predict(ecfp4(s_test))
rmse_ecfp = root_mean_squared_error(y_test, pred_ecfp)

rmse_mean = root_mean_squared_error(y_test, np.full_like(y_test, y_train.mean()))
print(f"test RMSE, ECFP4 + SVR:            {rmse_ecfp:.2f} kcal/mol")
print(f"test RMSE, cMIM informative + SVR: {rmse_cmim:.2f} kcal/mol")
print(f"test RMSE, predicting the mean:    {rmse_mean:.2f} kcal/mol")

# %%
# Predicted against measured
# --------------------------
# Points on the diagonal are perfect predictions.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharex=True, sharey=True, layout="constrained")
limits = (
    min(y_test.min(), pred_cmim.min(), pred_ecfp.min()) - 1,
    max(y_test.max(), pred_cmim.max(), pred_ecfp.max()) + 1,
)
for ax, pred, rmse, title, color in (
    (axes[0], pred_ecfp, rmse_ecfp, "ECFP4 + SVR", "0.4"),
    (axes[1], pred_cmim, rmse_cmim, "cMIM informative + SVR", "tab:orange"),
):
    ax.plot(limits, limits, color="0.7", lw=1, zorder=0)
    ax.scatter(y_test, pred, s=14, alpha=0.7, color=color)
    ax.set_title(f"{title}\nRMSE {rmse:.2f} kcal/mol")
    ax.set_xlabel("measured (kcal/mol)")
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_aspect("equal")
axes[0].set_ylabel("predicted (kcal/mol)")
fig.suptitle(f"FreeSolv hydration free energy, {len(s_test)} test molecules")
plt.show()

# %%
# Tune the regressor, not the encoder
# -----------------------------------
# ``GridSearchCV`` tunes the SVR's ``C`` by 5-fold cross-validation on the
# training molecules; the frozen encoder is not refitted in any fold.
from sklearn.model_selection import GridSearchCV

n_epochs = encoder.n_iter_
search = GridSearchCV(cmim_svr, {"svr__C": [1.0, 10.0, 100.0]}, cv=5, scoring="neg_root_mean_squared_error")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # reported above
    search.fit(s_train, y_train)
    rmse_tuned = root_mean_squared_error(y_test, search.predict(s_test))
print("cross-validated C:", search.best_params_["svr__C"])
print(f"test RMSE with that C: {rmse_tuned:.2f} kcal/mol")
print("encoder epochs before and after the search:", n_epochs, encoder.n_iter_)

# %%
# The codes of the test molecules
# -------------------------------
# :func:`~skcmim.plotting.plot_codes` projects the codes to 2-D
# (principal components by default; ``reducer=`` takes any other projection
# with ``fit_transform``, such as UMAP) and colours each molecule by its
# measured energy: a target with many distinct values gets a continuous
# colour scale with a colour bar instead of a legend.
from skcmim.plotting import plot_codes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # unknown tokens, reported above
    codes = pretrained.load("cmim-zinc").transform(s_test)
ax = plot_codes(
    codes,
    y_test,
    label_name="measured hydration free energy (kcal/mol)",
    title=f"cMIM codes of the {len(s_test)} test molecules",
)
ax.figure.set_size_inches(6, 5)
plt.show()
