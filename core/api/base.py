"""The API object (flask-smorest, OpenAPI 3.1) and helpers shared by every API blueprint."""

from __future__ import annotations

import copy
import dataclasses
import functools
import http
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from apispec import BasePlugin
from flask import Flask, Response, current_app, g, request
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import Schema
from werkzeug.routing import IntegerConverter

from payvand.core.actor import Actor
from payvand.core.api import API_PREFIX
from payvand.core.api.errors import ApiError, ErrorOut
from payvand.core.api.json_depth import refuse_deep_json
from payvand.core.db import MAX_ID

F = TypeVar("F", bound=Callable[..., Any])


#: Blueprints of the core API; any other API blueprint belongs to a plugin.
CORE_BLUEPRINTS = frozenset({"customers", "interactions", "plugins"})

_WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_BODY_ERRORS = (400, 413, 415, 422)


#: Flask registers API blueprints as `api_<name>`: see `Api.register_blueprint`.
API_BLUEPRINT_PREFIX = "api_"


@dataclasses.dataclass
class DocumentParts:
    """What one plugin's API blueprints added to the OpenAPI document."""

    operations: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    schemas: set[str] = dataclasses.field(default_factory=set)
    tags: set[str] = dataclasses.field(default_factory=set)


class Api(SmorestApi):
    """flask-smorest's Api with Payvand's error format, in behaviour and in the OpenAPI document.

    flask-smorest installs an app-wide HTTP error handler; staff and portal pages must keep
    their own error pages, so anything outside the API is handed back to Flask. Error
    responses are documented per operation (see `ErrorResponsesPlugin`) instead of a
    catch-all `default`, so the document says which statuses each route can answer.

    The routes of every installed plugin are registered at start, enabled or not (see
    `payvand.core.plugin_routes`); the document served at `/api/v1/openapi.json` leaves out
    what the plugins inactive in this process added (`document`).
    """

    ERROR_SCHEMA = ErrorOut
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._owned: dict[str, DocumentParts] = {}
        self._documents: dict[frozenset[str], dict[str, Any]] = {}
        self._undocumented: list[tuple[Any, str, Any, str | None]] = []
        self._documenting = False
        self._pending: list[Callable[[], None]] = []  # components registered on the first read
        self._building = True  # while the app is built, `spec` is read without documenting
        self._lock = threading.RLock()
        self._spec: Any = None
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> Any:
        """The apispec document, the blueprints registered so far documented in it first."""
        if (self._undocumented or self._pending) and not self._building:
            self._document_registered()
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = value

    def defer(self, register: Callable[[], None]) -> None:
        """Run `register` (adding components to the document) when the document is first read."""
        with self._lock:
            self._pending.append(register)
            self._documents.clear()

    def built(self) -> None:
        """The app is built: from now on reading `spec` documents what was registered."""
        self._building = False

    def _register_responses(self) -> None:
        """Register the default responses when the document is first read, not when the app is built.

        flask-smorest resolves its error schema once per HTTP status here (a third of building
        an app that never serves its document).
        """
        self.defer(super()._register_responses)

    @property
    def owned(self) -> dict[str, DocumentParts]:
        """What each plugin's API blueprints added to the document, by plugin name."""
        if self._undocumented or self._pending:
            self._document_registered()
        return self._owned

    def register_blueprint(self, blp: Any, *, parameters: Any = None, owner: str | None = None,
                           **options: Any) -> None:
        """Register an API blueprint under the Flask name `api_<name>`, documented under the tag `<name>`.

        The prefix leaves the plain name (`customers`) to the staff UI's blueprint of the same
        area; the OpenAPI tag stays the plain name. `owner` names the plugin serving it: what
        the blueprint adds to the document is left out while that plugin is inactive.

        The routes are registered at once; the blueprint is documented when the document is
        first read (`spec`, `owned`, `document`), in the order of registration. Documenting is
        most of the time it takes to build an app, and most apps (a CLI command, a worker, a
        test's app) never serve the document.
        """
        flask_name = options.setdefault("name", f"{API_BLUEPRINT_PREFIX}{blp.name}")
        self._app.extensions["flask-smorest"]["blp_name_to_api"][flask_name] = self
        self._app.register_blueprint(blp, **options)
        with self._lock:
            self._undocumented.append((blp, flask_name, parameters, owner))
            self._documents.clear()

    def _document_registered(self) -> None:
        """Document the blueprints registered since the document was last read (once, under a lock)."""
        with self._lock:
            if self._documenting:  # the same thread, reading `spec` while documenting
                return
            self._documenting = True
            try:
                while self._pending:
                    self._pending.pop(0)()
                while self._undocumented:
                    self._document_blueprint(*self._undocumented[0])
                    self._undocumented.pop(0)
            finally:
                self._documenting = False

    def _document_blueprint(self, blp: Any, flask_name: str, parameters: Any, owner: str | None) -> None:
        """Add one registered blueprint's operations, schemas and tag to the document."""
        operations, schemas = self._operations(), set(self.spec.components.schemas)
        blp.register_views_in_doc(self, self._app, self.spec, name=flask_name, parameters=parameters)
        for path_operations in self.spec._paths.values():  # apispec keeps no public way to retag
            for operation in path_operations.values():
                if isinstance(operation, dict) and operation.get("tags") == [flask_name]:
                    operation["tags"] = [blp.name]
        self.spec.tag({"name": blp.name, "description": blp.description})
        if owner is not None:
            parts = self._owned.setdefault(owner, DocumentParts())
            parts.operations |= self._operations() - operations
            parts.schemas |= set(self.spec.components.schemas) - schemas
            parts.tags.add(blp.name)

    def _operations(self) -> set[tuple[str, str]]:
        return {(path, method) for path, operations in self.spec._paths.items()
                for method in operations if method in _HTTP_METHODS}

    def document(self, hidden: Iterable[str] = ()) -> dict[str, Any]:
        """The OpenAPI document without what the plugins in `hidden` added (a shared copy: do not change it).

        Their operations go, then paths left without one, their tags no remaining operation
        uses, and their component schemas nothing left refers to. Made once per set.
        """
        with self._lock:
            key = frozenset(hidden) & frozenset(self.owned)
            document = self._documents.get(key)
            if document is None:
                document = self._documents[key] = self._without(key)
            return document

    def _without(self, hidden: frozenset[str]) -> dict[str, Any]:
        document: dict[str, Any] = copy.deepcopy(self.spec.to_dict())  # to_dict hands out apispec's own dicts
        if not hidden:
            return document
        parts = [self.owned[name] for name in hidden]
        paths = document.get("paths", {})
        for path, method in set().union(*(p.operations for p in parts)):
            operations = paths.get(path, {})
            operations.pop(method, None)
            if not any(key in _HTTP_METHODS for key in operations):
                paths.pop(path, None)
        used = {tag for operations in paths.values() for key, operation in operations.items()
                if key in _HTTP_METHODS for tag in operation.get("tags", [])}
        hidden_tags = set().union(*(p.tags for p in parts)) - used
        if "tags" in document:
            document["tags"] = [tag for tag in document["tags"] if tag.get("name") not in hidden_tags]
        schemas = document.get("components", {}).get("schemas", {})
        unused = set().union(*(p.schemas for p in parts)) - _referenced_schemas(document)
        for name in unused:
            schemas.pop(name, None)
        return document

    def _openapi_json(self) -> Response:
        """Serve the document of this process's active plugins (flask-smorest's route calls this)."""
        from flask import json as flask_json

        active = set(current_app.extensions["payvand"].plugins.enabled)
        document = self.document(set(self.owned) - active)
        return current_app.response_class(flask_json.dumps(document, indent=2, sort_keys=False),
                                          mimetype="application/json")

    def handle_http_exception(self, error: Any) -> Any:
        from payvand.core.api.errors import from_http_exception

        if not request.path.startswith("/api/"):
            return error
        return from_http_exception(error)


