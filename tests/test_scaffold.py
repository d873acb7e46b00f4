"""`payvand plugin new` writes a plugin that passes the checks and its own tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_results import assert_one_line_error, ok
from click.testing import CliRunner
from plugins_system.entrypoints import write_dist_info

from payvand.core.cli import cli


def _generate(tmp_path: Path, name: str = "loyalty_club") -> tuple[Path, dict[str, str]]:
    target = tmp_path / "plugin"
    ok(CliRunner().invoke(cli, ["plugin", "new", name, "--directory", str(target)]))
    dist = tmp_path / "dist"
    write_dist_info(dist, f"payvand_{name}", "0.1.0", {name: f"payvand_{name}"})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(dist), str(target)])}
    env.pop("PAYVAND_TEST_DATABASE_URL", None)  # keep the child run on SQLite: it is about the template
    return target, env


def test_generated_plugin_passes_its_own_tests(tmp_path):
    target, env = _generate(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=target, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_generated_plugin_passes_the_checks_after_migrating(tmp_path):
    target, env = _generate(tmp_path)
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    env["PAYVAND_INSTANCE"] = str(tmp_path / "instance")
    base = [sys.executable, "-m", "payvand.core.cli", "--database-url", url]
    for args in (["db", "upgrade"], ["plugins", "check", "loyalty_club"]):  # whatever else is installed
        result = subprocess.run([*base, *args], cwd=target, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "loyalty_club 0.1.0: ok" in result.stdout


def test_a_bad_name_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["plugin", "new", "Bad-Name", "--directory", str(tmp_path / "x")])
    assert_one_line_error(result, "lower-case")


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["plugin", "new", "fine", "--directory", str(tmp_path / "taken")])
    assert_one_line_error(result, "not empty")
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


def test_db_revision_for_a_plugin_imports_only_sqlalchemy_alembic_and_the_sdk(tmp_path):
    import ast

    target, env = _generate(tmp_path)
    models = target / "payvand_loyalty_club" / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + '''

class Card(Base):
    """A loyalty card, with every column type the SDK offers."""

    __tablename__ = "loyalty_club_card"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    balance = mapped_column(ExactDecimal(20, 4), nullable=False)
    extra = mapped_column(JSONText, nullable=True)
    issued_at = mapped_column(UTCDateTime, default=utcnow)
'''.replace("from payvand.sdk import Base, BigId, UTCDateTime, utcnow", ""), encoding="utf-8")
    text = models.read_text(encoding="utf-8").replace(
        "from payvand.sdk import Base, BigId, UTCDateTime, utcnow",
        "from payvand.sdk import Base, BigId, ExactDecimal, JSONText, UTCDateTime, utcnow")
    models.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    env["PAYVAND_INSTANCE"] = str(tmp_path / "instance")
    base = [sys.executable, "-m", "payvand.core.cli", "--database-url", url]
    for args in (["db", "upgrade"], ["db", "revision", "--plugin", "loyalty_club", "-m", "cards"],
                 ["db", "upgrade"], ["plugins", "check", "loyalty_club"]):
        result = subprocess.run([*base, *args], cwd=target, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (args, result.stdout + result.stderr)
    versions = target / "payvand_loyalty_club" / "migrations" / "versions"
    (revision,) = [p for p in versions.glob("*.py") if p.name not in ("__init__.py", "loyalty_club_0001_items.py")]
    source = revision.read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported <= {"__future__", "sqlalchemy", "alembic", "payvand.sdk"}, imported
    assert "payvand.core" not in source
    assert "payvand.sdk.ExactDecimal(" in source and "payvand.sdk.UTCDateTime(" in source
    assert "loyalty_club_card" in source


def test_the_next_steps_never_migrate_inside_the_plugins_folder(tmp_path):
    output = ok(CliRunner().invoke(cli, ["plugin", "new", "loyalty", "--directory", str(tmp_path / "p")]))
    steps = [line.strip() for line in output.splitlines()[1:]]
    assert steps == [f"python -m pip install -e {tmp_path / 'p'}", f"(cd {tmp_path / 'p'} && python -m pytest)",
                     "payvand db upgrade && payvand plugins check loyalty"]
    readme = (tmp_path / "p" / "README.md").read_text(encoding="utf-8")
    assert "deployment's folder" in readme and "cd " not in readme
