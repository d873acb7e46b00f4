"""`payvand users | roles | tokens`: accounts, roles and API tokens from the command line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cli_results import assert_one_line_error, ok
from click.testing import CliRunner, Result

from payvand.core.auth import verify_password
from payvand.core.cli import cli
from payvand.core.models import ApiToken, AuditLog, User

Invoke = Callable[..., Result]
SECRET_LINE = re.compile(r"Secret: (pv_\S+)")
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _only_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI enables no installed plugin in these tests."""
    monkeypatch.setenv("PAYVAND_PLUGINS", "none")


@pytest.fixture
def invoke(payvand_database_url: str, tmp_path: Path) -> Invoke:
    """`payvand --instance ... --database-url ... ARGS` on a migrated, empty database."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, ["--instance", str(tmp_path / "instance"), "--database-url",
                                   payvand_database_url, *args], input=input)

    return run


@pytest.fixture
def web_app(payvand_database_url: str, tmp_path: Path) -> Iterator[Any]:
    """The web app on the same database as the CLI (to try tokens against the API)."""
    from payvand.core.app import create_app

    application = create_app({
        "PAYVAND_INSTANCE": str(tmp_path / "instance"), "PAYVAND_DATABASE_URL": payvand_database_url,
        "PAYVAND_PLUGINS": [], "PAYVAND_JOBS": "off", "SECRET_KEY": "test", "TESTING": True,
    })
    yield application
    application.extensions["payvand"].engine.dispose()


@pytest.fixture
def session(web_app: Any) -> Iterator[Any]:
    """A session on the shared database."""
    with web_app.extensions["payvand"].sessionmaker() as db:
        yield db


def user(session: Any, email: str) -> User:
    """The user with this email, read fresh."""
    session.expire_all()
    return session.scalars(sa.select(User).where(User.email == email)).one()


def audit_actions(session: Any) -> list[tuple[str, str, str]]:
    """(actor, action, object type) of every audit entry, oldest first."""
    session.expire_all()
    entries = session.scalars(sa.select(AuditLog).order_by(AuditLog.id))
    return [(e.actor_label, e.action, e.object_type) for e in entries]


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for a token secret."""
    return {"Authorization": f"Bearer {secret}"}


# --------------------------------------------------------------------------- users


def test_create_user_with_password_from_stdin(invoke, session):
    output = ok(invoke("users", "create", "Sara@Example.com", "--name", "Sara", "--password-stdin",
                       input=PASSWORD + "\n"))
    assert "sara@example.com" in output and PASSWORD not in output
    created = user(session, "sara@example.com")
    assert created.name == "Sara" and not created.is_superuser
    assert verify_password(created, PASSWORD)
    assert audit_actions(session) == [("cli", "create", "user")]
    entry = session.scalars(sa.select(AuditLog)).one()
    assert PASSWORD not in str(entry.after) and "password" not in str(entry.after)


def test_create_user_prompts_twice_for_a_hidden_password(invoke, session):
    output = ok(invoke("users", "create", "ali@example.com", input=f"{PASSWORD}\n{PASSWORD}\n"))
    assert "Repeat the password" in output and PASSWORD not in output
    assert verify_password(user(session, "ali@example.com"), PASSWORD)


def test_create_user_with_generated_password_prints_it_once(invoke, session):
    output = ok(invoke("users", "create", "gen@example.com", "--superuser", "--generate"))
    password = re.search(r"Password: (\S+)", output).group(1)
    assert output.count(password) == 1
    created = user(session, "gen@example.com")
    assert created.is_superuser and verify_password(created, password)


def test_create_user_with_permissions_and_role_grants_them(invoke, session, web_app):
    ok(invoke("roles", "create", "support", "--permission", "core.interaction.view"))
    ok(invoke("users", "create", "rep@example.com", "--no-password", "--role", "support",
              "--permission", "core.customer.view"))
    from payvand.core.auth import user_permissions

    assert user_permissions(session, user(session, "rep@example.com").id) == {
        "core.customer.view", "core.interaction.view"}


def test_duplicate_user_is_one_line_error(invoke):
    ok(invoke("users", "create", "dup@example.com", "--no-password"))
    assert_one_line_error(invoke("users", "create", "DUP@example.com", "--no-password"), "already exists")


