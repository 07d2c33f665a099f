"""Warn when an object of skcmim is missing from its reference page.

An object counts when it is a class or function named in the ``__all__`` of
``skcmim`` or of one of its submodules.  Constants are not checked.  There
are two reference pages:

- ``api_coverage_file`` (``api.rst``), the public API: every object that a
  module of ``api_coverage_public_modules`` exports (``skcmim.MIMTransformer``,
  ``skcmim.plotting.plot_codes``...), unless the developer reference
  documents it (a helper that a public module exports for its own
  machinery, such as ``skcmim.distributed.DataParallel``).
- ``api_coverage_developer_file`` (``developer/internals.rst``), the
  developer reference: every other object (losses, networks, the training
  engine).  Listing one of these in the public API is a warning too, so the
  public page stays the user's view of the package.

An object counts as documented when an ``autosummary`` entry of the page
names it, under any of its names (``skcmim.MIMTransformer`` documents
``skcmim.estimators.MIMTransformer``).  Keys of the ``api_coverage_skip``
setting (``{qualified name: reason}``) are exempt; a key that names a module
exempts everything in it.

With ``sphinx -W`` the warnings fail the build, so a new function cannot
land without an entry in the right reference.
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


def _module_of(qualified_name):
    return qualified_name.rpartition(".")[0]


def coverage_problems(objects, public_modules, public_documented, developer_documented, skip=()):
    """Warning messages for objects missing from, or misplaced on, the two pages.

    Parameters
    ----------
    objects : dict
        ``{qualified name: object}``, as from :func:`public_objects`.
    public_modules : iterable of str
        Modules whose ``__all__`` is the public API.
    public_documented, developer_documented : set of str
        Qualified names listed on the public and the developer page.
    skip : iterable of str
        Exempt qualified names or modules.

    Returns
    -------
    list of str
    """
    public_modules = set(public_modules)
    public_ids = {id(obj) for name, obj in objects.items() if _module_of(name) in public_modules}

    def ids(documented):
        return {id(obj) for name, obj in objects.items() if name in documented}

    on_public, on_developer = ids(public_documented), ids(developer_documented)
    problems, reported = [], set()
    # shortest name first: report skcmim.load rather than skcmim.persistence.load
    for name, obj in sorted(objects.items(), key=lambda item: (len(item[0]), item[0])):
        if id(obj) in reported or any(name == key or name.startswith(key + ".") for key in skip):
            continue
        reported.add(id(obj))
        if id(obj) in public_ids:
            # a helper that a public module exports for its own machinery may
            # be documented for developers instead
            if id(obj) not in on_public | on_developer:
                problems.append(
                    f"public object {name} is missing from the API reference; add it to an autosummary list there"
                )
        elif id(obj) in on_public:
            problems.append(
                f"internal object {name} is listed in the API reference; move it to the developer reference"
            )
        elif id(obj) not in on_developer:
            problems.append(
                f"internal object {name} (in __all__) is missing from the developer reference; "
                "add it to an autosummary list there"
            )
    return problems


def check_api_coverage(app):
    config = app.config

    def documented(page):
        return documented_names((app.srcdir / page).read_text(encoding="utf-8"))

    problems = coverage_problems(
        public_objects(config.api_coverage_package),
        config.api_coverage_public_modules,
        documented(config.api_coverage_file),
        documented(config.api_coverage_developer_file),
        config.api_coverage_skip,
    )
    for problem in problems:
        logger.warning(
            "%s (%s, %s)", problem, config.api_coverage_file, config.api_coverage_developer_file, type="api_coverage"
        )


def setup(app):
    app.add_config_value("api_coverage_package", "skcmim", "env")
    app.add_config_value("api_coverage_file", "api.rst", "env")
    app.add_config_value("api_coverage_developer_file", "developer/internals.rst", "env")
    app.add_config_value("api_coverage_public_modules", [], "env")
    app.add_config_value("api_coverage_skip", {}, "env")
    app.connect("builder-inited", check_api_coverage)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}
