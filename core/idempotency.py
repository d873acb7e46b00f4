"""Idempotency keys: a POST of the API sent again with the same `Idempotency-Key` acts once.

Every POST under `/api/v1` — the core's routes and every plugin's, with no code in the
plugin — honours an `Idempotency-Key` header as the well-known payment APIs do:

- The first request with a key claims it: one short transaction inserts a row keyed by
  (principal, key, method, path) under a unique constraint, before the route runs. The
  principal is the API token, so one token's key never replays another token's answer.
- When the route answers 2xx or 3xx, the answer (status, headers, body) is stored on the row
  and replayed, with `Idempotent-Replayed: true`, to every later request with the same key
  and the same body (fingerprint: SHA-256 of the canonical JSON body and the query string)
  for 24 hours; the route does not run again.
- The same key with a different body is refused with 422 (`idempotency_key_reused`).
- A 4xx or 5xx answer of a request that committed nothing is not stored: the key is
  released. A 4xx never changes data in Payvand (the request's transaction is rolled back),
  so the client may correct its request and send it again with the same key; after a 5xx it
  may simply retry.
- A request arriving while the first one with its key still runs waits for it (up to
  `PAYVAND_IDEMPOTENCY_WAIT_SECONDS`, default 10) and replays its answer; past that it gets
  409 `idempotency_in_progress` with `Retry-After`. So concurrent requests act once.
- A claim whose request died (a killed process) is taken over by the next request with the
  key after `PAYVAND_IDEMPOTENCY_LEASE_SECONDS` (default 300) — unless the route had committed
  its work: its first commit marks the claim `acted` in the same transaction, so a request
  that died between committing and storing its answer is never run again; later requests
  with the key get 409 `idempotency_outcome_unknown`. For the same reason a route that
  committed and then answered 4xx or 5xx has that answer stored, not released.

Rows older than 24 hours count as absent and are deleted by the kernel job
`core.idempotency_cleanup` (hourly).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import http
import json
import logging
import re
import secrets
import time
from typing import Any, cast

import sqlalchemy as sa
from apispec import BasePlugin
from flask import Flask, Response, current_app, g, request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session

from payvand.core.api import API_PREFIX
from payvand.core.api.errors import ApiError
from payvand.core.db import current_session, table_of, utcnow
from payvand.core.models.idempotency import MAX_KEY_LENGTH, MAX_PATH_LENGTH, IdempotencyKey

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
IN_PROGRESS = "in_progress"
ACTED = "acted"
DONE = "done"
DEFAULT_WAIT_SECONDS = 10.0
DEFAULT_LEASE_SECONDS = 300.0
#: Response headers never stored for a replay: the connection's own, and cookies.
UNSTORED_HEADERS = frozenset({"content-length", "set-cookie", "date", "server", "connection",
                              "transfer-encoding", "keep-alive"})

_KEY = re.compile(rf"[!-~]{{1,{MAX_KEY_LENGTH}}}")
_table = table_of(IdempotencyKey)


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a key is unique within: the principal, the key itself, the method and the path."""

    principal: str
    key: str
    method: str
    path: str

    def where(self) -> sa.ColumnElement[bool]:
        """The SQL condition selecting this scope's row."""
        return sa.and_(_table.c.principal == self.principal, _table.c.idem_key == self.key,
                       _table.c.method == self.method, _table.c.path == self.path)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A key this request holds: its row and the token that proves the claim is still ours."""

    row_id: int
    token: str


@dataclasses.dataclass(frozen=True)
class Replay:
    """The stored answer of the request that first used the key."""

    status: int
    headers: dict[str, str]
    body: bytes


# --------------------------------------------------------------------------- the request's parts


def key_error(message: str) -> ApiError:
    """The 400 for a malformed `Idempotency-Key` header."""
    return ApiError(400, message, fields={HEADER: [message]})


def read_key(raw: str) -> str:
    """The key of an `Idempotency-Key` header: 1 to 255 visible ASCII characters, else a 400."""
    if not _KEY.fullmatch(raw):
        raise key_error(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID.")
    return raw


def fingerprint(body: bytes, query: list[tuple[str, str]]) -> str:
    """SHA-256 of the request's canonical form: its JSON body with sorted keys and no spaces
    (the raw bytes when the body is not JSON) and its query string's sorted pairs."""
    try:
        parsed = json.loads(body) if body else None
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        canonical = body
    digest = hashlib.sha256(json.dumps(sorted(query), ensure_ascii=False).encode())
    digest.update(b"\n")
    digest.update(canonical)
    return digest.hexdigest()


