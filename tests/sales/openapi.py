"""Shared by the sales OpenAPI tests: the schema of a test app whose path ids land on seeded rows."""

from __future__ import annotations

from typing import Any

import schemathesis


def seeded_schema(app: Any, seeded: int) -> Any:
    """The app's OpenAPI schema for schemathesis, mapping every generated path id onto 1..`seeded`
    (rows the test created), so cases reach real records rather than only 404s."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: Any) -> Any:
        if not isinstance(path_parameters, dict):
            return path_parameters
        return {k: v % seeded + 1 if isinstance(v, int) and not isinstance(v, bool) and 1 <= v < 2**63 else v
                for k, v in path_parameters.items()}

    return schema
