"""Admin plugins page: list, enable/disable with requirement messages, recorded errors, the note on restarts."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from plugins_system.generated import plugins_installed

from payvand.core import permissions as perm
from payvand.core.models import AuditLog, PluginState
from payvand.sdk.testing import WebClient

SOURCES = {
    "web_base": textwrap.dedent("""
        from flask import Blueprint
        from payvand.sdk import PluginMeta, hookimpl

        meta = PluginMeta("web_base", "1.2", title="Web base", description="Pages for the admin tests.")
        pages = Blueprint("web_base_pages", __name__)

        @pages.get("/web-base/hello")
        def hello():
            return "hello from web_base"

        @hookimpl
        def payvand_blueprints():
            return [pages]
        """),
    "web_dep": textwrap.dedent("""
        from payvand.sdk import PluginMeta

        meta = PluginMeta("web_dep", "0.3", title="Web dependant", requires=["web_base>=1.0"])
        """),
    "web_mig": textwrap.dedent("""
        from payvand.sdk import PluginMeta

        meta = PluginMeta("web_mig", "2.0", title="Web migrated")
        """),
    "web_broken": textwrap.dedent("""
        from payvand.sdk import PluginMeta, hookimpl

        meta = PluginMeta("web_broken", "0.1", title="Web broken")

        @hookimpl
        def payvand_customer_creatd(customers):
            pass

        def payvand_customer_fields():
            return []
        """),
}
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The three plugins installed through entry points (before the app starts); the database decides."""
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path, SOURCES, migrations={"web_mig": "a0eb00000001"}):
        yield


@pytest.fixture
def payvand_config() -> dict[str, Any]:
    """No PAYVAND_PLUGINS override: the PluginState rows decide; refresh on every request."""
    return {"PAYVAND_PLUGINS": None, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0}


