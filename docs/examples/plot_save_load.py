"""
=================================
Saving and loading a fitted model
=================================

A fitted skcmim model is an ordinary scikit-learn estimator: it pickles, so
:func:`joblib.dump` saves it alone or inside a pipeline.  Loading a joblib or
pickle file can run arbitrary code, so **only load such files from sources
you trust**.  For files you share or download, skcmim also has a pickle-free
format (safetensors weights and JSON metadata): ``model.save(path)`` and
:func:`skcmim.load`.

The model here is trained with early stopping, and
:func:`~skcmim.plotting.plot_history` draws its training and validation
losses, which travel with the saved model.
"""

# %%
# Train with early stopping
# -------------------------
# 10% of the training rows are held out; training stops once their loss has
# not improved for 5 epochs, and the weights of the best epoch are kept.
# ``max_epochs`` is only a cap here: training ends well before it.
import numpy as np
from sklearn.model_selection import train_test_split

from skcmim import CMIMTransformer
from skcmim.datasets import load_digits_unit

X, y = load_digits_unit()
X_train, X_test = train_test_split(X, test_size=0.5, stratify=y, random_state=0)

max_epochs = 200
model = CMIMTransformer(
    n_components=16,
    max_epochs=max_epochs,
    early_stopping=True,
    validation_fraction=0.1,
    n_iter_no_change=5,
    random_state=0,
).fit(X_train)
valid_loss = model.history_[:, "valid_loss"]
best_epoch = model.history_[:, "epoch"][int(np.argmin(valid_loss))]
print(
    f"stopped after {model.n_iter_} of at most {max_epochs} epochs; "
    f"kept the weights of epoch {best_epoch} (validation loss {min(valid_loss):.2f})"
)

# %%
# joblib
# ------
import tempfile
from pathlib import Path

import joblib

workdir = Path(tempfile.mkdtemp())
joblib_file = workdir / "cmim.joblib"
joblib.dump(model, joblib_file)
restored = joblib.load(joblib_file)  # trusted: we wrote this file ourselves
same = np.array_equal(restored.transform(X_test), model.transform(X_test))
size = joblib_file.stat().st_size / 1e6
print(f"{joblib_file.name}: {size:.1f} MB, same codes: {same}")

# %%
# The pickle-free format
# ----------------------
# ``save`` writes one ``.safetensors`` file; :func:`skcmim.load` reads it
# without unpickling anything.
import skcmim

safe_file = workdir / "cmim.safetensors"
model.save(safe_file)
loaded = skcmim.load(safe_file)
same = np.array_equal(loaded.transform(X_test), model.transform(X_test))
size = safe_file.stat().st_size / 1e6
print(f"{safe_file.name}: {size:.1f} MB, same codes: {same}")
print("same parameters:", loaded.get_params() == model.get_params())

# %%
# The training history, from the loaded model
# -------------------------------------------
import matplotlib.pyplot as plt

from skcmim.plotting import plot_history

ax = plot_history(loaded)
ax.axvline(best_epoch, color="0.6", linestyle="--", label=f"best epoch ({best_epoch})")
ax.legend()
ax.set_title(f"Loss per epoch: early stopping after {loaded.n_iter_} epochs")
ax.figure.set_size_inches(6, 3.5)
plt.tight_layout()
plt.show()

# %%
# Clean up the files written above.
import shutil

shutil.rmtree(workdir)
