"""Pages and API handlers parse, call a service and render: they build and run no SQL (issue 10).

Every module under `core/web/pages` and `core/api` is read with `ast`. It fails on:
- a SQLAlchemy statement or SQL expression built there: `sa.select`, `insert`, `update`,
  `delete`, `text`, `func`, `and_`/`or_`, ... (any `sqlalchemy.<name>` call but the exception
  classes, which a handler may catch), whether reached as `sa.x`, `sqlalchemy.x` or imported
  by name;
- a statement run there: `.execute(...)`, `.scalar(...)`, `.scalars(...)`, `.query(...)`,
  `.connection(...)` on anything, and `.get(...)` on a session (`session`, `db`,
  `current_session()`).
Queries belong in `core/services/`, one function per need, shared by the API, the pages, the
CLI and the SDK.
"""

from __future__ import annotations

import ast
from pathlib import Path

import payvand.core

CORE = Path(payvand.core.__file__ or "").resolve().parent
FOLDERS = (CORE / "web" / "pages", CORE / "api")

#: `sqlalchemy` attributes a handler may use: the exceptions it catches from a service.
ALLOWED_SA = {"exc", "orm"}
#: Methods that run SQL on a session or connection, whatever the receiver.
RUNNING = {"execute", "scalar", "scalars", "query", "connection"}
#: Names a session is held in (for `.get`, which dicts and request.args have too).
SESSION_NAMES = {"session", "db", "current_session"}

#: Modules that still build or run SQL, and why it cannot move (keep this empty).
ALLOWED: dict[str, str] = {}


def _is_session(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in SESSION_NAMES
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SESSION_NAMES


def problems_of(source: str) -> list[str]:
    """Where `source` builds or runs SQL: `line: what`."""
    tree = ast.parse(source)
    aliases: set[str] = set()  # names bound to the sqlalchemy module (`import sqlalchemy as sa`)
    imported: set[str] = set()  # names imported from sqlalchemy (`from sqlalchemy import select`)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy":
                    aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if "exc" not in (node.module or "").split(".") and alias.name not in ALLOWED_SA:
                    imported.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            if node.attr not in ALLOWED_SA:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in imported and isinstance(node.ctx, ast.Load):
            found.append(f"{node.lineno}: {node.id} (from sqlalchemy)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in RUNNING or (method == "get" and _is_session(node.func.value)):
                found.append(f"{node.lineno}: .{method}(...)")
    return found


def modules() -> list[Path]:
    """The page and API modules."""
    return sorted(path for folder in FOLDERS for path in folder.rglob("*.py"))


def test_the_checker_finds_sql() -> None:
    """Each kind of SQL the test forbids is found (so the test can fail), and plain code is not."""
    bad = '''
import sqlalchemy as sa
from sqlalchemy import select
def f(session, db):
    session.execute(sa.select(1))
    db.scalars(select(1))
    current_session().get(Customer, 1)
    current_session().connection()
'''
    found = problems_of(bad)
    for expected in ("sa.select", "select (from sqlalchemy)", ".execute(", ".scalars(", ".get(", ".connection("):
        assert any(expected in item for item in found), (expected, found)
    good = '''
import sqlalchemy as sa
def f(form):
    try:
        form.get("name")
    except sa.orm.exc.StaleDataError:
        pass
'''
    assert problems_of(good) == []


def test_pages_and_api_handlers_hold_no_sql() -> None:
    """No page or API module builds or runs SQL (see ALLOWED for the reasoned exceptions)."""
    report = []
    for path in modules():
        name = path.relative_to(CORE).as_posix()
        if name in ALLOWED:
            continue
        report.extend(f"core/{name}:{item}" for item in problems_of(path.read_text(encoding="utf-8")))
    assert not report, "SQL in pages or API handlers (move it to core/services/):\n" + "\n".join(report)


def test_every_allowed_module_still_needs_it() -> None:
    """An allow-list entry whose module no longer holds SQL must go."""
    stale = [name for name in ALLOWED if not problems_of((CORE / name).read_text(encoding="utf-8"))]
    assert not stale, stale
