"""Discovery and validation: broken plugins are isolated, and every incompatibility is reported."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_results import without_database_line
from click.testing import CliRunner

from payvand.core.cli import cli
from payvand.core.config import build_config
from payvand.core.db import metadata
from payvand.core.plugins import (
    InstalledPlugin,
    PluginManager,
    check_plugin,
    discover,
    parse_requirement,
    requirement_met,
)
from payvand.core.runtime import Runtime
from payvand.sdk import PluginMeta, hookimpl
from plugins_system.generated import plugins_installed

HEADER = "from payvand.sdk import CustomerField, PermissionSpec, PluginMeta, hookimpl\n"


def source(body: str) -> str:
    """A plugin module: the SDK import, then `body`."""
    return HEADER + textwrap.dedent(body)


SOURCES = {
    "chk_broken": "import a_module_that_does_not_exist\n",
    "chk_nometa": "VERSION = '1'\n",
    "chk_base": source("""
        meta = PluginMeta("chk_base", "1.0")

        @hookimpl
        def payvand_customer_created(customers):
            return None  # a no-op: only the signature matters here
        """),
    "chk_unknown": source("""
        meta = PluginMeta("chk_unknown", "1.0")

        @hookimpl
        def payvand_customer_creatd(customers):
            return None  # a no-op: only the signature matters here
        """),
    "chk_args": source("""
        meta = PluginMeta("chk_args", "1.0")

        @hookimpl
        def payvand_customer_created(customer):
            return None  # a no-op: only the signature matters here

        @hookimpl
        def payvand_customer_panels(customer, *, viewer):
            return None  # a no-op: only the signature matters here
        """),
    "chk_unmarked": source("""
        meta = PluginMeta("chk_unmarked", "1.0")

        def payvand_customer_fields():
            return []
        """),
    "chk_requires": source("""
        meta = PluginMeta("chk_requires", "1.0", requires=["chk_base>=2.0", "chk_ghost", "chk_broken"])
        """),
    "chk_tables": source("""
        import sqlalchemy as sa
        from payvand.sdk import Base

        meta = PluginMeta("chk_tables", "1.0")
        thing = sa.Table("chk_tables_thing", Base.metadata, sa.Column("id", sa.Integer, primary_key=True))
        """),
    "chk_unapplied": source("""
        meta = PluginMeta("chk_unapplied", "1.0")
        """),
    "chk_badreg": source("""
        meta = PluginMeta("chk_badreg", "1.0")

        @hookimpl
        def payvand_permissions():
            return [PermissionSpec("sales.deal.edit"), "chk_badreg.x.view"]

        @hookimpl
        def payvand_customer_fields():
            return [CustomerField("tier")]
        """),
    "chk_named": source("""
        meta = PluginMeta("chk_other_name", "1.0")
        """),
}
EXPECTED = {
    "chk_broken": ["cannot be loaded: ModuleNotFoundError: No module named 'a_module_that_does_not_exist'"],
    "chk_nometa": ["cannot be loaded: TypeError: plugin has no `meta = PluginMeta(...)`"],
    "chk_base": [],
    "chk_unknown": ["implements unknown hook 'payvand_customer_creatd'"],
    "chk_args": [
        "hook payvand_customer_created takes unknown argument(s) customer; the spec offers customers",
        ("hook payvand_customer_panels takes keyword-only argument(s) viewer; hook arguments are passed "
         "by position, list them as ordinary parameters"),
    ],
    "chk_unmarked": ["payvand_customer_fields looks like a hook but is not marked with @hookimpl"],
    "chk_requires": [
        "requires chk_base>=2.0, but chk_base 1.0 is installed",
        "requires plugin 'chk_ghost', which is not installed",
        "requires plugin 'chk_broken', which cannot be loaded",
    ],
    "chk_tables": ["declares table(s) chk_tables_thing but ships no migrations/versions folder"],
    "chk_unapplied": [
        "its migrations are not applied: run `payvand plugins enable chk_unapplied` or `payvand db upgrade`"],
    "chk_badreg": [
        "payvand_customer_fields: 'tier' must be named 'chk_badreg.<...>'",
        "payvand_permissions: 'sales.deal.edit' must be named 'chk_badreg.<...>'",
        "payvand_permissions returned a str, not a PermissionSpec",
    ],
    "chk_named": ["entry point is named 'chk_named' but meta.name is 'chk_other_name'"],
}


@pytest.fixture
def broken_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """All the plugins above, installed through entry points; the database decides what is enabled."""
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path, SOURCES, migrations={"chk_unapplied": "c0ffee000001"}):
        yield
    if "chk_tables_thing" in metadata.tables:
        metadata.remove(metadata.tables["chk_tables_thing"])


def test_a_broken_plugin_does_not_stop_the_others_loading(broken_plugins):
    found = discover()
    assert set(SOURCES) <= set(found)
    assert found["chk_broken"].obj is None and "a_module_that_does_not_exist" in found["chk_broken"].load_error
    assert found["chk_base"].load_error is None and found["chk_base"].version == "1.0"


def test_check_reports_every_problem_of_every_plugin_at_once(broken_plugins, payvand_database_url):
    result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for name, problems in EXPECTED.items():
        version = "?" if name in ("chk_broken", "chk_nometa") else "1.0"
        if problems:
            assert f"{name} {version}: {len(problems)} problem(s)" in result.output, result.output
        else:
            assert f"{name} {version}: ok" in result.output
        for problem in problems:
            assert f"  - {problem}\n" in result.output, (problem, result.output)
    total = sum(len(p) for p in EXPECTED.values())
    broken = sum(1 for p in EXPECTED.values() if p)
    assert result.output.rstrip().endswith(f"Error: {total} problem(s) in {broken} of {len(EXPECTED)} plugin(s)")


def test_list_and_info_show_broken_plugins_without_failing(broken_plugins, payvand_database_url):
    listed = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "list"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split()[1:5] for line in listed.stdout.splitlines()[1:len(SOURCES) + 1]}
    assert rows["chk_broken"] == ["?", "failed", "no", "0"]  # enabled here, but it fails its checks
    assert rows["chk_base"] == ["1.0", "yes", "yes", "0"]
    info = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "info", "chk_broken"])
    assert info.exit_code == 0, info.output
    assert "problem:      cannot be loaded: ModuleNotFoundError" in info.output
    refused = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "enable", "chk_args"])
    assert refused.exit_code == 1
    assert without_database_line(refused.stderr).startswith(
        "Error: cannot enable chk_args: hook payvand_customer_created takes unknown"
    )
    disabled = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "disable", "chk_nometa"])
    assert disabled.exit_code == 0, disabled.output  # a broken plugin can always be switched off


def test_check_passes_with_exit_0_when_all_plugins_are_sound(tmp_path, payvand_database_url, monkeypatch):
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    with plugins_installed(tmp_path, {"chk_base": SOURCES["chk_base"]}):
        result = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "chk_base 1.0: ok\n"


def test_the_runtime_activates_only_the_sound_plugins_and_keeps_the_problems(broken_plugins, payvand_database_url,
                                                                            tmp_path):
    runtime = Runtime(build_config({"PAYVAND_DATABASE_URL": payvand_database_url, "PAYVAND_INSTANCE": str(tmp_path),
                                    "PAYVAND_PLUGINS": "all", "SECRET_KEY": "x"}))
    try:
        enabled = runtime.activate_plugins()
        assert enabled == ["chk_badreg", "chk_base"]  # registration problems are skipped, not fatal
        assert runtime.plugins.problems["chk_requires"][0] == "requires chk_base>=2.0, but chk_base 1.0 is installed"
        assert runtime.plugins.problems["chk_unapplied"] == EXPECTED["chk_unapplied"]
        assert runtime.customer_fields() == {}  # chk_badreg's unprefixed field is ignored
    finally:
        runtime.engine.dispose()


def test_a_plugin_whose_requirement_is_not_enabled_is_not_activated():
    base = type("Base", (), {"meta": PluginMeta("base_p", "1.0")})()
    child = type("Child", (), {"meta": PluginMeta("child_p", "1.0", requires=["base_p"])})()
    manager = PluginManager()
    manager.add(base)
    manager.add(child)
    assert manager.activate(["child_p"]) == []
    assert manager.problems["child_p"] == ["requires plugin 'base_p', which is not enabled"]
    assert manager.activate(["child_p", "base_p"]) == ["base_p", "child_p"]


@pytest.mark.parametrize(("requirement", "installed_version", "met"), [
    ("sales", "0.1", True),
    ("sales>=1.2", "1.10", True),
    ("sales>=1.2", "1.1.9", False),
    ("sales>=1.0,<2", "2.0", False),
    ("sales>=1.0,<2", "1.9.9", True),
    ("sales==1.0", "1.0.0", True),
    ("sales!=1.3", "1.3", False),
    ("sales>1", "1.0.1", True),
])
def test_requirements_with_version_constraints(requirement, installed_version, met):
    installed = {"sales": InstalledPlugin("sales", obj=object(), meta=PluginMeta("sales", installed_version))}
    assert (requirement_met(requirement, installed) is None) is met


def test_a_malformed_requirement_is_a_problem():
    assert parse_requirement("sales >= 1.0")[1] == [(">=", "1.0")]
    with pytest.raises(ValueError):
        parse_requirement("sales ~ 1")
    plugin = InstalledPlugin("p_x", obj=object(), meta=PluginMeta("p_x", "1", requires=["Sales!"]))
    assert check_plugin(plugin, {"p_x": plugin}) == ["malformed requirement 'Sales!'"]


def test_a_requirement_cycle_is_reported():
    a = InstalledPlugin("p_a", obj=object(), meta=PluginMeta("p_a", "1", requires=["p_b"]))
    b = InstalledPlugin("p_b", obj=object(), meta=PluginMeta("p_b", "1", requires=["p_a"]))
    assert check_plugin(a, {"p_a": a, "p_b": b}) == ["requirements form a cycle: p_a -> p_b -> p_a"]


def test_a_wrapper_hookimpl_is_refused():
    class Wrapper:
        meta = PluginMeta("wrapper_p", "1")

        @hookimpl(wrapper=True)
        def payvand_customer_created(self, customers):
            """Wrap."""
            return (yield)

    plugin = InstalledPlugin("wrapper_p", obj=Wrapper(), meta=Wrapper.meta)
    assert check_plugin(plugin, {"wrapper_p": plugin}) == [
        "hook payvand_customer_created is declared as a wrapper, which Payvand does not support"]


def test_check_reports_every_problem_of_a_plugin_without_meta_and_list_does_not_call_it_enabled(
        tmp_path, payvand_database_url, monkeypatch):
    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    source = textwrap.dedent("""
        from payvand.sdk import hookimpl

        @hookimpl
        def payvand_customer_creatd(customers):
            pass

        def payvand_customer_fields():
            return []
        """)
    with plugins_installed(tmp_path, {"chk_many": source}):
        check = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check"])
        listed = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "list", "--json"])
    assert check.exit_code == 1
    assert check.stdout.splitlines() == [
        "chk_many ?: 3 problem(s), not loaded",
        "  - cannot be loaded: TypeError: plugin has no `meta = PluginMeta(...)`",
        "  - implements unknown hook 'payvand_customer_creatd'",
        "  - payvand_customer_fields looks like a hook but is not marked with @hookimpl",
    ]
    import json

    (row,) = json.loads(listed.stdout)
    assert (row["enabled"], row["active"], row["fails_checks"], len(row["problems"])) == (False, False, True, 3)


def test_check_can_be_limited_to_named_plugins(broken_plugins, payvand_database_url):
    only = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check", "chk_base"])
    assert only.exit_code == 0, only.output
    assert only.stdout == "chk_base 1.0: ok\n"
    broken = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check", "chk_base", "chk_unknown"])
    assert broken.exit_code == 1 and "chk_unknown 1.0: 1 problem(s), not loaded" in broken.stdout
    unknown = CliRunner().invoke(cli, ["--database-url", payvand_database_url, "plugins", "check", "nope"])
    assert unknown.exit_code == 1 and "no installed plugin is named 'nope'; installed: chk_args" in unknown.stderr