def principal_key(found: Any) -> str:
    """The principal a key belongs to: the API token (`token:<id>`), else the user."""
    token_id = getattr(found, "token_id", None)
    return f"token:{token_id}" if token_id is not None else f"user:{found.user_id}"


# --------------------------------------------------------------------------- claiming and storing


def _insert(connection: Connection, scope: Scope, fingerprint_: str, token: str, now: dt.datetime) -> int | None:
    """Insert the claim row unless the scope has one; its id when this call inserted it."""
    values = {"principal": scope.principal, "idem_key": scope.key, "method": scope.method, "path": scope.path,
              "fingerprint": fingerprint_, "state": IN_PROGRESS, "lock_token": token, "locked_at": now,
              "created_at": now}
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(connection.dialect.name)
    if dialect is not None:
        statement = dialect.insert(_table).values(**values).on_conflict_do_nothing().returning(_table.c.id)
        return connection.execute(statement).scalar()
    try:  # other databases: the unique constraint refuses the second insert
        with connection.begin_nested():
            inserted = connection.execute(sa.insert(_table).values(**values)).inserted_primary_key
            assert inserted is not None  # a single-row INSERT without RETURNING always has one
            return inserted[0]
    except sa.exc.IntegrityError:
        return None


def claim(engine: Engine, scope: Scope, fingerprint_: str, *, wait: float = DEFAULT_WAIT_SECONDS,
          lease: float = DEFAULT_LEASE_SECONDS) -> Claim | Replay:
    """Claim the key for this request, or return the stored answer to replay.

    Each step is its own short transaction, so the claim is visible to other requests at
    once. Raises ApiError 422 when the key was used with another body, and 409 when the
    request holding it is still running after `wait` seconds.
    """
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        now = utcnow()
        token = secrets.token_hex(16)
        with engine.begin() as connection:
            row_id = _insert(connection, scope, fingerprint_, token, now)
        if row_id is not None:
            return Claim(row_id, token)
        with engine.begin() as connection:
            row = connection.execute(sa.select(_table).where(scope.where())).first()
            if row is None:
                continue  # released meanwhile: claim it
            if row.created_at <= now - TTL:  # expired: forget it and claim afresh
                connection.execute(sa.delete(_table).where(_table.c.id == row.id, _table.c.created_at <= now - TTL))
                continue
            if row.fingerprint != fingerprint_:
                raise ApiError(422, f"This {HEADER} was already used with a different request; "
                                    "use a new key for a new request.", code="idempotency_key_reused",
                               fields={HEADER: ["Already used with a different request body."]})
            if row.state == DONE:
                return Replay(row.status, dict(row.headers or {}), row.body or b"")
            if row.state == ACTED and row.locked_at <= now - dt.timedelta(seconds=lease):
                raise ApiError(409, f"The first request with this {HEADER} was carried out, but its answer was "
                                    "lost; look its result up before sending the operation again with a new key.",
                               code="idempotency_outcome_unknown")
            if row.locked_at <= now - dt.timedelta(seconds=lease):  # its request died: take it over
                taken = connection.execute(
                    sa.update(_table)
                    .where(_table.c.id == row.id, _table.c.state == IN_PROGRESS,
                           _table.c.locked_at <= now - dt.timedelta(seconds=lease))
                    .values(lock_token=token, locked_at=now)
                ).rowcount
                if taken == 1:
                    return Claim(row.id, token)
                continue
        if time.monotonic() >= deadline:
            raise ApiError(409, f"A request with this {HEADER} is still being processed; retry shortly.",
                           code="idempotency_in_progress", headers={"Retry-After": "1"})
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def store(engine: Engine, claimed: Claim, response: Response) -> None:
    """Store the answer of the request holding `claimed`, to be replayed."""
    response.direct_passthrough = False  # a file response is read into memory to be stored
    headers = {name: value for name, value in response.headers.items() if name.lower() not in UNSTORED_HEADERS}
    with engine.begin() as connection:
        connection.execute(
            sa.update(_table)
            .where(_table.c.id == claimed.row_id, _table.c.lock_token == claimed.token)
            .values(state=DONE, lock_token=None, status=response.status_code, headers=headers,
                    body=response.get_data())
        )


