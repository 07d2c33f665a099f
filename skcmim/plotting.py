"""Plot helpers (optional: ``pip install 'skcmim[plot]'`` for matplotlib).

Each function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns it, so they compose with the user's own figures.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_codes", "plot_history", "plot_images"]


def _axes(ax, figsize):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Plotting needs matplotlib: pip install 'skcmim[plot]'.") from exc
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_codes(codes, labels=None, *, ax=None, title=None, random_state=0):
    """Scatter a 2-D view of codes, coloured by ``labels``.

    Codes wider than two columns are projected on their first two principal
    components.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_components)
        Output of ``transform``.
    labels : array-like of shape (n_samples,), default=None
        Class labels or values used for colour.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    title : str, default=None
        Axes title.
    random_state : int, default=0
        Seed of the PCA projection.

    Returns
    -------
    ax : matplotlib Axes
    """
    from sklearn.decomposition import PCA

    codes = np.asarray(codes, dtype=float)
    if codes.ndim != 2:
        raise ValueError(f"codes must be 2-D, got shape {codes.shape}.")
    if codes.shape[1] > 2:
        codes = PCA(2, random_state=random_state).fit_transform(codes)
    elif codes.shape[1] == 1:
        codes = np.hstack([codes, np.zeros_like(codes)])
    ax = _axes(ax, (5, 5))
    scatter = ax.scatter(codes[:, 0], codes[:, 1], c=labels, s=6, cmap="tab10" if labels is not None else None)
    if labels is not None and len(np.unique(labels)) <= 20:
        ax.legend(*scatter.legend_elements(), loc="best", fontsize="small", markerscale=0.8, title="label")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def plot_history(estimator, *, ax=None):
    """Training (and validation) loss per epoch of a fitted estimator.

    Parameters
    ----------
    estimator : fitted skcmim transformer
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    check_is_fitted(estimator)
    history = estimator.history_
    ax = _axes(ax, (5, 3.5))
    epochs = history[:, "epoch"]
    ax.plot(epochs, history[:, "train_loss"], label="train")
    if "valid_loss" in history[-1]:
        ax.plot(epochs, history[:, "valid_loss"], label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def plot_images(images, shape, *, n_cols=10, ax=None, cmap="gray_r"):
    """Show flattened images as a grid.

    Parameters
    ----------
    images : array-like of shape (n_images, height * width)
        For example the output of ``sample`` or ``inverse_transform``.
    shape : tuple of int
        ``(height, width)`` of one image.
    n_cols : int, default=10
        Images per row.
    ax : matplotlib Axes, default=None
    cmap : str, default="gray_r"

    Returns
    -------
    ax : matplotlib Axes
    """
    images = np.asarray(images, dtype=float).reshape(-1, *shape)
    n_rows = int(np.ceil(len(images) / n_cols))
    height, width = shape
    grid = np.full((n_rows * (height + 1), n_cols * (width + 1)), np.nan)
    for index, image in enumerate(images):
        row, col = divmod(index, n_cols)
        grid[row * (height + 1) : row * (height + 1) + height, col * (width + 1) : col * (width + 1) + width] = image
    ax = _axes(ax, (n_cols * 0.6, n_rows * 0.6))
    ax.imshow(grid, cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    return ax
