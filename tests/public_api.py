"""The public API as the tests see it: public modules and the callables their ``__all__`` lists name.

Public: ``fairshare`` and every module under it whose dotted path has no component starting with
``_`` (so neither the kernels nor ``__main__``). Shared by the docstring, doctest and layout tests.
"""

import importlib
import inspect
import pkgutil

import fairshare

__all__ = ["public_modules", "public_callables", "is_function_or_class"]


def public_modules():
    """``fairshare`` and every module under it whose dotted path has no component starting with ``_``."""
    modules = [fairshare]
    for info in pkgutil.walk_packages(fairshare.__path__, prefix="fairshare.", onerror=_raise):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _raise(name):
    raise ImportError(f"cannot import {name} while walking fairshare")


def public_callables():
    """Every fairshare function or class named in a public ``__all__``, once each, with the first name found."""
    found = {}
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not is_function_or_class(obj):
                continue  # a constant, a module, or an instance (its class is checked where it is exported)
            if not getattr(obj, "__module__", "").startswith("fairshare"):
                continue  # a re-exported third-party object
            found.setdefault(id(obj), (f"{module.__name__}.{name}", obj))
    return sorted(found.values(), key=lambda item: item[0])


def is_function_or_class(obj):
    """True for a class, a function or a numba-compiled function (a dispatcher wrapping ``py_func``)."""
    return inspect.isclass(obj) or inspect.isroutine(obj) or inspect.isfunction(getattr(obj, "py_func", None))