def release(engine: Engine, claimed: Claim) -> bool:
    """Forget the key (the request answered an error and committed nothing): the client may
    send it again. A claim its route marked `acted` is kept; returns whether it was forgotten."""
    with engine.begin() as connection:
        deleted = connection.execute(sa.delete(_table).where(
            _table.c.id == claimed.row_id, _table.c.state == IN_PROGRESS, _table.c.lock_token == claimed.token))
    return cast("CursorResult[Any]", deleted).rowcount == 1


#: `Session.info` key of the claim the session's next commit marks `acted`.
_UNMARKED_CLAIM = "payvand_idempotency_unmarked_claim"


@sa.event.listens_for(Session, "before_commit")
def _mark_acted(session: Session) -> None:
    """The request's first commit marks its claim `acted`, in that same transaction: from then
    on the route's work is done even if its answer never gets stored."""
    claimed = session.info.pop(_UNMARKED_CLAIM, None)
    if claimed is not None:
        session.execute(sa.update(_table).where(_table.c.id == claimed.row_id, _table.c.lock_token == claimed.token)
                        .values(state=ACTED))


def delete_expired(now: dt.datetime | None = None) -> int:
    """Delete the keys created more than 24 hours ago (the kernel job `core.idempotency_cleanup`)."""
    cutoff = (now or utcnow()) - TTL
    result = cast("CursorResult[Any]", current_session().execute(sa.delete(_table).where(_table.c.created_at <= cutoff)))
    return result.rowcount or 0


def _contains(dialect: str, index: int, needle: bytes) -> sa.ColumnElement[bool]:
    """The stored body holds `needle` (bytes compared as bytes on both databases)."""
    if dialect == "postgresql":
        return sa.text(f"position(:needle_{index} IN core_idempotency_key.body) > 0").bindparams(
            sa.bindparam(f"needle_{index}", needle, type_=sa.LargeBinary))  # type: ignore[return-value]
    return sa.func.instr(_table.c.body, sa.literal(needle, sa.LargeBinary)) > 0


def forget_customers(session: Session, customer_ids: list[int]) -> int:
    """Delete the stored answers that could show these customers' personal data (erasure calls
    it before it wipes them): keys sent to their own routes (`/api/v1/customers/<id>/...`) and
    answers holding one of their names, emails or phones as a JSON string. Returns how many.
    Keys still in progress stay (the erasure's own, when it was sent with one).

    A retry of such a request acts again; erasing a customer is rare enough for that.
    """
    from payvand.core.models import Customer, CustomerEmail, CustomerPhone

    if not customer_ids:
        return 0
    values: set[str] = set()
    for row in session.execute(sa.select(Customer.given_name, Customer.family_name, Customer.organization_name,
                                         Customer.display_name).where(Customer.id.in_(customer_ids))):
        values.update(v for v in row if v)
    values.update(session.scalars(sa.select(CustomerEmail.email).where(CustomerEmail.customer_id.in_(customer_ids))))
    values.update(session.scalars(sa.select(CustomerPhone.number).where(CustomerPhone.customer_id.in_(customer_ids))))
    dialect = session.get_bind().dialect.name
    conditions: list[sa.ColumnElement[bool]] = [_table.c.path.like(f"{API_PREFIX}/customers/{i}/%") for i in customer_ids]
    conditions += [_contains(dialect, n, json.dumps(v, ensure_ascii=False).encode()) for n, v in enumerate(sorted(values))]
    result = cast("CursorResult[Any]", session.execute(sa.delete(_table).where(_table.c.state == DONE, sa.or_(*conditions))))
    return result.rowcount or 0


# --------------------------------------------------------------------------- the Flask hooks


def _applies() -> bool:
    return (request.method == "POST" and request.path.startswith(API_PREFIX + "/")
            and request.url_rule is not None and HEADER in request.headers
            and g.get("payvand_actor") is not None)


def _engine() -> Engine:
    return current_app.extensions["payvand"].engine


def _end_request_transaction() -> None:
    """Roll back what the route left uncommitted (teardown would), so that on SQLite the
    request's own write lock does not block the key's update; no later commit marks the claim."""
    session = g.get("payvand_session")
    if session is not None:
        session.info.pop(_UNMARKED_CLAIM, None)
        if session.in_transaction():
            session.rollback()


