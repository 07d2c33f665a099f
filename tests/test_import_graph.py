"""The package's modules import each other without a circle.

Every ``import`` of a skcmim module counts, at module level or inside a
function (a lazy import hides a circle at import time but not in the
design), so the test reads the sources; a fresh interpreter then imports
every module to show that each one loads.
"""

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import skcmim

PACKAGE = Path(skcmim.__file__).parent


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported_modules(name, path):
    """The skcmim modules that module ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "skcmim")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base.split(".")[0] != "skcmim":
                continue
            for alias in node.names:  # `from . import molecules` imports a module, not a name
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    found.discard(name)
    return found


def test_no_import_circle_between_skcmim_modules():
    graph = {name: _imported_modules(name, path) for name, path in MODULES.items()}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
    assert set(order) >= set(MODULES)
    assert "skcmim.estimators" in graph["skcmim.baselines"]  # the reader sees real edges


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(name for name in MODULES if not name.endswith("__main__"))
    code = f"import importlib\nfor name in {names!r}:\n    importlib.import_module(name)\nprint('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=PACKAGE.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_molecule_workers_and_the_package_import_without_torch_or_scikit_learn():
    # n_jobs workers unpickle skcmim._molecule_rows._strings_of_chunk: they import the package and that module
    # only, and start in a fraction of a second when neither brings torch (2 s) or scikit-learn (1 s)
    code = (
        "import sys, skcmim, skcmim._molecule_rows\n"
        "print(sorted(name for name in ('torch', 'sklearn', 'skorch') if name in sys.modules))\n"
        "print(skcmim.CMIMTransformer.__module__, 'torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=PACKAGE.parent
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "skcmim.estimators True"]
