"""The documentation that is generated from code is up to date."""

import builtins
import os
import pathlib
import re
import shlex
import subprocess
import symtable
import sys
import tomllib
from pathlib import Path

import pytest

from payvand.core import hookdoc

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_hook_reference_is_generated_from_hookspecs():
    current = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert current == hookdoc.render(), "run: python -m payvand.core.hookdoc > docs/hooks.md"


def test_every_hookspec_is_in_the_reference():
    text = hookdoc.render()
    for name in hookdoc.spec_names():
        assert f"### `{name}(" in text


def test_every_image_and_local_link_in_the_docs_exists():
    import re

    missing = []
    for page in (ROOT / "docs").rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                missing.append(f"{page.relative_to(ROOT)} -> {target}")
    assert missing == []


# --------------------------------------------------------------------------- the integrator guide's code
#
# Every code block of docs/integrator-guide.md is checked: Python blocks compile and use only
# names they define or import (and those imports exist); blocks whose first line names a file
# (`# payvand_loyalty/api.py`, `{# .../cards.html #}`) are written into a plugin made with
# `payvand plugin new`, and the guide's shell blocks run in a temporary deployment folder with
# the real CLI — `pip install -e` is replaced by an entry point on PYTHONPATH, as in
# tests/test_scaffold.py — before the guide's own tests of that plugin run.

GUIDE = ROOT / "docs" / "integrator-guide.md"
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
_LABEL = re.compile(r"^(?:# |\{# )(\S+\.\w+)(?: #\})?$")


def guide_blocks() -> list[tuple[str, str, int]]:
    """(language, text, line) of every fenced block of the integrator guide."""
    text = GUIDE.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text[:m.start()].count("\n") + 1) for m in _BLOCK.finditer(text)]


def labelled_files() -> dict[str, str]:
    """The blocks whose first line names the file they are: path -> text."""
    files = {}
    for _, text, _ in guide_blocks():
        found = _LABEL.match(text.splitlines()[0])
        if found:
            files[found.group(1)] = text
    return files


def _python_blocks() -> list[tuple[str, int]]:
    return [(text, line) for language, text, line in guide_blocks() if language == "python"]


