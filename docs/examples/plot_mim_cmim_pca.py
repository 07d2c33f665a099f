"""
==============================
MIM, cMIM and PCA side by side
==============================

Three 16-dimensional representations of the digits, fitted on the same
training half: :class:`~sklearn.decomposition.PCA`,
:class:`~skcmim.MIMTransformer` and :class:`~skcmim.CMIMTransformer`.  For
each, a logistic regression trained on the codes of the training half scores
the test half (a *linear probe*), and the codes of the test half are drawn in
2-D.
"""

# %%
# Fit the three representations
# -----------------------------
import time

from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.datasets import load_digits_unit

X, y = load_digits_unit()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)

models = {
    "PCA": PCA(n_components=16, random_state=0),
    "MIM": MIMTransformer(n_components=16, max_epochs=30, random_state=0),
    "cMIM": CMIMTransformer(n_components=16, max_epochs=30, random_state=0),
}

codes, accuracy = {}, {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train)
    seconds = time.perf_counter() - start
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(model.transform(X_train), y_train)
    codes[name] = model.transform(X_test)
    accuracy[name] = probe.score(codes[name], y_test)
    print(f"{name:>4}: accuracy {accuracy[name]:.3f}, fit in {seconds:.1f} s")

# %%
# The codes in 2-D
# ----------------
# Each panel projects the 16-dimensional codes on their first two principal
# components (for PCA these are simply its first two components).  A 2-D
# projection shows only part of a 16-dimensional code: the probe accuracies
# above are the quantitative comparison, and on these small data the three
# are close.  The benchmarks page compares the models over several seeds and
# on MNIST.
import matplotlib.pyplot as plt

from skcmim.plotting import plot_codes

fig, axes = plt.subplots(1, 3, figsize=(10, 3.8), layout="constrained")
for ax, name in zip(axes, models):
    title = f"{name} (probe accuracy {accuracy[name]:.3f})"
    plot_codes(codes[name], y_test, ax=ax, title=title)

# One legend for the three panels, outside them.
legend = axes[0].get_legend()
handles = legend.legend_handles
labels = [text.get_text() for text in legend.get_texts()]
for ax in axes:
    ax.get_legend().remove()
fig.legend(handles, labels, loc="outside right center", title="digit")
plt.show()
