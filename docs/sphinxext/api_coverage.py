"""Warn when a public object of skcmim is missing from ``api.rst``.

A public object is a class or function named in the ``__all__`` of
``skcmim`` or of one of its public submodules.  It counts as documented when
an ``autosummary`` entry of ``api.rst`` names it, under any of its public
names (``skcmim.MIMTransformer`` documents
``skcmim.estimators.MIMTransformer``).  Constants are not checked.  Keys of
the ``api_coverage_skip`` setting (``{qualified name: reason}``) are exempt;
a key that names a module exempts everything in it.

With ``sphinx -W`` the warning fails the build, so a new public function
cannot land without an entry in the API reference.
"""

import importlib
import inspect
import pkgutil
import re

from sphinx.util import logging

logger = logging.getLogger(__name__)

_CURRENTMODULE = re.compile(r"^\.\.\s+currentmodule::\s*(\S+)\s*$")
_AUTOSUMMARY = re.compile(r"^\.\.\s+autosummary::")
_ENTRY = re.compile(r"^\s+(~?[A-Za-z_][\w.]*)\s*$")


def documented_names(text):
    """Fully qualified names listed in the autosummary blocks of ``text``."""
    names, module, in_block = set(), "", False
    for line in text.splitlines():
        match = _CURRENTMODULE.match(line)
        if match:
            module, in_block = match.group(1), False
            continue
        if _AUTOSUMMARY.match(line):
            in_block = True
            continue
        if in_block:
            if line.strip().startswith(":") or not line.strip():
                continue
            if not line.startswith((" ", "\t")):
                in_block = False
                continue
            entry = _ENTRY.match(line)
            if entry:
                name = entry.group(1).lstrip("~")
                names.add(name if name.startswith(module + ".") or not module else f"{module}.{name}")
    return names


def public_objects(package_name):
    """``{qualified name: object}`` for every class/function in an ``__all__``."""
    package = importlib.import_module(package_name)
    modules = [package]
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{package_name}.{info.name}"))
    found = {}
    for module in modules:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found[f"{module.__name__}.{name}"] = obj
    return found


def check_api_coverage(app):
    config = app.config
    api_file = app.srcdir / config.api_coverage_file
    documented = documented_names(api_file.read_text(encoding="utf-8"))
    objects = public_objects(config.api_coverage_package)
    documented_ids = {id(obj) for name, obj in objects.items() if name in documented}
    for name, obj in sorted(objects.items()):
        skipped = any(name == key or name.startswith(key + ".") for key in config.api_coverage_skip)
        if skipped or id(obj) in documented_ids:
            continue
        logger.warning(
            "public object %s (in __all__) is missing from %s; add it to an autosummary list there",
            name, config.api_coverage_file, type="api_coverage",
        )


def setup(app):
    app.add_config_value("api_coverage_package", "skcmim", "env")
    app.add_config_value("api_coverage_file", "api.rst", "env")
    app.add_config_value("api_coverage_skip", {}, "env")
    app.connect("builder-inited", check_api_coverage)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