class ApiBlueprint(SmorestBlueprint):
    """A blueprint of API routes, mounted under `/api/v1` and documented in OpenAPI.

    Every request body and query string is checked for text no database can store (NUL
    characters, lone surrogates) before any route sees it, answering 422 with the field: a
    plugin's schema need not remember to (PostgreSQL would otherwise fail at the INSERT).
    Before that, a JSON body nested deeper than `json_depth.MAX_JSON_DEPTH` is refused with
    400 without being parsed.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(refuse_deep_json)
        self.before_request(_refuse_unstorable_text)


def _refuse_unstorable_text() -> None:
    """Answer 422 when the JSON body or the query string holds text no database can store."""
    from flask import request

    from payvand.core.schemas import unstorable_fields

    errors: dict[str, Any] = {}
    if request.is_json and (body := request.get_json(silent=True)) is not None:
        errors.update(unstorable_fields(body))
    query = {key: values[0] if len(values) == 1 else values for key, values in request.args.lists()}
    errors.update(unstorable_fields(query))
    if errors:  # the same shape as a schema's 422: {"field": [messages]}
        raise ApiError(422, "The request has invalid fields.", fields=errors)


def _referenced_schemas(document: dict[str, Any]) -> set[str]:
    """The component schemas `document` refers to from outside them, directly or through others."""
    prefix = "#/components/schemas/"
    schemas = document.get("components", {}).get("schemas", {})

    def refs(node: Any) -> set[str]:
        found: set[str] = set()
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                ref = item.get("$ref")
                if isinstance(ref, str) and ref.startswith(prefix):
                    found.add(ref[len(prefix):])
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return found

    outside = {key: value for key, value in document.items() if key != "components"}
    outside["components"] = {key: value for key, value in document.get("components", {}).items() if key != "schemas"}
    reached = refs(outside)
    pending = list(reached)
    while pending:
        for name in refs(schemas.get(pending.pop(), {})) - reached:
            reached.add(name)
            pending.append(name)
    return reached


def _response_name(status: int) -> str:
    return http.HTTPStatus(status).name


class ErrorResponsesPlugin(BasePlugin):
    """apispec plugin documenting the error answers of every operation, plugins' included.

    Every operation can answer 401 (no or bad token) and 403 (missing permission or scope);
    one with path parameters, or served by a plugin (which may be disabled), 404; one taking
    a JSON body 400 (malformed JSON), 413 (too large), 415 (not JSON) and 422 (invalid
    fields); one with query parameters 400 (bad cursor) and 422; one with header parameters
    400 (malformed header); a plugin's write 409 (the core's routes document their conflicts
    themselves, with `alt_response`). A status an operation documents itself keeps its
    description, and an error response documented without a body gets the error envelope.
    """

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        """Add the error responses to each operation of `path`."""
        rule = kwargs.get("rule")
        blueprint = (getattr(rule, "endpoint", "") or "").split(".")[0]
        for method, operation in (operations or {}).items():
            if method.startswith("x-") or not isinstance(operation, dict):
                continue
            codes = {401, 403}
            if "{" in (path or "") or blueprint not in CORE_BLUEPRINTS:
                codes.add(404)
            if "requestBody" in operation:
                codes.update(_BODY_ERRORS)
            locations = {p.get("in") for p in operation.get("parameters", []) if isinstance(p, dict)}
            if "query" in locations:
                codes.update((400, 422))
            if "header" in locations:
                codes.add(400)
            if method in _WRITE_METHODS and blueprint not in CORE_BLUEPRINTS:
                codes.add(409)
            responses = operation.setdefault("responses", {})
            present = {str(code) for code in responses}
            for code in sorted(codes):
                if str(code) not in present:
                    responses[code] = _response_name(code)
            for code, response in responses.items():
                if str(code).startswith("4") and isinstance(response, dict) and "content" not in response:
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def integer_path_schema(converter: IntegerConverter) -> dict[str, Any]:
    """An `<int:...>` path parameter: a database id, 1 to 2^63 - 1 (other values are 404)."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]}


