"""The documentation that is generated from code is up to date."""

import pathlib

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
