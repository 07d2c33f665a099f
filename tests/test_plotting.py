"""plot_codes on the label kinds of real data: continuous targets, strings,
rows without a code, and reducers other than PCA.  Each test reads back what
was drawn (points, colours, colour bar, legend, title)."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from skcmim.plotting import MAX_CATEGORIES, plot_codes  # noqa: E402

from conftest import FAST  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def drawn_points(ax):
    """Every point drawn on ``ax``, in drawing order."""
    return np.vstack([collection.get_offsets() for collection in ax.collections])


def legend_labels(ax):
    legend = ax.get_legend()
    return None if legend is None else [text.get_text() for text in legend.get_texts()]


def points_of(ax, label):
    """Offsets of the scatter drawn for one legend label."""
    (collection,) = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(collection.get_offsets())


def test_continuous_target_gets_a_colour_bar_and_no_legend(rng):
    codes = rng.normal(size=(150, 8))
    target = rng.normal(size=150)  # a measured property: 150 distinct floats
    ax = plot_codes(codes, target, label_name="logS")
    (scatter,) = ax.collections
    assert len(scatter.get_offsets()) == 150
    assert scatter.colorbar is not None
    assert scatter.colorbar.ax.get_ylabel() == "logS"
    # the colours follow the target, not a class palette
    np.testing.assert_array_equal(scatter.get_array(), target)
    assert scatter.get_cmap().name.startswith("viridis")
    assert ax.get_legend() is None


def test_integer_classes_are_categories_with_a_legend(digits_small):
    X, y = digits_small
    ax = plot_codes(X, y, label_name="digit")
    assert legend_labels(ax) == [str(digit) for digit in range(10)]
    assert ax.get_legend().get_title().get_text() == "digit"
    assert len(drawn_points(ax)) == len(X)
    assert all(collection.colorbar is None for collection in ax.collections)
    assert len(points_of(ax, "3")) == np.sum(y == 3)


def test_string_labels_give_a_categorical_legend(rng):
    codes = rng.normal(size=(60, 2))
    labels = np.array(["inactive", "active", "unknown"] * 20, dtype=object)
    ax = plot_codes(codes, labels)
    assert legend_labels(ax) == ["active", "inactive", "unknown"]
    # each category holds exactly its own rows (2-D codes are drawn as they are)
    np.testing.assert_array_equal(points_of(ax, "active"), codes[labels == "active"])
    np.testing.assert_array_equal(points_of(ax, "unknown"), codes[labels == "unknown"])


def test_many_numeric_classes_switch_to_a_colour_bar(rng):
    labels = np.arange(MAX_CATEGORIES + 1).repeat(3)
    ax = plot_codes(rng.normal(size=(len(labels), 3)), labels)
    assert ax.collections[0].colorbar is not None
    labels = np.arange(MAX_CATEGORIES).repeat(3)
    ax = plot_codes(rng.normal(size=(len(labels), 3)), labels)
    assert len(legend_labels(ax)) == MAX_CATEGORIES


def test_many_string_categories_are_drawn_without_a_legend(rng):
    labels = np.array([f"scaffold {i}" for i in range(MAX_CATEGORIES + 5)] * 2)
    ax = plot_codes(rng.normal(size=(len(labels), 4)), labels)
    assert ax.get_legend() is None
    assert len(ax.collections) == MAX_CATEGORIES + 5
    assert len(drawn_points(ax)) == len(labels)


def test_rows_without_a_code_are_left_out_and_counted(rng):
    codes = rng.normal(size=(50, 2))
    labels = np.array(["a", "b"] * 25)
    missing = rng.choice(50, size=12, replace=False)
    codes[missing] = np.nan
    ax = plot_codes(codes, labels, title="FreeSolv")
    assert ax.get_title() == "FreeSolv\n12 rows without a code not shown"
    assert len(drawn_points(ax)) == 38
    kept = np.ones(50, dtype=bool)
    kept[missing] = False
    # the labels stay with their own rows after the NaN rows are removed
    np.testing.assert_array_equal(points_of(ax, "a"), codes[kept & (labels == "a")])
    np.testing.assert_array_equal(points_of(ax, "b"), codes[kept & (labels == "b")])


def test_one_row_without_a_code_and_no_title(rng):
    codes = rng.normal(size=(5, 3))
    codes[2, 1] = np.nan
    ax = plot_codes(codes)
    assert ax.get_title() == "1 row without a code not shown"
    assert len(drawn_points(ax)) == 4


def test_missing_labels_are_drawn_in_grey(rng):
    codes = rng.normal(size=(6, 2))
    ax = plot_codes(codes, ["x", None, "y", "x", np.nan, "y"])
    assert legend_labels(ax) == ["x", "y", "missing"]
    np.testing.assert_array_equal(points_of(ax, "missing"), codes[[1, 4]])

    target = rng.normal(size=40)
    target[:3] = np.nan
    ax = plot_codes(rng.normal(size=(40, 2)), target)
    assert len(drawn_points(ax)) == 40  # NaN targets are drawn too, in the "bad" colour


def test_custom_reducer_receives_only_rows_with_a_code(rng):
    class FirstTwoColumns:
        def fit_transform(self, X):
            self.seen_ = X.copy()
            return 2 * X[:, :2]

    codes = rng.normal(size=(30, 6))
    codes[[0, 7]] = np.nan
    reducer = FirstTwoColumns()
    ax = plot_codes(codes, np.arange(30) % 3, reducer=reducer)
    assert reducer.seen_.shape == (28, 6)
    assert not np.isnan(reducer.seen_).any()
    np.testing.assert_allclose(
        np.sort(drawn_points(ax), axis=0), np.sort(2 * np.delete(codes, [0, 7], axis=0)[:, :2], axis=0)
    )


def test_sklearn_reducer_is_fitted_in_place(rng):
    from sklearn.manifold import Isomap

    reducer = Isomap(n_components=2, n_neighbors=5)
    ax = plot_codes(rng.normal(size=(40, 5)), reducer=reducer)
    assert hasattr(reducer, "embedding_")
    np.testing.assert_allclose(drawn_points(ax), reducer.embedding_)


def test_default_projection_is_pca(rng):
    from sklearn.decomposition import PCA

    codes = rng.normal(size=(40, 5))
    ax = plot_codes(codes, random_state=0)
    np.testing.assert_allclose(drawn_points(ax), PCA(2, random_state=0).fit_transform(codes))


def test_one_column_is_drawn_against_zero(rng):
    codes = rng.normal(size=(10, 1))
    points = drawn_points(plot_codes(codes))
    np.testing.assert_array_equal(points[:, 0], codes[:, 0])
    np.testing.assert_array_equal(points[:, 1], 0.0)


@pytest.mark.parametrize(
    "codes, labels, kwargs, error, message",
    [
        (np.zeros(5), None, {}, ValueError, "2-D"),
        (np.zeros((4, 0)), None, {}, ValueError, "at least one column"),
        (np.full((3, 2), np.nan), None, {}, ValueError, "None of the 3 rows"),
        (np.array([[0.0, 1.0], [np.inf, 0.0]]), None, {}, ValueError, "Row 1 of codes holds an infinite"),
        (np.zeros((4, 2)), [1, 2, 3], {}, ValueError, "one value per row of codes (4 rows)"),
        (np.zeros((4, 3)), None, {"reducer": "umap"}, TypeError, "fit_transform"),
        (np.ones((1, 3)), None, {}, ValueError, "needs at least 2 rows with a code, got 1"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(codes, labels, kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        plot_codes(codes, labels, **kwargs)


def test_reducer_of_the_wrong_width_is_refused(rng):
    class ThreeColumns:
        def fit_transform(self, X):
            return X[:, :3]

    with pytest.raises(ValueError, match=r"returned shape \(10, 3\); plot_codes needs \(10, 2\)"):
        plot_codes(rng.normal(size=(10, 5)), reducer=ThreeColumns())


def test_infinite_value_is_reported_at_its_original_row():
    codes = np.zeros((5, 2))
    codes[1] = np.nan
    codes[3, 0] = -np.inf
    with pytest.raises(ValueError, match="Row 3 of codes"):
        plot_codes(codes)


label_kinds = st.sampled_from(["int", "float", "str", "none"])


@settings(max_examples=25, deadline=None)
@given(n_rows=st.integers(1, 40), width=st.integers(1, 5), kind=label_kinds, data=st.data())
def test_fuzz_every_row_with_a_code_is_drawn_once(n_rows, width, kind, data):
    assume(n_rows >= 2 or width <= 2)  # PCA needs two rows; a lone row is refused (tested above)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    codes = rng.normal(size=(n_rows, width))
    missing = np.array(data.draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows)))
    if (~missing).sum() < 2 and width > 2:
        missing[:2] = False  # PCA needs two rows; a lone row is refused (tested above)
    if missing.all():
        missing[0] = False
    codes[missing] = np.nan
    labels = {
        "int": rng.integers(0, 30, n_rows),
        "float": rng.normal(size=n_rows),
        "str": rng.choice(["C", "N", "O"], n_rows),
        "none": None,
    }[kind]
    ax = plot_codes(codes, labels)
    assert len(drawn_points(ax)) == n_rows - missing.sum()
    n_missing = int(missing.sum())
    assert (f"{n_missing} row" in ax.get_title()) == (n_missing > 0)
    plt.close("all")


def test_nan_rows_of_a_molecular_model(tmp_path):
    pytest.importorskip("rdkit")
    from skcmim import CMIMTransformer

    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "CCN", "CCCl", "OCC(O)CO"] * 4
    model = CMIMTransformer(**FAST, on_invalid="nan").fit(smiles)
    with pytest.warns(UserWarning, match="unknown"):  # "[Xx]" and "C1CC" are invalid, "[Se]" unknown
        codes = model.transform(["CCO", "[Xx]", "C1CC", "c1ccccc1", "[Se]"])
    ax = plot_codes(codes, ["ethanol", "bad", "bad", "benzene", "selenium"], title="codes")
    assert ax.get_title() == "codes\n2 rows without a code not shown"
    assert legend_labels(ax) == ["benzene", "ethanol", "selenium"]
