"""Order of the examples in the gallery: the reading order, not the alphabet."""

#: File names in the order a new user should read them; others follow by name.
EXAMPLE_ORDER = [
    "plot_pipeline.py",
    "plot_grid_search.py",
    "plot_mim_cmim_pca.py",
    "plot_informative.py",
    "plot_generate.py",
    "plot_save_load.py",
    "plot_molecules_freesolv.py",
    "plot_molecules_sampling.py",
]


class ExampleOrder:
    """sphinx-gallery ``within_subsection_order`` key built from EXAMPLE_ORDER."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = str(filename)
        rank = EXAMPLE_ORDER.index(name) if name in EXAMPLE_ORDER else len(EXAMPLE_ORDER)
        return rank, name

    def __repr__(self):
        # sphinx-gallery hashes the configuration through repr()
        return f"<{type(self).__name__}>"