def _before_request() -> Response | None:
    if not _applies():
        return None
    key = read_key(request.headers[HEADER])
    if len(request.path.encode()) > MAX_PATH_LENGTH:
        raise key_error(f"{HEADER} is not accepted on paths longer than {MAX_PATH_LENGTH} bytes.")
    scope = Scope(principal_key(g.payvand_actor), key, request.method, request.path)
    digest = fingerprint(request.get_data(cache=True), list(request.args.items(multi=True)))
    config = current_app.config
    outcome = claim(_engine(), scope, digest,
                    wait=float(config.get("PAYVAND_IDEMPOTENCY_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)),
                    lease=float(config.get("PAYVAND_IDEMPOTENCY_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)))
    if isinstance(outcome, Replay):
        response = current_app.response_class(outcome.body, status=outcome.status)
        response.headers.clear()  # the stored headers, Content-Type included, and no defaults
        response.headers.extend(outcome.headers)
        response.headers[REPLAYED_HEADER] = "true"
        return response
    g.payvand_idempotency = outcome
    current_session().info[_UNMARKED_CLAIM] = outcome
    return None


def _after_request(response: Response) -> Response:
    claimed = g.pop("payvand_idempotency", None)
    if claimed is None:
        return response
    _end_request_transaction()
    try:
        if response.status_code < 400 or not release(_engine(), claimed):  # kept when the route committed
            store(_engine(), claimed, response)
    except Exception:  # the answer stands; the claim is taken over after its lease
        log.exception("could not record the %s of %s %s", HEADER, request.method, request.path)
    return response


def _teardown_request(_: BaseException | None) -> None:
    claimed = g.pop("payvand_idempotency", None)
    if claimed is None:
        return  # answered normally (or no key)
    _end_request_transaction()
    try:  # no answer was made (an error outside the view): the client may retry
        release(_engine(), claimed)
    except Exception:
        log.exception("could not release the %s of %s %s", HEADER, request.method, request.path)


def install(app: Flask) -> None:
    """Honour `Idempotency-Key` on every POST of the API of `app`.

    Call it after the API's authentication hook is installed: the key belongs to the
    authenticated principal.
    """
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown_request)


# --------------------------------------------------------------------------- the OpenAPI document

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Makes the request safe to retry: a unique key per operation (e.g. a UUID v4). For 24 hours, "
        "the same key with the same body answers the first response again, with `Idempotent-Replayed: "
        "true`, without acting twice; with a different body, 422 `idempotency_key_reused`; while the "
        "first request still runs, the retry waits for it or gets 409 `idempotency_in_progress`. "
        "Error answers (4xx, 5xx) of a request that changed nothing are not kept: the key may be sent "
        "again. If the first request was carried out but its answer was lost (its server process died), "
        "409 `idempotency_outcome_unknown`."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
}


REPLAYED = {
    "description": "`true` when this is the stored answer of an earlier request with the same `Idempotency-Key`",
    "schema": {"type": "string", "enum": ["true"]},
}


class IdempotencyKeyPlugin(BasePlugin):
    """apispec plugin declaring the optional `Idempotency-Key` header on every POST of the API,
    with the 400 (malformed key), 409 (in progress) and 422 (reused key) it may answer and the
    `Idempotent-Replayed` header of its successful answers."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        """Add the header parameter and its error responses to the POST operation of `path`."""
        if not (path or "").startswith(API_PREFIX + "/"):
            return
        operation = (operations or {}).get("post")
        if not isinstance(operation, dict):
            return
        parameters = operation.setdefault("parameters", [])
        if not any(isinstance(p, dict) and p.get("in") == "header" and p.get("name") == HEADER for p in parameters):
            parameters.append(copy.deepcopy(PARAMETER))
        responses = operation.setdefault("responses", {})
        present = {str(code) for code in responses}
        for code in (400, 409, 422):
            if str(code) not in present:
                responses[code] = http.HTTPStatus(code).name
        for code, response in responses.items():
            if str(code).startswith("2") and isinstance(response, dict):
                response["headers"] = {**response.get("headers", {}), REPLAYED_HEADER: copy.deepcopy(REPLAYED)}
