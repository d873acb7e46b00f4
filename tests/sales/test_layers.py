"""The sales plugin's layers: services are imported by the API and the pages, never the reverse
(issue 10 broke the cycle `api/documents` → `services/pdf` → `views/documents` → `api/documents`)."""

from __future__ import annotations

import ast
import pathlib

SERVICES = pathlib.Path(__file__).resolve().parents[2] / "plugins" / "sales" / "services"


def _imports(path: pathlib.Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_sales_service_imports_a_view_or_an_api_module():
    bad = {path.name: sorted(name for name in _imports(path)
                             if name.startswith(("payvand.plugins.sales.views", "payvand.plugins.sales.api")))
           for path in sorted(SERVICES.glob("*.py"))}
    assert {name: found for name, found in bad.items() if found} == {}
