"""Optional dependencies: imported where a feature needs them, with one message that names the extra.

skcmim's extras group them by what they serve (``pyproject.toml``):
molecules (RDKit, SELFIES, datamol) and plotting (matplotlib).  A missing
one raises a single ImportError that says which extra installs everything
the feature needs, so a user meets one error, not one per package.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRAS", "import_optional", "missing_extra_message"]

#: Each extra and the modules it installs (as imported), as in ``pyproject.toml``.
EXTRAS = {"molecules": ("rdkit", "selfies", "datamol"), "plot": ("matplotlib",)}


def missing_extra_message(module: str, purpose: str) -> str:
    """What to tell a user whose ``purpose`` needs ``module``, which is not installed."""
    extra = next((name for name, modules in EXTRAS.items() if module.split(".")[0] in modules), None)
    if extra is None:
        return f"{purpose} needs {module}: pip install {module}"
    packages = ", ".join(EXTRAS[extra])
    return (
        f"{purpose} needs {module}, one of the packages of skcmim's '{extra}' extra ({packages}); install "
        f"them all at once with: pip install 'skcmim[{extra}]'"
    )


def import_optional(module: str, purpose: str) -> ModuleType:
    """``importlib.import_module(module)``, or an ImportError naming the extra that installs it.

    Parameters
    ----------
    module : str
        The module to import (``"rdkit.Chem"``, ``"selfies"``...).
    purpose : str
        What needs it, for the message ("Molecular (SMILES) input").
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(missing_extra_message(module, purpose)) from exc
