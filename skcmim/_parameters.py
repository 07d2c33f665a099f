"""Estimator parameters, each declared once: default, constraint and documentation together.

An estimator (or an input kind, :mod:`skcmim.inputs`) declares each of its
parameters as a class attribute made by :func:`param`, in the class that
introduces it; subclasses inherit it.  :func:`parameters` turns such a class
into a dataclass whose generated ``__init__`` stores the arguments and
nothing else (scikit-learn reads the parameters from its signature), builds
``_parameter_constraints`` from the declarations and writes the numpydoc
"Parameters" section of the class docstring from their documentation.  A
subclass that needs another default declares the parameter again with
:func:`param`.

Parameter validation is scikit-learn's (``check_param_validation`` in its
estimator checks needs its constraint objects); this module is the one
place that imports that private part of scikit-learn.
"""

from __future__ import annotations

import dataclasses
import inspect
import textwrap
from numbers import Integral
from typing import Any, TypeVar

from sklearn.utils._param_validation import (  # the one seam to scikit-learn's parameter validation
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = ["DEPRECATED", "Interval", "StrOptions", "param", "parameters", "validate_parameters"]

_Class = TypeVar("_Class", bound=type)

#: Default of a parameter kept for one release under an old name: unset unless a user passes it.
DEPRECATED = "deprecated"


def param(
    default: Any, constraints: list[Any], type_text: str, doc: str, *, positional: bool = False, refit: bool = True
) -> Any:
    """Declare one estimator parameter.

    Parameters
    ----------
    default : object
        The default value; immutable (tuples, not lists).
    constraints : list
        scikit-learn parameter constraints (``Interval``, ``StrOptions``,
        types, ``"boolean"``...).  An ``Interval`` of integers refuses
        ``True`` and ``False`` as well.
    type_text : str
        The numpydoc type, without the default (``"int"``, ``'{"z", "mu"}'``).
    doc : str
        The description, in reST.
    positional : bool, default=False
        Whether the parameter may be passed by position (only the first
        one, ``n_components``, is).
    refit : bool, default=True
        Whether a fitted model keeps the value it was fitted with until it
        is fitted again (True), or a new value takes effect at once (False:
        options of ``transform`` such as ``informative``).
    """
    metadata = {"constraints": constraints, "type_text": type_text, "doc": doc, "refit": refit}
    return dataclasses.field(default=default, kw_only=not positional, metadata=metadata)


def parameters(cls: _Class) -> _Class:
    """Class decorator: the parameters declared with :func:`param` become ``__init__``'s.

    The class becomes a dataclass without ``__repr__`` and ``__eq__`` (the
    estimator's own stay), its ``_parameter_constraints`` and
    ``_runtime_parameters`` come from the declarations, and its docstring
    gets a "Parameters" section after its introduction, followed by its
    own "Attributes" section or else the ``_attributes_doc`` of the
    nearest class that has one (attributes shared by a family of classes,
    written once).
    """
    target: Any = dataclasses.dataclass(kw_only=True, repr=False, eq=False)(cls)
    fields = dataclasses.fields(target)
    target._parameter_constraints = {field.name: field.metadata["constraints"] for field in fields}
    target._runtime_parameters = frozenset(field.name for field in fields if not field.metadata["refit"])
    if target.__doc__:
        target.__doc__ = _composed_docstring(
            inspect.cleandoc(target.__doc__), fields, getattr(target, "_attributes_doc", "")
        )
    return target


_SECTIONS = ("Attributes", "See Also", "Notes", "References", "Examples")


def _default_text(value):
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _parameters_section(fields):
    lines = ["Parameters", "----------"]
    # parameters kept under an old name for one release come last
    for field in sorted(fields, key=lambda field: field.default == DEPRECATED):
        lines.append(f"{field.name} : {field.metadata['type_text']}, default={_default_text(field.default)}")
        lines.extend(
            textwrap.wrap(
                field.metadata["doc"], width=76, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False
            )
        )
    return "\n".join(lines)


def _split_sections(doc):
    """``(introduction, {title: section text})`` of a cleaned numpydoc docstring."""
    lines = doc.splitlines()
    starts = [i for i in range(len(lines) - 1) if lines[i].strip() in _SECTIONS and set(lines[i + 1].strip()) == {"-"}]
    intro = "\n".join(lines[: starts[0]] if starts else lines).rstrip()
    bounds = [*starts, len(lines)]
    sections = {lines[a].strip(): "\n".join(lines[a:b]).rstrip() for a, b in zip(bounds, bounds[1:])}
    return intro, sections


def _composed_docstring(doc, fields, shared_attributes):
    intro, sections = _split_sections(doc)
    if "Attributes" not in sections and shared_attributes:
        sections["Attributes"] = inspect.cleandoc(shared_attributes)
    parts = [intro, _parameters_section(fields), *(sections[title] for title in _SECTIONS if title in sections)]
    return "\n\n".join(parts) + "\n"


def _integer_constrained(constraints):
    return any(isinstance(constraint, Interval) and constraint.type is Integral for constraint in constraints)


def validate_parameters(estimator: Any) -> None:
    """Check every parameter of ``estimator`` against its declared constraints.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` and a ``TypeError`` that names the parameter, the
        estimator and what it must be.
    """
    values = estimator.get_params(deep=False)
    constraints = estimator._parameter_constraints
    validate_parameter_constraints(constraints, values, caller_name=type(estimator).__name__)
    for name, value in values.items():
        if isinstance(value, bool) and _integer_constrained(constraints.get(name, [])):
            allowed = [c for c in constraints[name] if isinstance(c, Interval) and c.type is Integral]
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be {allowed[0]}. Got {value!r} "
                f"instead; a bool is not a number of anything."
            )