@pytest.fixture(autouse=True)
def drop_plugin_tables(payvand_database_url: str) -> Iterator[None]:
    """web_mig's migration is undone afterwards (PostgreSQL keeps tables between tests)."""
    yield
    engine = sa.create_engine(payvand_database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS web_mig_thing"))
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version_web_mig"))
    engine.dispose()


@pytest.fixture
def web(web_as: Any) -> Any:
    """A superuser's client reading the pages in English (their own choice of language)."""
    client = web_as(superuser=True)
    client.post("/account/locale", {"locale": "en"})
    return client


def section(page: Any, name: str) -> str:
    """The HTML of one plugin's card."""
    found = re.search(rf'<section class="card mb-3" id="plugin-{name}".*?</section>', page.text, re.S)
    assert found, f"no card for {name}"
    return found.group(0)


def flashes(page: Any) -> list[str]:
    """The flash messages of a page, as text."""
    found = re.findall(r'<div class="alert alert-\w+ alert-dismissible[^>]*>(.*?)<button', page.text, re.S)
    return [re.sub(r"\s+", " ", m).strip() for m in found]


def test_lists_every_installed_plugin_with_title_version_description_and_requires(web):
    page = web.get("/admin/plugins")
    assert page.status_code == 200
    base = section(page, "web_base")
    assert "Web base" in base and "web_base 1.2" in base and "Pages for the admin tests." in base
    assert 'data-state="enabled"' in base
    assert "web_dep" in base  # required by
    dep = section(page, "web_dep")
    assert "web_base&gt;=1.0" in dep
    mig = section(page, "web_mig")
    assert 'data-state="inactive"' in mig  # enabled, but its migrations are not applied
    assert "its migrations are not applied" in mig
    assert 'id="plugin-web_dep-disable"' in dep


def test_disabling_a_required_plugin_is_refused_with_the_reason(web, db_session):
    response = web.post("/admin/plugins/web_base/disable")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/plugins#plugin-web_base")
    page = web.get("/admin/plugins")
    assert flashes(page) == ["Could not change web_base: cannot disable web_base: web_dep requires it; disable it first"]
    assert db_session.get(PluginState, "web_base").enabled is True


def test_enabling_a_plugin_whose_requirement_is_disabled_says_which(web, db_session):
    assert web.post("/admin/plugins/web_dep/disable").status_code == 302
    assert web.post("/admin/plugins/web_base/disable").status_code == 302
    page = web.get("/admin/plugins")
    assert 'id="plugin-web_base-enable"' in section(page, "web_base")
    web.post("/admin/plugins/web_dep/enable")
    page = web.get("/admin/plugins")
    assert flashes(page)[-1:] == ["Could not change web_dep: cannot enable web_dep: it requires web_base, which is "
                             "disabled; enable it first (`payvand plugins enable web_base`)"]
    assert db_session.scalar(sa.select(PluginState.enabled).where(PluginState.name == "web_dep")) is False


def test_enabling_runs_the_migrations_and_says_so_and_is_audited(web, runtime, db_session):
    web.post("/admin/plugins/web_mig/disable")
    response = web.post("/admin/plugins/web_mig/enable")
    assert response.status_code == 302
    page = web.get("/admin/plugins")
    assert flashes(page) == ["Disabled web_mig; its data is kept.", "Enabled web_mig 2.0. Migrations run: web_mig."]
    assert 'data-state="enabled"' in section(page, "web_mig")
    assert "web_mig" in runtime.plugins.enabled
    entries = db_session.execute(sa.select(AuditLog.action, AuditLog.object_id, AuditLog.after, AuditLog.actor_id)
                                 .where(AuditLog.object_type == "plugin").order_by(AuditLog.id)).all()
    assert [(e.action, e.object_id, e.after) for e in entries] == [
        ("disable", "web_mig", {"enabled": False}), ("enable", "web_mig", {"enabled": True})]
    assert entries[0].actor_id == web.user_id


def test_pages_of_a_plugin_enabled_while_the_server_runs_appear_without_a_restart(app, web):
    from payvand.core.app import create_app

    assert web.get("/web-base/hello").text == "hello from web_base"
    web.post("/admin/plugins/web_dep/disable")
    web.post("/admin/plugins/web_base/disable")
    assert web.get("/web-base/hello").status_code == 404  # disabled: gated at once

    started_disabled = create_app(dict(app.config))  # started while web_base is disabled
    try:
        client = WebClient(started_disabled.test_client(), None)
        assert client.login(web.user.email, PASSWORD).status_code == 302
        assert client.get("/web-base/hello").status_code == 404
        client.post("/admin/plugins/web_base/enable")
        page = client.get("/admin/plugins")
        assert flashes(page)[-1] == "Enabled web_base 1.2. No migrations were needed."
        assert "restart" not in flashes(page)[-1]
        assert client.get("/web-base/hello").text == "hello from web_base"  # no restart
    finally:
        started_disabled.extensions["payvand"].engine.dispose()
    assert web.get("/web-base/hello").text == "hello from web_base"  # the other app, too


def test_recorded_errors_are_shown_newest_first_and_can_be_cleared(web, runtime, db_session):
    runtime.record_plugin_error("web_base", "payvand_customer_created", RuntimeError("first failure"))
    runtime.record_plugin_error("web_base", "payvand_customer_panels", ValueError("second failure"))
    card = section(web.get("/admin/plugins"), "web_base")
    assert "2 errors" in card
    assert card.index("second failure") < card.index("first failure")
    assert "payvand_customer_panels" in card and "RuntimeError" in card
    assert "Traceback" not in card

    assert web.post("/admin/plugins/web_base/errors/clear").status_code == 302
    card = section(web.get("/admin/plugins"), "web_base")
    assert "first failure" not in card and "errors" not in card.lower().replace("clear errors", "")
    state = db_session.get(PluginState, "web_base")
    assert (state.error_count, state.recent_errors) == (0, [])
    action = db_session.scalar(sa.select(AuditLog.before).where(AuditLog.action == "clear_errors"))
    assert action == {"error_count": 2}


def test_only_the_newest_errors_are_shown(web, runtime):
    for n in range(15):
        runtime.record_plugin_error("web_dep", "payvand_customer_created", RuntimeError(f"failure number {n:02d}"))
    card = section(web.get("/admin/plugins"), "web_dep")
    assert "failure number 14" in card and "failure number 05" in card
    assert "failure number 04" not in card


def test_viewers_see_no_buttons_and_cannot_post(web_as):
    viewer = web_as([perm.PLUGINS_VIEW])
    page = viewer.get("/admin/plugins")
    assert page.status_code == 200
    assert "-disable" not in page.text and "-enable" not in page.text and "clear-errors" not in page.text
    assert viewer.post("/admin/plugins/web_dep/disable").status_code == 403
    assert viewer.post("/admin/plugins/web_dep/errors/clear").status_code == 403


def test_without_the_view_permission_the_page_is_forbidden(web_as, client):
    assert web_as([perm.CUSTOMER_VIEW]).get("/admin/plugins").status_code == 403
    response = client.get("/admin/plugins")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.post("/admin/plugins/web_dep/disable").status_code in (302, 400)


def test_a_post_without_the_csrf_token_is_refused(web, db_session):
    assert web.post("/admin/plugins/web_dep/disable", csrf=False).status_code == 400
    assert db_session.get(PluginState, "web_dep").enabled is True


def test_unknown_plugin_is_404(web):
    assert web.post("/admin/plugins/nope/enable").status_code == 404


def test_a_plugin_installed_with_pip_while_the_server_runs_is_listed_only_after_a_restart(app, web, tmp_path):
    from payvand.core.app import create_app

    late = {"web_late": 'from payvand.sdk import PluginMeta\nmeta = PluginMeta("web_late", "1.0", title="Installed late")\n'}
    with plugins_installed(tmp_path / "late", late):
        page = web.get("/admin/plugins")
        assert 'id="plugin-web_late"' not in page.text  # the running server does not know it
        note = re.sub(r"\s+", " ", re.search(r'id="plugins-note">(.*?)</p>', page.text, re.S).group(1))
        assert ("A plugin installed with pip after the server and workers started is not listed here until "
                "they restart.") in note
        assert "within seconds" in note and "hooks" in note and "pages and API routes alike" in note
        restarted = create_app(dict(app.config))
        try:
            assert "web_late" in restarted.extensions["payvand"].plugins.installed
        finally:
            restarted.extensions["payvand"].engine.dispose()


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_a_plugin_that_fails_its_checks_is_shown_as_failed_with_every_problem(web, locale):
    web.post("/account/locale", {"locale": locale})
    broken = section(web.get("/admin/plugins"), "web_broken")
    assert 'data-state="failed"' in broken and 'data-state="inactive"' not in broken
    assert "implements unknown hook &#39;payvand_customer_creatd&#39;" in broken
    assert "payvand_customer_fields looks like a hook but is not marked with @hookimpl" in broken
    assert 'id="plugin-web_broken-failed"' in broken
    if locale == "fa":
        assert "ناموفق" in broken and "بارگذاری نمی‌شود" in broken
    else:
        assert "Failed" in broken and "it fails its checks, so it is not loaded" in broken
    # A plugin that only waits for its migrations is not failed: enabling it runs them.
    assert 'data-state="inactive"' in section(web.get("/admin/plugins"), "web_mig")
