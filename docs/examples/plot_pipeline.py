"""
===========================================
A cMIM embedding in a scikit-learn pipeline
===========================================

:class:`~skcmim.CMIMTransformer` learns a code of each digit image without
using the labels.  Put in a :class:`~sklearn.pipeline.Pipeline` before a
:class:`~sklearn.linear_model.LogisticRegression`, it is fitted on the
training images and its codes feed the classifier.  At the end,
:func:`~skcmim.plotting.plot_codes` draws a 2-D view of the codes of the
held-out images.
"""

# %%
# Data: the 8x8 digits, scaled to [0, 1]
# --------------------------------------
# Pixels in [0, 1] make the model choose a Bernoulli decoder: with the
# default ``input="auto"`` the matrix is read by ``NumericInput()``, whose
# ``likelihood="auto"`` picks Bernoulli for data in [0, 1].  Half of the
# images are held out.
from sklearn.model_selection import train_test_split

from skcmim.datasets import load_digits_unit

X, y = load_digits_unit()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
print(f"{len(X_train)} training and {len(X_test)} test images")

# %%
# The pipeline
# ------------
# A 16-dimensional code, standardised, then a logistic regression.  Twenty
# epochs keep this example fast; the default is 50.
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skcmim import CMIMTransformer

pipe = Pipeline(
    [
        ("cmim", CMIMTransformer(n_components=16, max_epochs=20, random_state=0)),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(max_iter=2000)),
    ]
)
pipe.fit(X_train, y_train)
print(f"held-out accuracy: {pipe.score(X_test, y_test):.3f}")

# %%
# The fitted transformer is an ordinary estimator with fitted attributes.
cmim = pipe.named_steps["cmim"]
print(
    f"input: {cmim.input_}, likelihood: {cmim.likelihood_}, epochs: {cmim.n_iter_}, "
    f"final training loss: {cmim.history_[-1, 'train_loss']:.2f}"
)

# %%
# A 2-D view of the codes
# -----------------------
# :func:`~skcmim.plotting.plot_codes` projects the 16-dimensional codes of the
# test images on their first two principal components and colours them by
# digit; the model never saw a label.  Two components show only part of a
# 16-dimensional code, so some digits overlap here that the classifier still
# separates: the held-out accuracy above is the quantitative measure.
import matplotlib.pyplot as plt

from skcmim.plotting import plot_codes

codes = cmim.transform(X_test)
title = "cMIM codes of held-out digits (PCA to 2-D)"
ax = plot_codes(codes, y_test, title=title)
ax.figure.set_size_inches(6, 6)
plt.tight_layout()
plt.show()
