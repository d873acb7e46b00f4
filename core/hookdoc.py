"""Render the hook reference (`docs/hooks.md`) from `core/hookspecs.py`, so the two never disagree.

Run `python -m payvand.core.hookdoc > docs/hooks.md`; a test fails when the file is stale.
"""

from __future__ import annotations

import inspect

from payvand.core import hookspecs

KINDS = (
    ("Registration hooks", "called once at start-up", (
        "payvand_blueprints", "payvand_cli", "payvand_permissions", "payvand_customer_fields",
        "payvand_nav_items", "payvand_jobs", "payvand_channels", "payvand_settings")),
    ("Contribution hooks", "called per request or computation", hookspecs.CONTRIBUTION_HOOKS),
    ("Data hooks", "SQL selectables other plugins read without importing the owner", hookspecs.DATA_HOOKS),
    ("Event hooks", "called after commit, through the outbox, with a batch", hookspecs.EVENT_HOOKS),
)


def spec_names() -> list[str]:
    """Every hook specification's name, in module order."""
    return [name for name, value in vars(hookspecs).items() if name.startswith("payvand_") and callable(value)]


def render() -> str:
    """The Markdown hook reference."""
    lines = [
        "# Hook reference",
        "",
        "Generated from `core/hookspecs.py` by `python -m payvand.core.hookdoc`; do not edit by hand.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    listed: set[str] = set()
    for title, when, names in KINDS:
        lines += [f"## {title}", "", f"*{when.capitalize()}.*", ""]
        for name in names:
            listed.add(name)
            lines += _render_one(name)
    rest = [n for n in spec_names() if n not in listed]
    if rest:
        lines += ["## Other hooks", ""]
        for name in rest:
            lines += _render_one(name)
    return "\n".join(lines).rstrip() + "\n"


def _render_one(name: str) -> list[str]:
    spec = getattr(hookspecs, name)
    signature = str(inspect.signature(spec)).replace("'", "")
    flags = []
    if name in hookspecs.EVENT_HOOKS:
        flags.append("event (after commit, batched)")
    if name in hookspecs.VETO_HOOKS:
        flags.append("may veto with `PluginError`")
    out = [f"### `{name}{signature}`", ""]
    if flags:
        out += ["*" + "; ".join(flags) + "*", ""]
    out += [inspect.cleandoc(spec.__doc__ or ""), ""]
    return out


if __name__ == "__main__":
    print(render(), end="")