def json_body(schema: type[Schema] | Schema, example: dict[str, Any] | None = None,
              description: str | None = None) -> dict[str, Any]:
    """The OpenAPI `requestBody` of a route reading a JSON object with `schema` (see `load_json`)."""
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    body: dict[str, Any] = {"required": True, "content": {"application/json": media}}
    if description:
        body["description"] = description
    return body


def api_actor() -> Actor:
    """The actor of the current API request (its token); 401 when the request has none."""
    found = g.get("payvand_actor")
    if found is None:
        raise ApiError(401, "Authentication required: send 'Authorization: Bearer <token>'.")
    return found


def require(permission: str) -> Callable[[F], F]:
    """Decorate a view so it answers 403 unless the caller holds `permission`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not api_actor().can(permission):
                raise ApiError(403, f"You lack the permission {permission!r}.", fields={"permission": [permission]})
            return view(*args, **kwargs)

        wrapper.__payvand_permission__ = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def runtime() -> Any:
    """The Runtime of the current app."""
    return current_app.extensions["payvand"]


def init_api(app: Flask) -> Api:
    """Create the API object for `app` with Payvand's OpenAPI settings."""
    app.config.setdefault("API_TITLE", "Payvand API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Payvand's REST API. Authenticate with `Authorization: Bearer <token>`. "
                                "Errors are always `{\"error\": {\"code\", \"message\", \"fields\"}}`."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    })
    from payvand.core.api.operations import OperationIdPlugin, init_operations
    from payvand.core.idempotency import IdempotencyKeyPlugin

    api = Api(app, spec_kwargs={"extra_plugins": [IdempotencyKeyPlugin(), ErrorResponsesPlugin(), OperationIdPlugin()]})
    api.spec.options = copy.deepcopy(api.spec.options)  # `to_dict` merges the document into it: keep the config's clean
    init_operations(app)
    api.register_converter(IntegerConverter, integer_path_schema)
    from payvand.core.schemas import REFERENCED_SCHEMAS

    def register_referenced() -> None:
        for schema in REFERENCED_SCHEMAS:  # named in `$ref`s of computed fields, so register them by name
            api.spec.components.schema(schema.__name__, schema=schema)

    api.defer(register_referenced)
    api.built()
    return api
