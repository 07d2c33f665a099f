"""
=========================================
Informative embeddings versus plain codes
=========================================

A trained decoder turns a code back into an image; its hidden layers hold
features that a downstream model can use.  With ``informative=True``,
``transform`` returns the code followed by the decoder's hidden activations
at the code.  It is a read-out of the *same* trained model: switch it with
``set_params``, no retraining.

This example fits MIM and cMIM once each, then compares the linear-probe
accuracy of the plain codes and of the informative embeddings.
"""

# %%
# Fit once, read out twice
# ------------------------
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcmim import CMIMTransformer, MIMTransformer
from skcmim.datasets import load_digits_unit

X, y = load_digits_unit()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


def probe(Z_train, Z_test):
    """Held-out accuracy of a logistic regression on standardised features."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return clf.fit(Z_train, y_train).score(Z_test, y_test)


results = {"raw pixels (64)": probe(X_train, X_test)}
pca = PCA(n_components=16, random_state=0).fit(X_train)
results["PCA-16"] = probe(pca.transform(X_train), pca.transform(X_test))

for name, Model in (("MIM", MIMTransformer), ("cMIM", CMIMTransformer)):
    model = Model(n_components=16, max_epochs=30, random_state=0).fit(X_train)
    for informative in (False, True):
        model.set_params(informative=informative)
        Z_train, Z_test = model.transform(X_train), model.transform(X_test)
        kind = "informative" if informative else "plain"
        label = f"{name} {kind} ({Z_train.shape[1]})"
        results[label] = probe(Z_train, Z_test)

for label, accuracy in results.items():
    print(f"{label:<28} {accuracy:.3f}")

# %%
# What the extra columns are
# --------------------------
# ``get_feature_names_out`` names them: the code first, then one column per
# unit of each decoder hidden layer (layer 0 is nearest the code).
# ``informative_layers`` selects layers.
names = model.get_feature_names_out()
print(len(names), "columns:", ", ".join(names[:2]), "...", names[16], "...")
print("last column:", names[-1])
model.set_params(informative_layers=(0,))
n_columns = model.transform(X_test).shape[1]
print("with informative_layers=(0,):", n_columns, "columns")
model.set_params(informative=False, informative_layers="all")

# %%
# Accuracy of each representation
# -------------------------------
# The number in brackets is the width of the features.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
labels = list(results)
colors = ["0.6", "0.6"] + ["tab:blue", "tab:orange"] * 2
bars = ax.barh(labels, [results[k] for k in labels], color=colors)
ax.bar_label(bars, fmt="%.3f", padding=3)
ax.set_xlim(min(results.values()) - 0.05, 1.0)
ax.invert_yaxis()
ax.set_xlabel("held-out accuracy of a logistic regression")
ax.set_title("Plain codes (blue) and informative embeddings (orange)")
plt.show()