def _undefined_names(source: str) -> set[str]:
    """Global names a module's code reads that it neither defines nor imports, nor are builtins."""
    top = symtable.symtable(source, "<guide>", "exec")
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    missing: set[str] = set()

    def visit(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if symbol.is_referenced() and (symbol.is_global() or table is top) and not symbol.is_assigned() \
                    and not symbol.is_imported() and name not in defined and not hasattr(builtins, name) \
                    and not symbol.is_parameter():
                missing.add(name)
        for child in table.get_children():
            visit(child)

    visit(top)
    return missing


@pytest.mark.parametrize("source, line", _python_blocks(), ids=[f"line {n}" for _, n in _python_blocks()])
def test_every_python_block_of_the_guide_uses_only_names_that_exist(source, line):
    import ast
    import importlib.util

    from payvand import sdk

    compile(source, f"integrator-guide.md:{line}", "exec")
    assert _undefined_names(source) == set()
    own = {path.removesuffix(".py").replace("/", ".").removesuffix(".__init__") for path in labelled_files()}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "payvand.sdk":
                assert [a.name for a in node.names if not hasattr(sdk, a.name)] == []
            elif node.module in own or node.module.split(".")[0] == "payvand_loyalty":
                assert node.module in own or all(f"{node.module}.{a.name}" in own for a in node.names), node.module
            else:
                assert node.module.split(".")[0] != "payvand" or node.module.startswith("payvand.sdk"), node.module
                assert importlib.util.find_spec(node.module) is not None, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert importlib.util.find_spec(alias.name.split(".")[0]) is not None, alias.name


def test_every_block_of_the_guide_is_checked_by_these_tests():
    checked = {"python", "sh", "toml", "jinja", ""}
    assert {language for language, _, _ in guide_blocks()} <= checked
    for language, text, line in guide_blocks():
        if language in ("jinja",):
            assert _LABEL.match(text.splitlines()[0]), f"line {line}: a template block names its file"


def test_the_layout_in_the_guide_is_what_the_scaffold_writes(tmp_path):
    from payvand.core.scaffold import new_plugin

    (layout,) = [text for language, text, _ in guide_blocks() if language == "" and text.startswith("payvand-loyalty/")]
    listed, stack = set(), []
    for row in layout.splitlines()[1:]:
        depth = (len(row) - len(row.lstrip(" "))) // 2 - 1
        name = row.split()[0]
        stack[depth:] = [name.rstrip("/")]
        if not name.endswith("/"):
            listed.add("/".join(stack))
    written = {p.relative_to(tmp_path / "x").as_posix() for p in new_plugin("loyalty", tmp_path / "x", "Loyalty points")}
    assert listed == written


def test_the_pyproject_in_the_guide_matches_the_scaffold(tmp_path):
    from payvand.core.scaffold import new_plugin

    (toml_text,) = [text for language, text, _ in guide_blocks() if language == "toml"]
    guide = tomllib.loads(toml_text)
    new_plugin("loyalty", tmp_path / "x", "Loyalty points")
    made = tomllib.loads((tmp_path / "x" / "pyproject.toml").read_text(encoding="utf-8"))
    assert guide["project"]["entry-points"] == made["project"]["entry-points"]
    assert (guide["project"]["name"], guide["project"]["version"]) == (made["project"]["name"], made["project"]["version"])


def _curl_request(curl: str, token: str) -> tuple[str, dict[str, str], bytes]:
    """The path, headers and body of a `curl -H ... -d ... URL` block of the guide."""
    words = shlex.split(curl.replace("\\\n", " ").replace("$TOKEN", token))
    headers = dict(h.split(": ", 1) for h in (words[i + 1] for i, w in enumerate(words) if w == "-H"))
    body = words[words.index("-d") + 1]
    path = words[-1].split("://", 1)[1].split("/", 1)[1]
    return "/" + path, headers, body.encode()


def test_the_curl_examples_create_the_customers_they_describe(api):
    curls = [text for language, text, _ in guide_blocks() if language == "sh" and text.startswith("curl ")]
    assert len(curls) >= 2
    path, headers, body = _curl_request(curls[0], api.token)
    first = api.client.post(path, data=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["phones"][0]["value"] == "+989123456789"  # "Phones are stored in E.164"
    for curl in curls[1:]:
        path, headers, body = _curl_request(curl, api.token)
        created = api.client.post(path, data=body, headers=headers)
        assert created.status_code == 201, created.get_json()
        if "Idempotency-Key" in headers:  # "the same key when you retry": the first answer again
            again = api.client.post(path, data=body, headers=headers)
            assert again.headers.get("Idempotent-Replayed") == "true"
            assert again.get_data() == created.get_data()


FAKE_PIP = '''
"""`pip install -e PROJECT` for the docs tests: its entry points on PYTHONPATH, no build."""
import pathlib, sys, tomllib
project, site = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
if not (project / "pyproject.toml").is_file():  # a distribution's name: it must be installed already
    import importlib.metadata
    print(f"Requirement already satisfied: {project.name} {importlib.metadata.version(project.name)}")
    sys.exit(0)
meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
info.mkdir(parents=True, exist_ok=True)
(info / "METADATA").write_text(f"Metadata-Version: 2.1\\nName: {meta['name']}\\nVersion: {meta['version']}\\n")
groups = meta.get("entry-points", {}).items()
lines = [f"[{group}]\\n" + "".join(f"{k} = {v}\\n" for k, v in eps.items()) for group, eps in groups]
(info / "entry_points.txt").write_text("".join(lines))
print(f"Successfully installed {meta['name']}-{meta['version']}")
'''

SHIM = '''
set -euo pipefail
python() {
  if [ "${1:-}" = "-m" ] && [ "${2:-}" = "pip" ] && [ "${3:-}" = "install" ]; then
    shift 3; if [ "${1:-}" = "-e" ]; then shift; fi
    if [ ! -d "$1" ]; then command python "$DOCS_FAKE_PIP" "$1" "$DOCS_SITE"; return; fi
    local project; project="$(cd "$1" && pwd)"
    command python "$DOCS_FAKE_PIP" "$project" "$DOCS_SITE"
    export PYTHONPATH="$PYTHONPATH:$project"
  else
    command python "$@"
  fi
}
'''


def _run_shell(block: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["bash", "-c", SHIM + block], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, block + "\n" + result.stdout + result.stderr
    return result


def _plugin_shell_blocks() -> list[str]:
    """The guide's shell blocks about writing a plugin (the quick start and the migrations)."""
    return [text for language, text, _ in guide_blocks() if language == "sh" and "payvand " in text.split("\n")[0]]


def test_every_shell_block_of_the_guide_is_run_by_a_test():
    shells = [text for language, text, _ in guide_blocks() if language == "sh"]
    run = [*_plugin_shell_blocks(), _generator_block()]
    assert sorted(run + [t for t in shells if t.startswith("curl -s -H")]) == sorted(shells)


def _generator_block() -> str:
    (block,) = [text for language, text, _ in guide_blocks() if language == "sh" and "openapi-python-client" in text]
    return block


@pytest.mark.slow
def test_the_client_generation_example_makes_a_client(client, tmp_path):
    (tmp_path / "served.json").write_text(client.get("/api/v1/openapi.json").get_data(as_text=True), encoding="utf-8")
    (tmp_path / "fake_pip.py").write_text(FAKE_PIP, encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "DOCS_FAKE_PIP": str(tmp_path / "fake_pip.py"), "DOCS_SITE": str(tmp_path), "PYTHONPATH": str(tmp_path),
           "DOCS_OPENAPI": str(tmp_path / "served.json")}
    curl = ('curl() { local out=""; while [ $# -gt 0 ]; do [ "$1" = "-o" ] && out="$2"; shift; done; '
            'cp "$DOCS_OPENAPI" "$out"; }\n')
    _run_shell(curl + _generator_block(), tmp_path, env)  # curl: the served document, without a server
    assert (tmp_path / "payvand_client" / "api" / "customers" / "customers_list.py").is_file()


@pytest.mark.slow
def test_the_guides_plugin_is_built_migrated_and_tested_as_the_guide_says(tmp_path):
    quick_start, migrations = _plugin_shell_blocks()
    work, site = tmp_path / "crm", tmp_path / "site"
    work.mkdir()
    site.mkdir()
    (tmp_path / "fake_pip.py").write_text(FAKE_PIP, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYVAND_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(site),
               DOCS_FAKE_PIP=str(tmp_path / "fake_pip.py"), DOCS_SITE=str(site))

    started = _run_shell(quick_start, work, env)  # scaffold, install, its own tests, migrate, check
    database = work / "instance" / "payvand.sqlite3"
    assert database.is_file() and not (work / "payvand-loyalty" / "instance").exists()
    assert f"Database: sqlite:///{database}\n" in started.stderr
    assert "loyalty 0.1.0: ok" in started.stdout

    plugin = work / "payvand-loyalty"
    for path, text in labelled_files().items():  # the guide's cards replace the template's items
        (plugin / path).parent.mkdir(parents=True, exist_ok=True)
        (plugin / path).write_text(text, encoding="utf-8")
    env["PYTHONPATH"] = f"{site}{os.pathsep}{plugin}"
    migrated = _run_shell(migrations, work, env)
    assert "loyalty 0.1.0: ok" in migrated.stdout
    (revision,) = (plugin / "payvand_loyalty" / "migrations" / "versions").glob("*_cards.py")
    assert "loyalty_card" in revision.read_text(encoding="utf-8")
    assert not (plugin / "instance").exists()

    tested = _run_shell("cd payvand-loyalty && python -m pytest -q -p no:cacheprovider", work, env)
    assert re.search(r"\b5 passed\b", tested.stdout), tested.stdout
