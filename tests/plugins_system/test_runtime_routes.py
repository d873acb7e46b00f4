"""A plugin enabled or disabled while servers run: its pages, API routes, OpenAPI operations,
menu entry and permissions follow in every web process, without a restart.

The routes of every installed plugin are registered when an app starts and answer 404 while
their plugin is inactive (`payvand.core.plugin_routes`). The first test runs a real second
process (`second_process.py`) against the same database: the plugin is enabled and disabled
through the test's app, and the other process serves it or answers 404.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from payvand.core import permissions as perm

HERE = Path(__file__).parent
PLUGIN = "live_routes"
VIEW = "live_routes.thing.view"
SOURCE = textwrap.dedent('''
    """The test plugin: a staff page (and one in a nested blueprint), an API route, a menu
    entry, a permission, and a function and context processor installed app-wide."""

    from flask import Blueprint
    from marshmallow import Schema, fields

    from payvand.sdk import ApiBlueprint, NavItem, PermissionSpec, PluginMeta, hookimpl, require, staff_required

    meta = PluginMeta("live_routes", "1.0", title="Live routes")
    VIEW = "live_routes.thing.view"

    pages = Blueprint("live_routes", __name__)
    inner = Blueprint("inner", __name__)
    api = ApiBlueprint("live_routes", __name__, url_prefix="/live-routes", description="The test plugin's things.")


    class LiveThingOut(Schema):
        name = fields.String(required=True)


    @pages.get("/live-routes/things")
    @staff_required(VIEW)
    def things():
        return "the live things page"


    @inner.get("/hello")
    @staff_required(VIEW)
    def hello():
        return "hello from the nested blueprint"


    pages.register_blueprint(inner, url_prefix="/live-routes/inner")


    @api.route("/things")
    @require(VIEW)
    @api.response(200, LiveThingOut(many=True))
    def list_things():
        """The things."""
        return [{"name": "first thing"}]


    @pages.after_app_request
    def mark(response):
        response.headers["X-Live-Routes"] = "on"
        return response


    @pages.app_context_processor
    def marker():
        return {"live_routes_marker": "from the live routes plugin"}


    @pages.after_request
    def own_mark(response):  # the blueprint's own: runs on its routes' answers, the gate's 404 too
        response.headers["X-Live-Routes-Own"] = "on"
        return response


    @hookimpl
    def payvand_blueprints():
        return [pages, api]


    @hookimpl
    def payvand_permissions():
        return [PermissionSpec(VIEW, "See the live things")]


    @hookimpl
    def payvand_nav_items():
        return [NavItem("Live things", "live_routes.things", VIEW, order=500)]
''')
NAV_LINK = 'href="/live-routes/things"'
API_PATH = "/api/v1/live-routes/things"
STARTUP_SECONDS = 120


@pytest.fixture
def live_plugin(tmp_path: Path) -> Iterator[ModuleType]:
    """The test plugin's package, written to a folder of its own and imported from there."""
    import importlib

    code = tmp_path / "plugin-code"
    (code / PLUGIN).mkdir(parents=True)
    (code / PLUGIN / "__init__.py").write_text(SOURCE, encoding="utf-8")
    sys.path.insert(0, str(code))
    try:
        yield importlib.import_module(PLUGIN)
    finally:
        sys.path.remove(str(code))
        sys.modules.pop(PLUGIN, None)


@pytest.fixture
def payvand_config(live_plugin: ModuleType) -> dict[str, Any]:
    """The database decides which plugins run, looked at on every request; only the test plugin is installed."""
    return {"PAYVAND_PLUGINS": None, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0, "PAYVAND_DISCOVER_PLUGINS": False,
            "PAYVAND_EXTRA_PLUGINS": [live_plugin]}


@pytest.fixture(autouse=True)
def no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)


