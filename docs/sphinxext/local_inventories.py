"""Links to other projects' documentation, without network access.

``sphinx.ext.intersphinx`` normally downloads each project's ``objects.inv``
when the docs are built; the machines that build these docs cannot.  This
module holds, instead, the external names that the docs refer to (in the
text, in docstrings and in the gallery's code) with the real address of each
in its project's documentation, and writes them as small inventories under
``docs/_inventories/``.  ``conf.py`` points ``intersphinx_mapping`` at those
files, so links resolve offline and lead to the projects' online pages.

Add a name
    Put it in ``NAMES`` under its project, then run (from the repository
    root)::

        python docs/sphinxext/local_inventories.py

    and commit the rewritten ``docs/_inventories/*.inv``.  A test
    (``tests/test_packaging.py``) fails while the committed files and
    ``NAMES`` disagree.

As a Sphinx extension
    It warns about a cross-reference to a module of one of these projects
    (``sklearn.``, ``torch.``...) that no inventory resolves, so ``-W``
    catches a name missing from ``NAMES`` instead of printing it unlinked.
"""

import zlib
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where the generated inventories live, relative to the docs folder.
INVENTORY_DIR = "_inventories"

#: ``{project: (base URL, display name, version, {name: (domain:role, path)})}``.
#: A path ending in ``$`` ends in the name itself (the inventory format's
#: shorthand for "the anchor is the name").
NAMES = {
    "python": (
        "https://docs.python.org/3/",
        "Python",
        "3",
        {
            "FileNotFoundError": ("py:exception", "library/exceptions.html#$"),
            "ImportError": ("py:exception", "library/exceptions.html#$"),
            "KeyboardInterrupt": ("py:exception", "library/exceptions.html#$"),
            "MemoryError": ("py:exception", "library/exceptions.html#$"),
            "TypeError": ("py:exception", "library/exceptions.html#$"),
            "UserWarning": ("py:exception", "library/exceptions.html#$"),
            "ValueError": ("py:exception", "library/exceptions.html#$"),
            "dict": ("py:class", "library/stdtypes.html#$"),
            "float": ("py:class", "library/functions.html#$"),
            "int": ("py:class", "library/functions.html#$"),
            "list": ("py:class", "library/stdtypes.html#$"),
            "str": ("py:class", "library/stdtypes.html#$"),
            "tuple": ("py:class", "library/stdtypes.html#$"),
            "os.environ": ("py:data", "library/os.html#$"),
            "pathlib.Path": ("py:class", "library/pathlib.html#$"),
            "pickle": ("py:module", "library/pickle.html#module-pickle"),
            "tempfile.mkdtemp": ("py:function", "library/tempfile.html#$"),
            "shutil.rmtree": ("py:function", "library/shutil.html#$"),
        },
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        "NumPy",
        "stable",
        {
            "numpy.array": ("py:function", "reference/generated/numpy.array.html#$"),
            "numpy.array_equal": ("py:function", "reference/generated/numpy.array_equal.html#$"),
            "numpy.full_like": ("py:function", "reference/generated/numpy.full_like.html#$"),
            "numpy.mean": ("py:function", "reference/generated/numpy.mean.html#$"),
            "numpy.memmap": ("py:class", "reference/generated/numpy.memmap.html#$"),
            "numpy.nan": ("py:data", "reference/constants.html#$"),
            "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#$"),
            "numpy.random.default_rng": ("py:function", "reference/random/generator.html#$"),
        },
    ),
    "pandas": (
        "https://pandas.pydata.org/docs/",
        "pandas",
        "stable",
        {
            "pandas.DataFrame": ("py:class", "reference/api/pandas.DataFrame.html#$"),
            "pandas.Series": ("py:class", "reference/api/pandas.Series.html#$"),
        },
    ),
    "sklearn": (
        "https://scikit-learn.org/stable/",
        "scikit-learn",
        "stable",
        {
            name: ("py:function" if kind == "f" else "py:class", "modules/generated/" + name + ".html#$")
            for name, kind in (
                ("sklearn.base.BaseEstimator", "c"),
                ("sklearn.base.TransformerMixin", "c"),
                ("sklearn.base.clone", "f"),
                ("sklearn.compose.ColumnTransformer", "c"),
                ("sklearn.compose.make_column_transformer", "f"),
                ("sklearn.decomposition.PCA", "c"),
                ("sklearn.exceptions.NotFittedError", "c"),
                ("sklearn.frozen.FrozenEstimator", "c"),
                ("sklearn.linear_model.LogisticRegression", "c"),
                ("sklearn.linear_model.Ridge", "c"),
                ("sklearn.manifold.TSNE", "c"),
                ("sklearn.metrics.root_mean_squared_error", "f"),
                ("sklearn.model_selection.GridSearchCV", "c"),
                ("sklearn.model_selection.cross_val_score", "f"),
                ("sklearn.model_selection.train_test_split", "f"),
                ("sklearn.pipeline.Pipeline", "c"),
                ("sklearn.pipeline.FeatureUnion", "c"),
                ("sklearn.pipeline.make_pipeline", "f"),
                ("sklearn.preprocessing.FunctionTransformer", "c"),
                ("sklearn.preprocessing.MinMaxScaler", "c"),
                ("sklearn.preprocessing.StandardScaler", "c"),
                ("sklearn.svm.SVR", "c"),
                ("sklearn.utils.estimator_checks.check_estimator", "f"),
                ("sklearn.utils.estimator_checks.parametrize_with_checks", "f"),
                ("sklearn.utils.validation.validate_data", "f"),
            )
        },
    ),
    "skorch": (
        "https://skorch.readthedocs.io/en/stable/",
        "skorch",
        "stable",
        {
            # skorch documents NeuralNet in skorch.net; the docs use the short name too
            "skorch.NeuralNet": ("py:class", "net.html#skorch.net.NeuralNet"),
            "skorch.net.NeuralNet": ("py:class", "net.html#$"),
            "skorch.callbacks": ("py:module", "callbacks.html#module-skorch.callbacks"),
            "skorch.callbacks.Callback": ("py:class", "callbacks.html#$"),
            "skorch.callbacks.base.Callback": ("py:class", "callbacks.html#skorch.callbacks.Callback"),
            "skorch.callbacks.Checkpoint": ("py:class", "callbacks.html#$"),
            "skorch.callbacks.EarlyStopping": ("py:class", "callbacks.html#$"),
            "skorch.callbacks.LRScheduler": ("py:class", "callbacks.html#$"),
            "skorch.callbacks.PassthroughScoring": ("py:class", "callbacks.html#$"),
            "skorch.history.History": ("py:class", "history.html#$"),
        },
    ),
    "torch": (
        "https://docs.pytorch.org/docs/stable/",
        "PyTorch",
        "stable",
        {
            "torch.Tensor": ("py:class", "tensors.html#$"),
            "torch.autocast": ("py:class", "amp.html#$"),
            "torch.device": ("py:class", "tensor_attributes.html#$"),
            "torch.distributed.init_process_group": ("py:function", "distributed.html#$"),
            "torch.nn.GRU": ("py:class", "generated/torch.nn.GRU.html#$"),
            "torch.nn.Module": ("py:class", "generated/torch.nn.Module.html#$"),
            # where classes' "Bases:" lines find Module
            "torch.nn.modules.module.Module": ("py:class", "generated/torch.nn.Module.html#torch.nn.Module"),
            "torch.nn.parallel.DistributedDataParallel": (
                "py:class",
                "generated/torch.nn.parallel.DistributedDataParallel.html#$",
            ),
            "torch.set_num_threads": ("py:function", "generated/torch.set_num_threads.html#$"),
            "torch.utils.cpp_extension.load": ("py:function", "cpp_extension.html#$"),
            "torch.utils.data.DataLoader": ("py:class", "data.html#$"),
        },
    ),
    "rdkit": (
        "https://www.rdkit.org/docs/",
        "RDKit",
        "stable",
        {
            "rdkit.Chem.CanonSmiles": ("py:function", "source/rdkit.Chem.html#$"),
            "rdkit.Chem.Draw.MolsToGridImage": ("py:function", "source/rdkit.Chem.Draw.html#$"),
            # what code such as Chem.MolFromSmiles(...) in the gallery resolves to
            "rdkit.Chem.MolFromSmiles": (
                "py:function",
                "source/rdkit.Chem.rdmolfiles.html#rdkit.Chem.rdmolfiles.MolFromSmiles",
            ),
            "rdkit.Chem.MolToSmiles": (
                "py:function",
                "source/rdkit.Chem.rdmolfiles.html#rdkit.Chem.rdmolfiles.MolToSmiles",
            ),
            "rdkit.Chem.rdchem.Mol": ("py:class", "source/rdkit.Chem.rdchem.html#$"),
            "rdkit.Chem.rdmolfiles.MolFromSmiles": ("py:function", "source/rdkit.Chem.rdmolfiles.html#$"),
            "rdkit.Chem.rdmolfiles.MolToSmiles": ("py:function", "source/rdkit.Chem.rdmolfiles.html#$"),
        },
    ),
    "distributed": (
        "https://distributed.dask.org/en/stable/",
        "Dask.distributed",
        "stable",
        {
            "distributed.Client": ("py:class", "api.html#$"),
            "distributed.Client.submit": ("py:method", "api.html#$"),
            "distributed.LocalCluster": ("py:class", "api.html#$"),
        },
    ),
    "joblib": (
        "https://joblib.readthedocs.io/en/stable/",
        "joblib",
        "stable",
        {
            "joblib.dump": ("py:function", "generated/joblib.dump.html#$"),
            "joblib.load": ("py:function", "generated/joblib.load.html#$"),
        },
    ),
    "matplotlib": (
        "https://matplotlib.org/stable/",
        "Matplotlib",
        "stable",
        {
            "matplotlib.axes.Axes": ("py:class", "api/_as_gen/matplotlib.axes.Axes.html#$"),
            "matplotlib.pyplot.show": ("py:function", "api/_as_gen/matplotlib.pyplot.show.html#$"),
            "matplotlib.pyplot.subplots": ("py:function", "api/_as_gen/matplotlib.pyplot.subplots.html#$"),
        },
    ),
}