def test_unknown_permission_error_lists_close_names(invoke, session):
    line = assert_one_line_error(
        invoke("users", "create", "x@example.com", "--generate", "--permission", "core.customer.veiw"),
        "core.customer.veiw", "core.customer.view")
    assert "did you mean" in line
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_unknown_role_is_refused_before_asking_a_password(invoke):
    assert_one_line_error(invoke("users", "create", "x@example.com", "--role", "ghosts"), "ghosts")


def test_short_password_is_refused(invoke):
    assert_one_line_error(invoke("users", "create", "x@example.com", "--password-stdin", input="short\n"),
                          "at least 10 characters")


def test_invalid_email_is_refused(invoke):
    assert_one_line_error(invoke("users", "create", "not-an-email", "--no-password"), "not an email")


def test_users_list_shows_status_roles_and_permissions(invoke):
    ok(invoke("roles", "create", "sales", "--permission", "core.customer.view"))
    ok(invoke("users", "create", "a@example.com", "--no-password", "--role", "sales"))
    ok(invoke("users", "create", "b@example.com", "--no-password", "--superuser",
              "--permission", "core.audit.view"))
    ok(invoke("users", "disable", "a@example.com"))
    lines = ok(invoke("users", "list")).splitlines()
    assert lines[0].split()[:5] == ["ID", "EMAIL", "NAME", "STATUS", "SUPERUSER"]
    row_a = next(line for line in lines if "a@example.com" in line)
    row_b = next(line for line in lines if "b@example.com" in line)
    assert "disabled" in row_a and "sales" in row_a
    assert "active" in row_b and "yes" in row_b and "core.audit.view" in row_b


def test_set_password_replaces_the_hash_and_is_audited(invoke, session):
    ok(invoke("users", "create", "pw@example.com", "--generate"))
    ok(invoke("users", "set-password", "pw@example.com", "--password-stdin", input=PASSWORD + "\n"))
    assert verify_password(user(session, "pw@example.com"), PASSWORD)
    assert audit_actions(session)[-1] == ("cli", "set_password", "user")


def test_set_password_of_unknown_user_is_one_line_error(invoke):
    assert_one_line_error(invoke("users", "set-password", "ghost@example.com", "--generate"), "no user")


def test_disable_user_stops_their_tokens(invoke, session, web_app):
    ok(invoke("users", "create", "off@example.com", "--no-password", "--superuser"))
    secret = SECRET_LINE.search(ok(invoke("tokens", "create", "off@example.com", "--name", "sync"))).group(1)
    client = web_app.test_client()
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
    ok(invoke("users", "disable", "off@example.com"))
    assert not user(session, "off@example.com").is_active
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 401
    assert ("cli", "disable", "user") in audit_actions(session)
    assert "already disabled" in ok(invoke("users", "disable", "off@example.com"))
    ok(invoke("users", "enable", "off@example.com"))
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 200


# --------------------------------------------------------------------------- roles


def test_roles_create_and_list(invoke, session):
    output = ok(invoke("roles", "create", "analyst", "--permission", "core.customer.view",
                       "--permission", "core.audit.view", "--description", "Reads everything"))
    assert "analyst" in output
    listing = ok(invoke("roles", "list"))
    row = next(line for line in listing.splitlines() if line.startswith("analyst"))
    assert "core.audit.view, core.customer.view" in row and "Reads everything" in row
    assert audit_actions(session) == [("cli", "create", "role")]


def test_roles_list_hides_personal_roles_and_lists_permissions_on_request(invoke):
    ok(invoke("users", "create", "p@example.com", "--no-password", "--permission", "core.customer.view"))
    assert "user:" not in ok(invoke("roles", "list"))
    permissions = ok(invoke("roles", "list", "--permissions"))
    assert "core.customer.view" in permissions and "core.users.manage" in permissions


def test_duplicate_role_and_unknown_permission_are_one_line_errors(invoke):
    ok(invoke("roles", "create", "ops", "--permission", "core.plugins.view"))
    assert_one_line_error(invoke("roles", "create", "ops", "--permission", "core.plugins.view"), "already exists")
    assert_one_line_error(invoke("roles", "create", "ops2", "--permission", "core.plugin.view"),
                          "core.plugins.view")


