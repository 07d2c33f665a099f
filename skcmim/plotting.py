"""Plot helpers (optional: ``pip install 'skcmim[plot]'`` for matplotlib).

Each function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns it, so they compose with the user's own figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

if TYPE_CHECKING:  # matplotlib is optional: needed only to draw
    from matplotlib.axes import Axes

__all__ = ["plot_codes", "plot_history", "plot_images"]


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    from ._optional import import_optional

    plt = import_optional("matplotlib.pyplot", "Plotting")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


#: More distinct numeric labels than this are drawn as a continuous colour
#: scale with a colour bar; fewer, and any non-numeric labels, as categories.
MAX_CATEGORIES = 20

_MISSING_COLOUR = "0.75"


def plot_codes(
    codes: ArrayLike,
    labels: ArrayLike | None = None,
    *,
    reducer: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
    label_name: str | None = None,
    random_state: int = 0,
) -> Axes:
    """Scatter a 2-D view of codes, coloured by ``labels``.

    Codes wider than two columns are projected to two with ``reducer``
    (principal components by default); a single column is drawn against
    zero.  Rows without a code, such as the NaN rows that ``transform``
    returns for invalid molecules with ``on_invalid="nan"``, are left out,
    and the title says how many.

    Parameters
    ----------
    codes : array-like of shape (n_samples, n_components)
        Output of ``transform``.  A row holding NaN counts as a row without
        a code.
    labels : array-like of shape (n_samples,), default=None
        One value per row of ``codes``, in the same order.  Numbers with
        more than 20 distinct values (``MAX_CATEGORIES``; a measured
        property, for example) are drawn with a continuous colour map and a
        colour bar; other labels (class numbers, strings, booleans) as
        categories with a legend, which is left out above 20 categories.
        Missing labels (None, NaN) are drawn in grey.
    reducer : object with ``fit_transform``, default=None
        Projects codes wider than two columns to two columns, fitted in place
        on the rows that have a code: anything with ``fit_transform(X)``
        returning an array of shape ``(n_rows, 2)``, such as
        ``sklearn.manifold.TSNE(2)`` or, when the ``umap-learn`` package is
        installed, ``umap.UMAP(n_components=2)``.  None means
        ``sklearn.decomposition.PCA(2, random_state=random_state)``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    title : str, default=None
        Axes title.  The count of rows left out is appended on a line of its
        own.
    label_name : str, default=None
        Title of the legend or label of the colour bar.
    random_state : int, default=0
        Seed of the default PCA projection.

    Returns
    -------
    ax : matplotlib Axes
        With one scatter per category (categorical labels) or a single
        scatter whose ``colorbar`` is set (continuous labels).

    Raises
    ------
    ValueError
        If ``codes`` is not 2-D, holds infinite values, has no row with a
        code, or if ``labels`` or the reducer's output do not match its rows.
    TypeError
        If ``reducer`` has no ``fit_transform`` method.
    """
    all_codes = np.asarray(codes, dtype=float)
    if all_codes.ndim != 2 or all_codes.shape[1] == 0:
        raise ValueError(f"codes must be 2-D with at least one column, got shape {all_codes.shape}.")
    label_array = _check_labels(labels, len(all_codes))
    has_code = ~np.isnan(all_codes).any(axis=1)
    n_left_out = int((~has_code).sum())
    shown = all_codes[has_code]
    if len(shown) == 0:
        raise ValueError(f"None of the {n_left_out} rows of codes has a code (every row holds NaN); nothing to plot.")
    _check_finite(shown, np.flatnonzero(has_code))
    points = _project(shown, reducer, random_state)

    ax = _axes(ax, (5, 5))
    if label_array is None:
        ax.scatter(points[:, 0], points[:, 1], s=6)
    elif _is_continuous(label_array[has_code]):
        _scatter_continuous(ax, points, label_array[has_code].astype(float), label_name)
    else:
        _scatter_categories(ax, points, label_array[has_code], label_name)
    ax.set_xticks([])
    ax.set_yticks([])
    lines = [title] if title else []
    if n_left_out:
        lines.append(f"{n_left_out} row{'s' if n_left_out > 1 else ''} without a code not shown")
    if lines:
        ax.set_title("\n".join(lines))
    return ax


def _check_labels(labels: ArrayLike | None, n_rows: int) -> np.ndarray | None:
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n_rows:
        raise ValueError(f"labels must hold one value per row of codes ({n_rows} rows), got shape {labels.shape}.")
    return labels


def _check_finite(codes, row_numbers):
    bad = np.flatnonzero(~np.isfinite(codes).all(axis=1))
    if len(bad):
        raise ValueError(
            f"Row {row_numbers[bad[0]]} of codes holds an infinite value; codes must be finite "
            "or, for a row without a code, NaN."
        )


def _project(codes, reducer, random_state):
    """Two columns for the scatter: the codes themselves, or their projection."""
    if codes.shape[1] == 1:
        return np.hstack([codes, np.zeros_like(codes)])
    if codes.shape[1] == 2:
        return codes
    if reducer is None:
        from sklearn.decomposition import PCA

        if len(codes) < 2:
            raise ValueError(
                f"Projecting codes of {codes.shape[1]} columns to 2-D with PCA needs at least 2 "
                f"rows with a code, got {len(codes)}."
            )
        reducer = PCA(2, random_state=random_state)
    if not callable(getattr(reducer, "fit_transform", None)):
        raise TypeError(f"reducer must have a fit_transform method, got {type(reducer).__name__}.")
    points = np.asarray(reducer.fit_transform(codes), dtype=float)
    if points.shape != (len(codes), 2):
        raise ValueError(
            f"reducer.fit_transform returned shape {points.shape}; plot_codes needs "
            f"({len(codes)}, 2), one 2-D point per row with a code."
        )
    return points


def _is_continuous(labels):
    if labels.dtype.kind not in "iuf":
        return False
    values = labels[~np.isnan(labels)] if labels.dtype.kind == "f" else labels
    return len(np.unique(values)) > MAX_CATEGORIES


def _scatter_continuous(ax, points, values, label_name):
    scatter = ax.scatter(
        points[:, 0], points[:, 1], c=values, s=6, cmap=_viridis_with_grey_for_missing(), plotnonfinite=True
    )
    ax.figure.colorbar(scatter, ax=ax, label=label_name)


def _viridis_with_grey_for_missing():
    import matplotlib

    return matplotlib.colormaps["viridis"].with_extremes(bad=_MISSING_COLOUR)


def _is_missing(value):
    return value is None or (isinstance(value, (float, np.floating)) and np.isnan(value))


def _categories(labels):
    """Distinct labels in sorted order (by text when they do not sort), and whether some are missing."""
    values = labels.tolist()
    present = {value for value in values if not _is_missing(value)}
    try:
        ordered = sorted(present)
    except TypeError:  # mixed types, such as numbers and strings
        ordered = sorted(present, key=str)
    return ordered, any(map(_is_missing, values))


def _scatter_categories(ax, points, labels, label_name):
    import matplotlib

    categories, some_missing = _categories(labels)
    palette = matplotlib.colormaps["tab10" if len(categories) <= 10 else "tab20"]
    values = labels.tolist()
    for index, category in enumerate(categories):
        rows = np.array([value == category for value in values])
        ax.scatter(points[rows, 0], points[rows, 1], s=6, color=palette(index % palette.N), label=str(category))
    if some_missing:
        rows = np.array([_is_missing(value) for value in values])
        ax.scatter(points[rows, 0], points[rows, 1], s=6, color=_MISSING_COLOUR, label="missing")
    if len(categories) <= MAX_CATEGORIES:
        ax.legend(loc="best", fontsize="small", markerscale=2, title=label_name)


#: What plot_history can draw: the total loss and the terms the history records.
HISTORY_TERMS = ("loss", "reconstruction", "latent", "kl", "contrastive")


def _history_series(history, key):
    return np.array([record.get(key, np.nan) for record in history], dtype=float)


def plot_history(
    estimator: Any, terms: Sequence[str] | None = None, *, ax: Axes | None = None, yscale: str = "symlog"
) -> Axes:
    """Training (and validation) loss and loss terms per epoch of a fitted estimator.

    One line per quantity and split: training solid, validation (with
    early stopping) dashed in the same colour.  The terms are the
    unweighted per-sample means ``history_`` records (see the estimators'
    ``history_``), so a user sees whether, say, the contrastive term moves
    at all next to the reconstruction.

    Parameters
    ----------
    estimator : fitted skcmim transformer
    terms : sequence of str or None, default=None
        Which of ``"loss"`` (the total), ``"reconstruction"``, ``"latent"``,
        ``"kl"`` and ``"contrastive"`` to draw; None: the total and every
        term the history holds.
    ax : matplotlib Axes, default=None
    yscale : {"symlog", "linear"}, default="symlog"
        ``"symlog"`` is logarithmic in both directions (terms can be
        negative: the MIM latent term of a confident encoder is) and linear
        only below the smallest magnitude drawn, so a 0.003-nat term stays
        visible beside a 76-nat one.

    Returns
    -------
    ax : matplotlib Axes
    """
    check_is_fitted(estimator)
    history = estimator.history_
    recorded = [name for name in HISTORY_TERMS if f"train_{name}" in history[-1]]
    terms = recorded if terms is None else list(terms)
    missing = [name for name in terms if name not in recorded]
    if missing:
        raise ValueError(f"terms {missing} are not in this estimator's history_; it records {recorded}.")
    if yscale not in ("symlog", "linear"):
        raise ValueError(f"yscale must be 'symlog' or 'linear', got {yscale!r}.")
    ax = _axes(ax, (5, 3.5))
    epochs = _history_series(history, "epoch")
    magnitudes = []
    for name in terms:
        colour = None  # the validation line takes its training line's colour
        for prefix, style, split in (("train", "-", "train"), ("valid", "--", "validation")):
            values = _history_series(history, f"{prefix}_{name}")
            if np.isnan(values).all():
                continue
            (line,) = ax.plot(epochs, values, style, color=colour, label=f"{split} {name}")
            colour = line.get_color()
            magnitudes.append(np.abs(values[np.isfinite(values) & (values != 0)]))
    if yscale == "symlog":
        smallest = np.concatenate(magnitudes).min(initial=np.inf) if magnitudes else np.inf
        ax.set_yscale("symlog", linthresh=float(smallest) if np.isfinite(smallest) else 1.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per sample")
    ax.legend()
    return ax


def plot_images(
    images: ArrayLike, shape: Sequence[int], *, n_cols: int = 10, ax: Axes | None = None, cmap: str = "gray_r"
) -> Axes:
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