_HEADER = (
    "# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
    "# The remainder of this file is compressed using zlib.\n"
)


def inventory_lines(names):
    """The uncompressed body of an inventory: one ``name domain:role priority uri -`` line each."""
    return "".join(f"{name} {role} 1 {path} -\n" for name, (role, path) in sorted(names.items()))


def inventory_bytes(project, version, names):
    """A version-2 ``objects.inv`` holding ``names``."""
    header = _HEADER.format(project=project, version=version).encode()
    return header + zlib.compress(inventory_lines(names).encode(), 9)


def write_inventories(folder):
    """Write one ``<key>.inv`` per project of ``NAMES`` into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, (_, project, version, names) in NAMES.items():
        path = folder / f"{key}.inv"
        path.write_bytes(inventory_bytes(project, version, names))
        paths.append(path)
    return paths


def intersphinx_mapping(docs_dir):
    """``intersphinx_mapping`` for conf.py: each project's URL and its local inventory."""
    folder = Path(docs_dir) / INVENTORY_DIR
    return {key: (url, str(folder / f"{key}.inv")) for key, (url, *_) in NAMES.items()}


def _external_package(target):
    top = target.lstrip("~.").split(".")[0]
    return top if top in NAMES else None


def resolve_or_warn(app, env, node, contnode):
    """Resolve an external name through the inventories, or warn that it is missing.

    Sphinx calls every ``missing-reference`` listener, intersphinx's included,
    whatever the others return, so this one asks intersphinx itself before
    deciding that a name such as ``sklearn.X`` is missing.
    """
    if node.get("refdomain") != "py" or not _external_package(node.get("reftarget", "")):
        return None
    from sphinx.ext.intersphinx import missing_reference

    resolved = missing_reference(app, env, node, contnode)
    if resolved is None:
        logger.warning(
            "%s is not in the local inventories; add it to NAMES in docs/sphinxext/local_inventories.py "
            "and rerun that script",
            node["reftarget"],
            location=node,
            type="local_inventories",
        )
    return resolved


def setup(app):
    app.setup_extension("sphinx.ext.intersphinx")
    app.connect("missing-reference", resolve_or_warn)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    docs = Path(__file__).resolve().parent.parent
    for written in write_inventories(docs / INVENTORY_DIR):
        print(f"wrote {written.relative_to(docs.parent)}")