def test_role_needs_a_permission(invoke):
    result = invoke("roles", "create", "empty")
    assert result.exit_code == 2 and "--permission" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- tokens


def test_token_secret_works_against_the_api_until_revoked(invoke, session, web_app):
    ok(invoke("users", "create", "api@example.com", "--no-password", "--superuser"))
    output = ok(invoke("tokens", "create", "api@example.com", "--name", "website sync"))
    secret = SECRET_LINE.search(output).group(1)
    assert output.count(secret) == 1
    stored = session.scalars(sa.select(ApiToken)).one()
    assert stored.scopes == ["*"] and stored.token_hash != secret and secret.startswith(stored.prefix)
    client = web_app.test_client()
    assert client.get("/api/v1/customers", headers=bearer(secret)).status_code == 200
    ok(invoke("tokens", "revoke", stored.prefix))
    response = client.get("/api/v1/customers", headers=bearer(secret))
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"
    assert audit_actions(session)[-2:] == [("cli", "create", "api_token"), ("cli", "revoke", "api_token")]


def test_token_scopes_narrow_what_it_may_do(invoke, web_app):
    ok(invoke("users", "create", "scoped@example.com", "--no-password", "--superuser"))
    secret = SECRET_LINE.search(ok(invoke("tokens", "create", "scoped@example.com", "--name", "timeline",
                                          "--scope", "core.interaction.*"))).group(1)
    assert web_app.test_client().get("/api/v1/customers", headers=bearer(secret)).status_code == 403


def test_token_with_expiry_and_revoke_by_id(invoke, session):
    ok(invoke("users", "create", "exp@example.com", "--no-password"))
    output = ok(invoke("tokens", "create", "exp@example.com", "--name", "short", "--expires-in-days", "7"))
    assert "expires" in output
    token = session.scalars(sa.select(ApiToken)).one()
    assert token.expires_at is not None
    assert f"Token {token.id}" in ok(invoke("tokens", "revoke", str(token.id)))
    assert "already revoked" in ok(invoke("tokens", "revoke", str(token.id)))


def test_tokens_list_shows_metadata_never_secrets(invoke):
    ok(invoke("users", "create", "one@example.com", "--no-password"))
    ok(invoke("users", "create", "two@example.com", "--no-password"))
    secret = SECRET_LINE.search(ok(invoke("tokens", "create", "one@example.com", "--name", "first"))).group(1)
    ok(invoke("tokens", "create", "two@example.com", "--name", "second", "--scope", "core.customer.view"))
    ok(invoke("tokens", "revoke", secret))
    listing = ok(invoke("tokens", "list"))
    assert secret not in listing
    assert listing.splitlines()[0].split() == ["ID", "PREFIX", "USER", "NAME", "SCOPES", "CREATED",
                                               "LAST", "USED", "EXPIRES", "STATUS"]
    first = next(line for line in listing.splitlines() if "first" in line)
    assert secret[:10] in first and "revoked" in first
    only_two = ok(invoke("tokens", "list", "two@example.com"))
    assert "second" in only_two and "first" not in only_two and "core.customer.view" in only_two


def test_token_errors_are_one_line(invoke):
    ok(invoke("users", "create", "t@example.com", "--no-password"))
    assert_one_line_error(invoke("tokens", "create", "ghost@example.com", "--name", "x"), "no user")
    assert_one_line_error(invoke("tokens", "create", "t@example.com", "--name", "x", "--scope", "sales.*"),
                          "sales.*")
    assert_one_line_error(invoke("tokens", "revoke", "pv_nothing"), "no token matches")
    ok(invoke("users", "disable", "t@example.com"))
    assert_one_line_error(invoke("tokens", "create", "t@example.com", "--name", "x"), "disabled")


def test_every_account_command_has_help(invoke):
    for command in (["users"], ["users", "create"], ["users", "list"], ["users", "set-password"],
                    ["users", "disable"], ["roles", "create"], ["roles", "list"], ["tokens", "create"],
                    ["tokens", "list"], ["tokens", "revoke"]):
        output = ok(invoke(*command, "--help"))
        assert "Usage:" in output
