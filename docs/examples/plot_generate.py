"""
=================================================
Generating digits and interpolating between codes
=================================================

The decoder maps any code back to an image, so a fitted model can

* reconstruct images: ``inverse_transform(transform(X))``;
* generate new images from codes drawn from the N(0, I) prior: ``sample``;
* walk between two images along the straight line between their codes.

:func:`~skcmim.plotting.plot_images` draws each set as a grid.
"""

# %%
# Fit a model on all the digits
# -----------------------------
# An 8-dimensional code is enough for 8x8 images and keeps the prior's space
# small.  MIM is used here; its prior term keeps the codes near the origin,
# where the prior draws its codes.
import numpy as np

from skcmim import MIMTransformer
from skcmim.datasets import load_digits_unit

X, y = load_digits_unit()
model = MIMTransformer(n_components=8, max_epochs=40, random_state=0).fit(X)
codes = model.transform(X)
print(f"codes: mean {codes.mean():.2f}, standard deviation {codes.std():.2f}")

# %%
# Reconstructions, samples and an interpolation
# ---------------------------------------------
# The interpolation decodes eleven codes evenly spaced between the code of a
# "0" and the code of a "7".
originals = X[:10]
reconstructions = model.inverse_transform(model.transform(originals))
error = np.abs(reconstructions - originals).mean()
print(f"mean absolute reconstruction error (pixels in [0, 1]): {error:.3f}")

samples = model.sample(30, random_state=0)

start, end = codes[np.flatnonzero(y == 0)[0]], codes[np.flatnonzero(y == 7)[0]]
steps = np.linspace(0.0, 1.0, 11)[:, None]
path = model.inverse_transform((1 - steps) * start + steps * end)

# %%
# The figure
# ----------
import matplotlib.pyplot as plt

from skcmim.plotting import plot_images

fig, axes = plt.subplots(
    4,
    1,
    figsize=(7, 7.5),
    layout="constrained",
    gridspec_kw={"height_ratios": [1, 1, 3, 1]},
)
plot_images(originals, (8, 8), n_cols=10, ax=axes[0])
axes[0].set_title("Original images")
plot_images(reconstructions, (8, 8), n_cols=10, ax=axes[1])
axes[1].set_title("Their reconstructions: inverse_transform(transform(X))")
plot_images(samples, (8, 8), n_cols=10, ax=axes[2])
axes[2].set_title("Decoded from codes drawn from the prior: sample(30)")
plot_images(path, (8, 8), n_cols=11, ax=axes[3])
axes[3].set_title("From a 0 to a 7 along a line in code space")
plt.show()
