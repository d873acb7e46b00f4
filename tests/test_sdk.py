"""The SDK facade: its exports, `transaction()` and `setting()`."""

import ast
import pathlib
import types

import pytest

import payvand.sdk as sdk
from payvand.core.models import Interaction, Setting

ROOT = pathlib.Path(__file__).resolve().parent.parent

settings_plugin = types.ModuleType("sdk_settings_plugin")
settings_plugin.meta = sdk.PluginMeta(name="sdksettings", version="1.0")


@sdk.hookimpl
def _settings():
    return [sdk.SettingSpec("sdksettings.greeting", "سلام", label="Greeting")]


settings_plugin.payvand_settings = _settings


@pytest.fixture
def payvand_plugins():
    return [settings_plugin]


def test_every_exported_name_exists():
    for name in sdk.__all__:
        assert hasattr(sdk, name), name


def test_every_exported_name_is_in_the_integrator_guide():
    guide = (ROOT / "docs" / "integrator-guide.md").read_text(encoding="utf-8")
    missing = [name for name in sdk.__all__ if f"`{name}" not in guide and f" {name}`" not in guide
               and f", {name}" not in guide and f"{name}(" not in guide]
    assert missing == []


def test_every_public_function_of_the_sdk_is_exported():
    import inspect

    own = [name for name, value in vars(sdk).items() if inspect.isfunction(value) and not name.startswith("_")
           and value.__module__ == sdk.__name__]
    assert sorted(set(own) - set(sdk.__all__)) == []


def test_example_plugin_imports_only_the_sdk():
    for path in (ROOT / "tests" / "example_plugin" / "payvand_example").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "payvand":
                assert node.module.startswith("payvand.sdk"), f"{path}: imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("payvand.core"), f"{path}: imports {alias.name}"


def test_transaction_commits_and_makes_the_session_current(app, make_customer, runtime):
    customer = make_customer()
    with app.app_context():
        with sdk.transaction() as session:
            assert sdk.session() is session
            sdk.record_interaction(customer.id, "sdktest.ping", "web", "from a script")
    with runtime.sessionmaker() as session:
        kinds = [i.kind for i in session.query(Interaction).filter_by(customer_id=customer.id)]
    assert kinds == ["sdktest.ping"]


def test_transaction_rolls_back_on_error(app, make_customer, runtime):
    customer = make_customer()
    with app.app_context(), pytest.raises(RuntimeError):
        with sdk.transaction():
            sdk.record_interaction(customer.id, "sdktest.ping", "web", "lost")
            raise RuntimeError("boom")
    with runtime.sessionmaker() as session:
        assert session.query(Interaction).filter_by(customer_id=customer.id).count() == 0


def test_setting_returns_the_declared_default_then_the_stored_value(app):
    with app.app_context():
        with sdk.transaction() as session:
            assert sdk.setting("sdksettings.greeting") == "سلام"
            session.add(Setting(key="sdksettings.greeting", value="درود"))
        with sdk.transaction():
            assert sdk.setting("sdksettings.greeting") == "درود"
            with pytest.raises(KeyError):
                sdk.setting("nobody.declares.this")
