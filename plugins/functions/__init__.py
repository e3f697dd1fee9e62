"""Tessera's built-in expression functions, registered like any third-party plugin."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from engine.extensions import Registry
from plugins.functions import (
    dates,
    logical,
    maths,
    record_context,
    records,
    text,
    user_context,
)

MODULES: tuple[ModuleType, ...] = (
    logical,
    text,
    maths,
    dates,
    record_context,
    user_context,
    records,
)


def library(module: ModuleType) -> list[Callable[..., Any]]:
    """The `@library_function`s defined in `module`, in the order they are written."""
    return [
        value
        for value in vars(module).values()
        if callable(value)
        and hasattr(value, "__tessera_function__")
        # Functions imported from a sibling module are registered by that module.
        and getattr(value, "__module__", None) == module.__name__
    ]


class TesseraFunctions:
    """The plugin object published under the `tessera.plugins` entry point."""

    def register(self, registry: Registry) -> None:
        """Add every built-in function to `registry`."""
        registry.add_functions(function for module in MODULES for function in library(module))


plugin = TesseraFunctions()

__all__ = ["MODULES", "TesseraFunctions", "library", "plugin"]
