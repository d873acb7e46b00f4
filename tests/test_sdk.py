"""The SDK facade: its exports, `transaction()` and `setting()`."""

import ast
import pathlib
import types

import pytest

import payvand.sdk as sdk
from payvand.core.models import Interaction, Setting
from payvand.sdk import documents, pdf

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

    for module in (sdk, *sdk.GROUPS, *APART):
        own = [name for name, value in vars(module).items() if inspect.isfunction(value) and not name.startswith("_")
               and value.__module__ == module.__name__]
        assert sorted(set(own) - set(module.__all__)) == [], module.__name__


# --------------------------------------------------------------------------- grouped by purpose, stability

GROUPS = ("records", "hooks", "web", "lists", "i18n", "time", "mail", "messages")
#: The submodules not re-exported by the facade (imported from their own module).
APART = (pdf, documents)


def test_the_facade_re_exports_each_submodule_and_each_name_has_one_home():
    assert [group.__name__ for group in sdk.GROUPS] == [f"payvand.sdk.{name}" for name in GROUPS]
    assert sdk.__all__ == [name for group in sdk.GROUPS for name in group.__all__]
    assert len(sdk.__all__) == len(set(sdk.__all__))
    for group in sdk.GROUPS:
        for name in group.__all__:
            assert getattr(sdk, name) is getattr(group, name), f"{group.__name__}.{name}"
    assert sdk.PROVISIONAL == frozenset().union(*(group.PROVISIONAL for group in sdk.GROUPS))
    for module in APART:
        assert set(module.__all__).isdisjoint(sdk.__all__), module.__name__


def test_each_submodule_says_what_it_is_for_and_what_may_change():
    for module in (*sdk.GROUPS, *APART):
        assert module.__doc__ and module.__doc__.startswith(f"{module.__name__}: "), module.__name__
        assert "Stability:" in module.__doc__, module.__name__
        assert module.PROVISIONAL <= set(module.__all__), module.__name__
        for name in module.PROVISIONAL - {"FONT_WEIGHTS"}:
            assert f"`{name}`" in module.__doc__ or "every name is in `PROVISIONAL`" in module.__doc__, name


def _guide_tables() -> dict[str, dict[str, str]]:
    """`{module: {name: stability}}` read from the guide's section "SDK reference and stability"."""
    import re

    guide = (ROOT / "docs" / "integrator-guide.md").read_text(encoding="utf-8")
    section = guide.split("### SDK reference and stability\n", 1)[1]
    section = re.split(r"^### ", section, maxsplit=1, flags=re.MULTILINE)[0]
    tables: dict[str, dict[str, str]] = {}
    module = None
    for line in section.splitlines():
        heading = re.match(r"^#### .*?`(payvand\.sdk\.\w+)`", line)
        if heading:
            module = heading.group(1)
            tables.setdefault(module, {})
        elif line.startswith("| `") and module is not None:
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            for span in re.findall(r"`([^`]+)`", cells[0]):
                name = re.match(r"[A-Za-z_]\w*", span).group()
                assert name not in tables[module], f"{name} twice in the table of {module}"
                tables[module][name] = cells[-1]
    return tables


def test_the_guide_has_a_table_per_submodule_in_step_with_its_names_and_their_stability():
    tables = _guide_tables()
    assert set(tables) == {module.__name__ for module in (*sdk.GROUPS, *APART)}
    for module in (*sdk.GROUPS, *APART):
        expected = {name: "provisional" if name in module.PROVISIONAL else "stable" for name in module.__all__}
        assert tables[module.__name__] == expected, module.__name__


def test_a_moved_name_still_imports_from_the_facade_with_a_warning():
    with pytest.warns(DeprecationWarning, match=r"payvand\.sdk\.pdf\.font_path"):
        from payvand.sdk import font_path
    assert font_path is pdf.font_path
    assert set(sdk.MOVED).isdisjoint(sdk.__all__)
    with pytest.raises(ImportError):
        from payvand.sdk import quiet_gc  # noqa: F401  (pausing the GC is no plugin's business)


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
