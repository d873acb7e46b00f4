"""The open hook contract: hooks a plugin declares, first-result hooks, the core-version
requirement, and subscriptions checked against the declared events."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from payvand.core import __version__ as core_version
from payvand.core.cli import cli
from payvand.core.config import build_config
from payvand.core.plugins import PluginManager, check_plugin, core_requirement_met, discover
from payvand.core.runtime import Runtime
from plugins_system.generated import plugins_installed

HEADER = "from payvand.sdk import PluginMeta, Subscription, hookimpl, hookspec\n"


def source(body: str) -> str:
    """A plugin module: the SDK import, then `body`."""
    return HEADER + textwrap.dedent(body)


OWNER_SPECS = source('''
    """The owner's hooks."""
    VETO_HOOKS = ("payvand_owner_check",)


    @hookspec(firstresult=True)
    def payvand_owner_greeting(name):
        """The greeting for `name`: one answer wanted."""


    @hookspec
    def payvand_owner_items():
        """Items every plugin adds."""


    @hookspec
    def payvand_owner_check(name):
        """May refuse `name` (veto)."""
    ''')

SOURCES = {
    "owner": source("""
        meta = PluginMeta("owner", "1.0", requires=("payvand>=0.1",), hookspecs="owner.hookspecs")
        """),
    "user_a": source("""
        meta = PluginMeta("user_a", "1.0")

        @hookimpl
        def payvand_owner_greeting(name):
            return None  # no answer: the next plugin's

        @hookimpl
        def payvand_owner_items():
            return ["a1", "a2"]
        """),
    "user_b": source("""
        from payvand.sdk import PluginError

        meta = PluginMeta("user_b", "1.0")

        @hookimpl
        def payvand_owner_greeting(name):
            return f"Salam, {name}"

        @hookimpl
        def payvand_owner_items():
            return "b1"

        @hookimpl
        def payvand_owner_check(name):
            if name == "Mallory":
                raise PluginError("Mallory may not.")
        """),
    "bad_args": source("""
        meta = PluginMeta("bad_args", "1.0")

        @hookimpl
        def payvand_owner_greeting(person):
            return person
        """),
    "ghost_user": source("""
        meta = PluginMeta("ghost_user", "1.0")

        @hookimpl
        def payvand_ghost_hook():
            return 1

        @hookimpl(optionalhook=True)
        def payvand_maybe_hook():
            return 1
        """),
    "clasher": source("""
        meta = PluginMeta("clasher", "1.0", hookspecs="clasher.hookspecs")
        """),
    "broken_specs": source("""
        meta = PluginMeta("broken_specs", "1.0", hookspecs="broken_specs.nowhere")
        """),
    "future": source("""
        meta = PluginMeta("future", "1.0", requires=("payvand>=99.0",))
        """),
    "subscriber": source("""
        meta = PluginMeta("subscriber", "1.0")

        @hookimpl
        def payvand_subscriptions():
            return [Subscription("core.customer_created", print), Subscription("owner.nothing", print),
                    Subscription("elsewhere.maybe", print, optional=True)]
        """),
}
MODULES = {
    "owner": {"hookspecs.py": OWNER_SPECS},
    "clasher": {"hookspecs.py": source('''
        @hookspec
        def payvand_customer_created(customers):
            """Declared by the core already."""

        @hookspec
        def payvand_owner_items():
            """Declared by the owner already."""
        ''')},
}
EXPECTED = {
    "owner": [],
    "user_a": [],
    "user_b": [],
    "bad_args": ["hook payvand_owner_greeting takes unknown argument(s) person; the spec offers name"],
    "ghost_user": ["implements unknown hook 'payvand_ghost_hook'"],
    "clasher": ["declares hook 'payvand_customer_created', which the core declares already",
                "declares hook 'payvand_owner_items', which plugin 'owner' declares already"],
    "broken_specs": ["its hook specifications (broken_specs.nowhere) cannot be loaded: "
                     "ModuleNotFoundError: No module named 'broken_specs.nowhere'"],
    "future": [f"requires Payvand >=99.0, but this is Payvand {core_version}: upgrade Payvand, "
               "or install a version of the plugin made for this one"],
    "subscriber": ["subscribes to unknown event 'owner.nothing' (no installed plugin declares it; "
                   "pass optional=True if its owner may be missing)"],
}


@pytest.fixture
def contract_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugins above, installed through entry points."""
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path, SOURCES, modules=MODULES):
        yield


def _runtime(url: str, folder: Path, plugins: str) -> Runtime:
    return Runtime(build_config({"PAYVAND_DATABASE_URL": url, "PAYVAND_INSTANCE": str(folder),
                                 "PAYVAND_PLUGINS": plugins, "SECRET_KEY": "x"}))


def test_plugins_are_checked_against_the_hooks_other_plugins_declare(contract_plugins, payvand_database_url):
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check"])
    assert result.exit_code == 1
    for name, problems in EXPECTED.items():
        if problems:
            assert f"{name} 1.0: {len(problems)} problem(s)" in result.output, result.output
        else:
            assert f"{name} 1.0: ok" in result.output, result.output
        for problem in problems:
            assert f"  - {problem}\n" in result.output, (problem, result.output)


def test_a_plugins_hooks_are_called_like_the_kernels_first_result_and_veto_included(
        contract_plugins, payvand_database_url, tmp_path):
    from payvand.core.plugins import PluginError

    runtime = _runtime(payvand_database_url, tmp_path, "owner,user_a,user_b")
    try:
        assert runtime.activate_plugins() == ["owner", "user_a", "user_b"]
        plugins = runtime.plugins
        assert sorted(plugins.call("payvand_owner_items")) == ["a1", "a2", "b1"]
        assert plugins.call_first("payvand_owner_greeting", name="Sara") == "Salam, Sara"  # user_a answered None
        assert plugins.call("payvand_owner_greeting", name="Sara") == ["Salam, Sara"]
        with pytest.raises(ValueError, match="not a first-result hook"):
            plugins.call_first("payvand_owner_items")
        with pytest.raises(PluginError, match="Mallory may not"):
            plugins.call("payvand_owner_check", name="Mallory")  # a veto hook of the owner's module
    finally:
        runtime.engine.dispose()


def test_a_hook_is_refused_when_its_owner_is_not_installed(contract_plugins):
    installed = discover()
    without_owner = {name: plugin for name, plugin in installed.items() if name != "owner"}
    assert check_plugin(installed["user_a"], installed) == []
    assert check_plugin(without_owner["user_a"], without_owner) == [
        "implements unknown hook 'payvand_owner_greeting'", "implements unknown hook 'payvand_owner_items'"]
    manager = PluginManager(without_owner)
    assert manager.activate(["user_a", "ghost_user"]) == []  # the optional hook alone is no problem
    assert manager.problems["ghost_user"] == ["implements unknown hook 'payvand_ghost_hook'"]


def test_a_disabled_owner_still_declares_its_hooks(contract_plugins, payvand_database_url, tmp_path):
    runtime = _runtime(payvand_database_url, tmp_path, "user_b")
    try:
        assert runtime.activate_plugins() == ["user_b"]
        assert runtime.plugins.call("payvand_owner_items") == ["b1"]
    finally:
        runtime.engine.dispose()


def test_the_core_version_requirement():
    assert core_requirement_met([(">=", "0.1")], "0.1.0") is None
    assert core_requirement_met([(">=", "0.1"), ("<", "1")], "0.9.3") is None
    assert core_requirement_met([(">=", "0.2")], "0.1.0") == (
        "requires Payvand >=0.2, but this is Payvand 0.1.0: upgrade Payvand, "
        "or install a version of the plugin made for this one")
    assert core_requirement_met([("<", "1.0")], "1.0.0") is not None


def test_a_plugin_needing_a_newer_core_is_not_activated_and_payvand_is_no_plugin_name(contract_plugins):
    from payvand.sdk import PluginMeta

    installed = discover()
    manager = PluginManager(installed)
    assert manager.activate(["future", "owner"]) == ["owner"]  # "payvand>=0.1" is met, not a plugin to enable
    assert manager.problems["future"] == EXPECTED["future"]
    impostor = type("Impostor", (), {"meta": PluginMeta("payvand", "1.0")})()
    manager.add(impostor)
    assert "name 'payvand' is the core's (used in `requires` for the core version)" in check_plugin(
        manager.installed["payvand"], manager.installed)


def test_plugins_info_shows_the_hooks_a_plugin_offers_and_what_it_subscribes_to(contract_plugins,
                                                                                payvand_database_url):
    owner = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "info", "owner"]).output
    assert "offers hooks: payvand_owner_check, payvand_owner_greeting, payvand_owner_items\n" in owner
    assert "requires:     payvand>=0.1\n" in owner
    subscriber = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "info",
                                          "subscriber"]).output
    assert "subscribes:   core.customer_created, owner.nothing, elsewhere.maybe\n" in subscriber
