"""
====================================
Grid-searching the width of the code
====================================

``n_components`` is an ordinary hyper-parameter, so
:class:`~sklearn.model_selection.GridSearchCV` can choose it in two ways:

* **without labels**, on the model's own ``score`` (the negative training
  objective with the code at its mean; higher is better): no ``scoring``
  argument is needed;
* **with labels**, on the accuracy of a whole pipeline, through the
  ``cmim__n_components`` parameter.

The two answer different questions: how well does the model explain unseen
images, and how useful are its codes for this classification task?  This
example also shows why the first is not a fair yardstick *across widths*.
"""

# %%
# Data
# ----
from sklearn.model_selection import train_test_split

from skcmim.datasets import load_digits_unit

X, y = load_digits_unit()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)

# A smaller network and few epochs keep the fits of this example fast.
small = dict(hidden_layer_sizes=(256, 256), max_epochs=15, random_state=0)
widths = [2, 4, 8, 16, 32]

# %%
# Unsupervised search: ``score`` needs no labels
# ----------------------------------------------
from sklearn.model_selection import GridSearchCV

from skcmim import CMIMTransformer

unsupervised = GridSearchCV(CMIMTransformer(**small), {"n_components": widths}, cv=3)
unsupervised.fit(X_train)
print("best by score():", unsupervised.best_params_)
for width, score in zip(widths, unsupervised.cv_results_["mean_test_score"]):
    print(f"  n_components={width:>2}: mean held-out score {score:9.2f}")

# %%
# Where the unsupervised score comes from
# ---------------------------------------
# Here the score rises with the width.  Split into its terms (with the code
# at its mean, :math:`z = \mu(x)`), the reconstruction term
# :math:`\log p(x \mid z)` hardly changes; the rise comes from the encoder's
# log-density
# :math:`\log q(z \mid x) = \sum_k (-\log\sigma_k - \tfrac12\log 2\pi)`,
# which gains one term per code dimension, large when the encoder is confident
# (small :math:`\sigma_k`).  So ``score`` compares models *of the same
# width* (epochs, network size, learning rate); to choose the width itself,
# use a downstream score, as in the next section.
import torch

from skcmim.losses import gaussian_log_density, standard_normal_log_density

X_test_tensor = torch.as_tensor(X_test, dtype=torch.float32)
for width in (2, 32):
    model = CMIMTransformer(n_components=width, **small).fit(X_train)
    with torch.no_grad():
        out = model.module_(X_test_tensor, sample=False)  # z = mu(x)
        log_px = out.log_px.mean().item()
        log_q = gaussian_log_density(out.mu, out.mu, out.log_sigma)
        log_q = log_q.mean().item()
        log_prior = standard_normal_log_density(out.mu).mean().item()
    print(f"n_components={width}: score {model.score(X_test):.2f}")
    print(f"    = log p(x|z) {log_px:.2f} + log q(z|x)/2 {log_q / 2:.2f} + log P(z)/2 {log_prior / 2:.2f}")

# %%
# Supervised search: accuracy of the whole pipeline
# -------------------------------------------------
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

pipe = Pipeline(
    [
        ("cmim", CMIMTransformer(**small)),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(max_iter=2000)),
    ]
)
supervised = GridSearchCV(pipe, {"cmim__n_components": widths}, cv=3)
supervised.fit(X_train, y_train)
print("best by accuracy:", supervised.best_params_)
test_accuracy = supervised.score(X_test, y_test)
print(f"test accuracy of the refitted best pipeline: {test_accuracy:.3f}")

# %%
# The scores side by side
# -----------------------
# Error bars are the standard deviation over the three folds.
import matplotlib.pyplot as plt

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
for ax, search, label in (
    (left, unsupervised, "score() (higher is better)"),
    (right, supervised, "cross-validated accuracy"),
):
    results = search.cv_results_
    ax.errorbar(
        widths,
        results["mean_test_score"],
        yerr=results["std_test_score"],
        marker="o",
        capsize=3,
    )
    ax.set_xscale("log", base=2)
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.set_xlabel("n_components")
    ax.set_ylabel(label)
left.set_title("Without labels")
right.set_title("With labels (LogisticRegression)")
plt.show()
