"""The core's staff pages: one module per area, each exposing its Flask blueprint as `bp`."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint


def load_blueprints() -> list[Blueprint]:
    """The blueprint of every module in this package, in module-name order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        blueprint = getattr(module, "bp", None)
        if isinstance(blueprint, Blueprint):
            found.append(blueprint)
    return found
