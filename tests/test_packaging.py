"""The distribution maps the top-level folders to `payvand.*` and lists every sub-package."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAPPED = {"core": "payvand.core", "plugins": "payvand.plugins", "sdk": "payvand.sdk"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = set()
    for folder, name in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *relative.parts]))
    assert found - listed == set(), "add these packages to pyproject.toml"
    assert listed - found == set(), "these listed packages do not exist"


def test_package_dirs_map_the_top_level_folders():
    assert _pyproject()["tool"]["setuptools"]["package-dir"] == {v: k for k, v in MAPPED.items()}


def test_readme_starts_with_the_two_commands():
    import re

    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks[0].strip() == "python -m pip install -e . && payvand demo"
    assert blocks[1].strip() == "python -m pip install -e '.[test]' && python -m pytest"


def test_ci_runs_the_readmes_test_command():
    import re

    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert blocks[1].strip() in ci_lines


def test_console_script_and_pytest_plugin_are_declared():
    project = _pyproject()["project"]
    assert project["scripts"]["payvand"] == "payvand.core.cli:main"
    assert project["entry-points"]["pytest11"]["payvand"] == "payvand.sdk.testing"
