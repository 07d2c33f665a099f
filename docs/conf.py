"""Sphinx configuration of the skcmim documentation.

Build (from the repository root)::

    pip install -e ".[docs,molecules]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Generated and gitignored: ``gen_modules/`` (API stubs, example
back-references), ``auto_examples/`` (the executed example gallery) and
``_build/``.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))
# Document the checkout being built, even when another skcmim is installed.
sys.path.insert(0, str(DOCS.parent))

# The gallery's examples run inside this process.  Their models and matrices
# are small: one thread is about as fast, while on a machine shared with
# other jobs, pools of torch and BLAS threads waiting for busy cores make them
# many times slower (the logistic regression on informative embeddings of
# plot_informative.py: 19 s of CPU with two OpenBLAS threads, 0.7 s with one).
# The variables reach libraries loaded from here on; threadpool_limits below
# reaches those already loaded.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
# matplotlib must not try to open windows on the machine that builds the docs.
os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402
from local_inventories import intersphinx_mapping as local_intersphinx_mapping  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402  (a scikit-learn dependency)

import skcmim  # noqa: E402  (after the path set-up above)

torch.set_num_threads(1)
threadpool_limits(1)

# -- Project -----------------------------------------------------------------
project = "skcmim"
author = "skcmim developers"
copyright = "skcmim developers"  # noqa: A001  (a Sphinx setting)
version = release = skcmim.__version__

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "md_tables",
    "api_coverage",
    "local_inventories",
]

templates_path = ["_templates"]
# examples/ holds the gallery sources; sphinx-gallery turns them into auto_examples/.
exclude_patterns = ["_build", "_templates", "sphinxext", "examples", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"

# -- API reference (autosummary + numpydoc) -----------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
# An override without a docstring of its own (MIMNet.get_loss, ...) is left
# out rather than shown with the generic docstring of the skorch/torch parent.
autodoc_inherit_docstrings = False
# numpydoc renders Parameters/Returns/Attributes; the class templates list the
# methods themselves, so numpydoc's own member table would repeat them.
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Links to other projects (sphinxext/local_inventories.py) ------------------
# The inventories are committed files, so the build needs no network; the
# links lead to each project's online documentation.
intersphinx_mapping = local_intersphinx_mapping(DOCS)

# -- Example gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("skcmim",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skcmim": None},
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "default_thumb_file": None,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skcmim {release}"
html_short_title = "skcmim"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "logo": {"text": "skcmim"},
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # Example pages give the width to their code and figures instead.
    # (patterns must not overlap: "*" does not match across "/").
    "secondary_sidebar_items": {
        "*": ["page-toc"],
        "gen_modules/*": ["page-toc"],
        "auto_examples/*": [],
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {
    # Pages without sub-pages have nothing to show in the left sidebar.
    "index": [],
    "getting_started": [],
    "user_guide": [],
    "benchmarks": [],
    "reliability": [],
    "citing": [],
    "changelog": [],
}


# -- API coverage check (sphinxext/api_coverage.py) ---------------------------
# Every class and function that these modules export must appear in api.rst,
# unless the developer reference documents it (a helper that a public module
# exports for its own machinery); those of the other modules (training,
# networks, losses, persistence, device) in the developer reference, and not
# in api.rst.
api_coverage_public_modules = [
    "skcmim",
    "skcmim.baselines",
    "skcmim.datasets",
    "skcmim.distributed",
    "skcmim.exceptions",
    "skcmim.generation_metrics",
    "skcmim.gru",
    "skcmim.inputs",
    "skcmim.metrics",
    "skcmim.model_selection",
    "skcmim.molecules",
    "skcmim.plotting",
    "skcmim.pretrained",
    "skcmim.streaming",
]
api_coverage_developer_file = "developer/internals.rst"
api_coverage_skip = {
    "skcmim.estimators.BaseRepresentation": "abstract base; its methods are documented on each estimator",
    "skcmim.estimators.BaseEncoderDecoder": "abstract base; its methods are documented on each estimator",
    "skcmim.estimators.BaseLatentEncoderDecoder": "abstract base; its methods are documented on each estimator",
    "skcmim.estimators.BaseContrastiveEncoderDecoder": "abstract base; its methods are documented on each estimator",
}
