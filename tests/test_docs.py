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
