"""What makes the OpenAPI document good for client generators: stable operation ids and binary bodies.

Generators name a client's functions after `operationId`; without one they invent names from
the method and path (`post_api_v1_customers`). The kernel derives one for every operation of
the core and of every plugin from its path and method — `<plugin>_<resource>_<verb>`, e.g.
`sales_deals_list`, `sales_deals_get`, `sales_deals_move`, `customers_create` — so the names
are the same on every run and every machine. A route may choose its own with
`@blp.doc(operationId="...")`; the kernel keeps it.

A binary answer (a PDF) is documented under its own media type *and* under
`application/octet-stream` (`type: string, format: binary` for both): generators such as
openapi-python-client understand the latter and give the client a bytes response instead of
skipping it. A client that asks for `Accept: application/octet-stream` gets exactly that
content type (the same bytes).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, request

OCTET_STREAM = "application/octet-stream"
_METHODS = ("get", "put", "post", "patch", "delete")
_ITEM_VERBS = {"get": "get", "put": "replace", "patch": "update", "delete": "delete", "post": "create"}
_COLLECTION_VERBS = {"get": "list", "post": "create", "put": "replace", "patch": "update", "delete": "delete"}
_PARAMETER = re.compile(r"^\{.*\}$|^<.*>$")


def _plural(word: str) -> bool:
    """A rough English plural test, good for resource names (`deals`, `prices`, not `status`)."""
    return word.endswith("s") and not word.endswith(("ss", "us", "is"))


def operation_id(path: str, method: str, prefix: str = "/api/v1") -> str:
    """The operation id the kernel gives `method` on `path` (see the module docstring).

    The words of the path (parameters left out, `-` as `_`) name the resource; the verb is
    `list`/`create` on a collection, `get`/`update`/`replace`/`delete` on an item, and for a
    singular last word after an item (an action such as `/deals/{id}/move`) the word itself
    for POST and `get` for GET.
    """
    method = method.lower()
    trimmed = path.removeprefix(prefix)
    segments = [s for s in trimmed.strip("/").split("/") if s]
    words = [re.sub(r"[^0-9a-zA-Z_]", "_", s).lower() for s in segments if not _PARAMETER.match(s)]
    if not words:
        return method
    if segments and _PARAMETER.match(segments[-1]):
        verb = _ITEM_VERBS.get(method, method)
    elif _plural(words[-1]):
        verb = _COLLECTION_VERBS.get(method, method)
    elif method == "post":
        verb = ""  # an action: the last word is the verb (`sales_deals_move`)
    else:
        verb = _ITEM_VERBS.get(method, method)
    return "_".join([*words, verb] if verb else words)


class OperationIdPlugin(BasePlugin):
    """apispec plugin: a stable, unique `operationId` on every operation, and generator-friendly
    binary responses (see the module docstring)."""

    def __init__(self) -> None:
        self._taken: dict[str, tuple[str, str]] = {}

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        """Name each operation of `path` and document its binary answers for generators."""
        for method, operation in (operations or {}).items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            if not operation.get("operationId"):
                operation["operationId"] = self._unique(operation_id(path or "", method), path or "", method)
            else:
                self._taken.setdefault(operation["operationId"], (path or "", method))
            for response in (operation.get("responses") or {}).values():
                if isinstance(response, dict):
                    _add_octet_stream(response)

    def _unique(self, candidate: str, path: str, method: str) -> str:
        """`candidate`, or — when another operation has it — the same with the path's parameters."""
        owner = self._taken.get(candidate)
        if owner is None or owner == (path, method):
            self._taken[candidate] = (path, method)
            return candidate
        parameters = [re.sub(r"\W", "", s) for s in path.split("/") if _PARAMETER.match(s)]
        name = "_".join([candidate, "by", *parameters]) if parameters else f"{candidate}_{method}"
        number = 2
        unique = name
        while unique in self._taken:
            unique, number = f"{name}_{number}", number + 1
        self._taken[unique] = (path, method)
        return unique


def _is_binary(media: Any) -> bool:
    schema = media.get("schema") if isinstance(media, dict) else None
    return isinstance(schema, dict) and schema.get("type") == "string" and schema.get("format") == "binary"


def _add_octet_stream(response: dict[str, Any]) -> None:
    """Document a binary answer under `application/octet-stream` too (same schema)."""
    content = response.get("content")
    if not isinstance(content, dict) or OCTET_STREAM in content:
        return
    for media_type, media in list(content.items()):
        if media_type != OCTET_STREAM and _is_binary(media):
            content[OCTET_STREAM] = {"schema": dict(media["schema"])}
            return


def octet_stream_on_request(response: Response) -> Response:
    """After an API request: a binary answer is labelled `application/octet-stream` when the
    client prefers that to the answer's own type (what the document promises)."""
    mimetype = response.mimetype or ""
    if (not request.path.startswith("/api/") or mimetype.startswith(("application/json", "text/"))
            or mimetype in ("", OCTET_STREAM) or mimetype.endswith("+json")):
        return response
    accept = request.accept_mimetypes
    if accept.provided and accept.best_match([mimetype, OCTET_STREAM], default=mimetype) == OCTET_STREAM \
            and accept.quality(OCTET_STREAM) > accept.quality(mimetype):
        response.headers["Content-Type"] = OCTET_STREAM
    return response


def init_operations(app: Flask) -> None:
    """Serve binary answers as `application/octet-stream` to clients that ask for it."""
    app.after_request(octet_stream_on_request)