def _found(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text` (the test fails when it is not there)."""
    match = re.search(pattern, text)
    assert match, f"{pattern} not found"
    return match.group(1)


class SecondProcess:
    """A real web process of the same deployment (`second_process.py`), reached over HTTP."""

    def __init__(self, config: dict[str, Any], plugin_folder: Path, instance: Path) -> None:
        settings = {key: value for key, value in config.items()
                    if key.startswith(("PAYVAND_", "SECRET_KEY", "TESTING")) and key != "PAYVAND_EXTRA_PLUGINS"}
        settings["PAYVAND_INSTANCE"] = str(instance)
        env = {key: value for key, value in os.environ.items() if not key.startswith("PAYVAND_")}
        env["PYTHONPATH"] = os.pathsep.join([str(plugin_folder), *filter(None, [env.get("PYTHONPATH")])])
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "second_process.py"), json.dumps(settings), PLUGIN],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_SECONDS)
        line = self.process.stdout.readline() if ready and self.process.stdout else ""
        if not line.strip().isdigit():
            self.process.kill()
            _, errors = self.process.communicate(timeout=30)
            raise RuntimeError(f"the second process did not start within {STARTUP_SECONDS} s: {errors}")
        self.base = f"http://127.0.0.1:{int(line)}"

    def session(self, email: str, password: str) -> requests.Session:
        """A browser-like session logged in through the second process's login form."""
        browser = requests.Session()
        page = browser.get(self.base + "/login", timeout=30)
        token = _found(r'name="csrf_token" value="([^"]+)"', page.text)
        answer = browser.post(self.base + "/login", data={"email": email, "password": password, "csrf_token": token},
                              allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text
        browser.post(self.base + "/account/locale", data={"locale": "en", "csrf_token": self.csrf(browser)}, timeout=30)
        return browser

    def csrf(self, browser: requests.Session) -> str:
        """The CSRF token of `browser`'s session (read from the start page)."""
        return _found(r'<meta name="csrf-token" content="([^"]+)"', browser.get(self.base + "/", timeout=30).text)

    def api(self, token: str, path: str) -> requests.Response:
        """GET an API path with a bearer token."""
        return requests.get(self.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def close(self) -> None:
        """End the process (it is this test's own)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def second_process(app: Any, live_plugin: ModuleType, tmp_path: Path) -> Iterator[SecondProcess]:
    """Another web process of the test app's deployment, started while the test plugin is disabled."""
    app.extensions["payvand"].disable_plugin(PLUGIN)
    process = SecondProcess(dict(app.config), Path(live_plugin.__file__).parent.parent, tmp_path / "second-instance")
    try:
        yield process
    finally:
        process.close()


def test_enabling_in_one_process_serves_the_plugin_in_another_and_disabling_hides_it_again(
        web, second_process, make_user, api_as):
    password = "correct horse battery staple"
    boss = second_process.session(web.user.email, password)
    reader = second_process.session(make_user(permissions=[VIEW], password=password).email, password)
    outsider = second_process.session(make_user(permissions=[perm.CUSTOMER_VIEW], password=password).email, password)
    token = api_as(superuser=True).token
    base = second_process.base

    def served() -> bool:
        page = boss.get(base + "/live-routes/things", timeout=30)
        api = second_process.api(token, API_PATH)
        document = second_process.api(token, "/api/v1/openapi.json").json()
        start = boss.get(base + "/", timeout=30)
        seen = (page.status_code, api.status_code, API_PATH in document["paths"], NAV_LINK in start.text,
                start.headers.get("X-Live-Routes") == "on")
        assert seen in ((200, 200, True, True, True), (404, 404, False, False, False)), seen
        return seen[0] == 200

    assert not served()  # the second process started while the plugin was disabled
    assert boss.get(base + "/live-routes/inner/hello", timeout=30).status_code == 404

    assert web.post(f"/admin/plugins/{PLUGIN}/enable").status_code == 302  # through the test's own app
    assert served()
    assert boss.get(base + "/live-routes/things", timeout=30).text == "the live things page"
    assert second_process.api(token, API_PATH).json() == [{"name": "first thing"}]
    assert boss.get(base + "/live-routes/inner/hello", timeout=30).text == "hello from the nested blueprint"
    assert reader.get(base + "/live-routes/things", timeout=30).status_code == 200
    assert NAV_LINK in reader.get(base + "/", timeout=30).text
    assert outsider.get(base + "/live-routes/things", timeout=30).status_code == 403
    assert NAV_LINK not in outsider.get(base + "/", timeout=30).text
    assert "See the live things" in boss.get(base + "/admin/roles/new", timeout=30).text

    assert web.post(f"/admin/plugins/{PLUGIN}/disable").status_code == 302
    assert not served()
    assert boss.get(base + "/live-routes/inner/hello", timeout=30).status_code == 404
    hidden = second_process.api(token, API_PATH)
    assert hidden.json()["error"]["code"] == "not_found"


def test_two_apps_of_one_deployment_follow_each_other_both_ways(app, web):
    from flask import render_template_string

    from payvand.core.app import create_app

    other = create_app(dict(app.config))
    try:
        runtime, other_runtime = app.extensions["payvand"], other.extensions["payvand"]
        assert PLUGIN in runtime.plugins.enabled and PLUGIN in other_runtime.plugins.enabled
        other_runtime.disable_plugin(PLUGIN)  # through the other app this time
        hidden = web.get("/live-routes/things")
        assert hidden.status_code == 404 and hidden.headers.get("X-Live-Routes-Own") is None
        assert web.get("/").headers.get("X-Live-Routes") is None
        assert VIEW not in runtime.permissions()
        with app.test_request_context("/"):  # a template linking to a disabled plugin's page still renders
            assert render_template_string("{{ url_for('live_routes.things') }}") == "/live-routes/things"
            assert render_template_string("{{ live_routes_marker | default('none') }}") == "none"

        other_runtime.enable_plugin(PLUGIN)
        shown = web.get("/live-routes/things")
        assert shown.text == "the live things page" and shown.headers.get("X-Live-Routes-Own") == "on"
        assert web.get("/").headers.get("X-Live-Routes") == "on"
        assert runtime.permissions()[VIEW] == (PLUGIN, "See the live things")
        with app.test_request_context("/"):
            assert render_template_string("{{ live_routes_marker }}") == "from the live routes plugin"
    finally:
        other.extensions["payvand"].engine.dispose()


def test_the_document_without_a_disabled_plugin_is_the_document_of_an_app_without_it(app, web, api):
    from payvand.core.app import create_app

    enabled = api.get("/api/v1/openapi.json").json
    assert API_PATH in enabled["paths"] and "LiveThingOut" in enabled["components"]["schemas"]
    assert PLUGIN in [tag["name"] for tag in enabled["tags"]]

    web.post(f"/admin/plugins/{PLUGIN}/disable")
    disabled = api.get("/api/v1/openapi.json").json
    never = create_app({**app.config, "PAYVAND_EXTRA_PLUGINS": []})  # the same deployment, plugin not installed
    try:
        assert disabled == never.test_client().get("/api/v1/openapi.json").json
    finally:
        never.extensions["payvand"].engine.dispose()
    web.post(f"/admin/plugins/{PLUGIN}/enable")
    assert api.get("/api/v1/openapi.json").json == enabled


def test_only_the_plugins_payvand_plugins_lets_run_get_routes(app):
    from payvand.core.app import create_app

    assert "live_routes.things" in app.view_functions  # the database decides: every installed plugin's routes
    forced = create_app({**app.config, "PAYVAND_PLUGINS": []})  # the configuration decides: the set is fixed
    try:
        assert "live_routes.things" not in forced.view_functions
        assert forced.test_client().get(API_PATH).status_code == 401  # no such route: the API asks for a token
    finally:
        forced.extensions["payvand"].engine.dispose()


def test_the_gate_asks_the_database_nothing(api, web, count_queries):
    web.post(f"/admin/plugins/{PLUGIN}/disable")
    with count_queries() as queries:  # the periodic refresh check paused: what is left is per request
        hidden = api.get(API_PATH)
    assert hidden.status_code == 404 and queries == []
    web.post(f"/admin/plugins/{PLUGIN}/enable")
    with count_queries() as queries:
        assert api.get(API_PATH).status_code == 200
    assert queries and all("core_api_token" in statement for statement in queries)  # the token, nothing else
