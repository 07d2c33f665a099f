"""A missing optional dependency is one ImportError that names the extra installing everything the feature needs."""

import subprocess
import sys

import pytest

from conftest import REPO

# A process in which importing the named modules fails, as on a machine without them.
_BLOCK = "import sys\nfor name in {names!r}:\n    sys.modules[name] = None\n"


def _run(names, code):
    return subprocess.run(
        [sys.executable, "-c", _BLOCK.format(names=names) + code], capture_output=True, text=True, timeout=300, cwd=REPO
    )


@pytest.mark.parametrize("missing", ["rdkit", "selfies"])
def test_molecules_without_their_extra_name_it_once(missing):
    code = (
        "from skcmim.molecules import to_selfies\n"
        "try:\n    to_selfies(['CCO'])\nexcept ImportError as exc:\n    print(exc)\n"
    )
    done = _run([missing, f"{missing}.Chem"], code)
    assert done.returncode == 0, done.stderr
    assert f"needs {missing}" in done.stdout and "pip install 'skcmim[molecules]'" in done.stdout
    assert "rdkit, selfies, datamol" in done.stdout


def test_plotting_without_matplotlib_names_the_plot_extra():
    code = (
        "import numpy as np\nfrom skcmim.plotting import plot_codes\n"
        "try:\n    plot_codes(np.zeros((3, 2)))\nexcept ImportError as exc:\n    print(exc)\n"
    )
    done = _run(["matplotlib", "matplotlib.pyplot"], code)
    assert done.returncode == 0, done.stderr
    assert "pip install 'skcmim[plot]'" in done.stdout
