"""Warnings that point at the user's code.

A warning raised deep inside skcmim (a tokenizer, an input object) with a
fixed ``stacklevel`` points at whichever skcmim line happens to call it.
:func:`find_stack_level` counts the frames up to the first one outside
skcmim and the libraries that call its methods (scikit-learn's pipelines,
search and cross-validation, skorch, joblib, and torch, whose modules call
skcmim's ``forward``), so the warning names the
user's line, and Python's default filter shows it once for that line rather
than once per cross-validation fold.
"""

import importlib.util
import inspect
import os

__all__ = ["find_stack_level"]


def _package_dirs():
    dirs = [os.path.dirname(os.path.abspath(__file__))]
    for name in ("sklearn", "skorch", "joblib", "torch"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            dirs.append(os.path.dirname(os.path.abspath(spec.origin)))
    return tuple(directory + os.sep for directory in dirs)


_PACKAGE_DIRS = _package_dirs()


def find_stack_level():
    """The ``stacklevel`` of the first caller outside skcmim, for ``warnings.warn``."""
    frame = inspect.currentframe()
    level = 0
    try:
        while frame is not None:
            filename = os.path.abspath(frame.f_code.co_filename)
            if level > 0 and not filename.startswith(_PACKAGE_DIRS):
                return level
            frame = frame.f_back
            level += 1
        return level
    finally:
        del frame
