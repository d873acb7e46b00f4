"""Which plugins are enabled: the database's PluginState, overridden by PAYVAND_PLUGINS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from payvand.core.runtime import Runtime


def runtime_with(tmp_path: Path, **config: Any) -> Runtime:
    return Runtime({"PAYVAND_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                    "PAYVAND_DISCOVER_PLUGINS": False, **config})


@pytest.mark.parametrize(("env", "configured", "expected"), [
    (None, None, None),  # the database decides
    ("sales,service", None, {"sales", "service"}),
    ("all", None, {"*"}),
    ("none", None, set()),
    ("", None, set()),
    ("sales", ["service"], {"service"}),  # the configuration key wins over the environment
    (None, "all", {"*"}),
    (None, "none", set()),
    (None, [], set()),
    (None, "sales, service", {"sales", "service"}),
])
def test_the_override_comes_from_configuration_then_environment(tmp_path, monkeypatch, env, configured, expected):
    if env is None:
        monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("PAYVAND_PLUGINS", env)
    assert runtime_with(tmp_path, PAYVAND_PLUGINS=configured).override() == expected


def test_enabled_state_is_recorded_per_deployment(runtime, payvand_database_url, tmp_path, monkeypatch):
    from plugins_system import every_hook_plugin

    monkeypatch.delenv("PAYVAND_PLUGINS", raising=False)
    config = {"PAYVAND_DATABASE_URL": payvand_database_url, "PAYVAND_DISCOVER_PLUGINS": False,
              "PAYVAND_EXTRA_PLUGINS": [every_hook_plugin]}
    first = Runtime(config)
    assert first.activate_plugins() == ["every_hook"]  # seen for the first time: enabled
    first.disable_plugin("every_hook")
    assert first.plugins.enabled == []
    other = Runtime({**config, "PAYVAND_PLUGIN_REFRESH_SECONDS": 0})  # another process of the deployment
    assert other.activate_plugins() == []
    first.enable_plugin("every_hook")
    assert other.refresh_plugins() is True  # it notices the change on its next look
    assert other.refresh_plugins() is False  # and does nothing while nothing changes
    assert other.plugins.enabled == ["every_hook"]
    for each in (first, other):
        each.engine.dispose()


def test_refresh_looks_at_the_database_at_most_every_interval(tmp_path):
    rt = runtime_with(tmp_path, PAYVAND_PLUGIN_REFRESH_SECONDS=3600)
    rt._checked_at = time.monotonic()
    assert rt.refresh_plugins() is False  # throttled: no query even though there is no schema
