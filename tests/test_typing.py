"""The public API is annotated (issue 16): every public function and method
of the public modules has annotated parameters and return type.  The
annotations are checked for consistency by mypy in .ci/run."""

import importlib
import inspect

import pytest

PUBLIC_MODULES = [
    "skcmim",
    "skcmim.baselines",
    "skcmim.datasets",
    "skcmim.distributed",
    "skcmim.molecules",
    "skcmim.persistence",
    "skcmim.plotting",
    "skcmim.streaming",
]


def _public_callables():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj
            elif inspect.isclass(obj) and obj.__module__.startswith("skcmim"):
                for attribute, member in vars(obj).items():
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    function = member.fget if isinstance(member, property) else member
                    function = getattr(function, "__func__", function)  # classmethods, staticmethods
                    if inspect.isfunction(function):
                        yield f"{module_name}.{name}.{attribute}", function
                for base in obj.__mro__[1:]:  # public methods inherited from skcmim's own bases
                    if base.__module__.startswith("skcmim"):
                        for attribute, member in vars(base).items():
                            if not attribute.startswith("_") and inspect.isfunction(member):
                                yield f"{base.__module__}.{base.__name__}.{attribute}", member


def _unannotated(function):
    signature = inspect.signature(function)
    missing = [
        name
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls")
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


CALLABLES = dict(_public_callables())


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_public_callable_is_annotated(name):
    assert not _unannotated(CALLABLES[name]), f"{name}: not annotated: {_unannotated(CALLABLES[name])}"
