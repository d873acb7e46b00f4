"""Keep the staff UI's translation catalogs complete: extract, merge, compile and check.

    python scripts/i18n.py update   # extract strings, update fa/en catalogs, compile .mo
    python scripts/i18n.py check    # list strings without a Persian translation (exit 1)

Each package in PACKAGES (the core and every first-party plugin) has its own catalogs in its
`translations/` folder (Payvand loads every plugin's folder). Strings come from `_()`, `_l()`,
`gettext`, `lazy_gettext` and `ngettext` in the package's `**.py` and from its
`templates/**.html`. Translations written as `{"msgid": "msgstr"}` in
`<package>/translations/parts/*.json` fill empty Persian entries (a way to add many at once).
The `.po` files are the source of truth; the compiled `.mo` files are committed so an
install needs no build step (`tests/test_translations.py` checks both are in step).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
TRANSLATIONS = CORE / "translations"
#: Every package with its own catalogs.
PACKAGES = (CORE, ROOT / "plugins" / "sales", ROOT / "plugins" / "sms", ROOT / "plugins" / "service",
            ROOT / "plugins" / "analytics")
LOCALES = ("fa", "en")
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2),
            "lazy_ngettext": (1, 2), "N_": None}
METHODS = [("translations/**", "ignore"), ("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"templates/**.html": {"trimmed": "true", "extensions": "jinja2.ext.do"}}


def extract(package: Path = CORE) -> Catalog:
    """Every translatable string of `package`, with its locations."""
    template = Catalog(project="Payvand", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        package, METHODS, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        where = str(package.relative_to(ROOT) / filename)
        template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def _po_path(locale: str, package: Path = CORE) -> Path:
    return package / "translations" / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(locale: str, package: Path = CORE) -> Catalog:
    """The catalog of `locale` in `package` as stored (empty when there is none yet)."""
    path = _po_path(locale, package)
    if not path.exists():
        return Catalog(locale=locale, project="Payvand", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def parts(package: Path = CORE) -> dict[str, str]:
    """Persian translations collected in `<package>/translations/parts/*.json`."""
    merged: dict[str, str] = {}
    for path in sorted((package / "translations" / "parts").glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def update(package: Path = CORE) -> None:
    """Extract, update both catalogs of `package` from the template, fill Persian from parts, compile."""
    template = extract(package)
    extra = parts(package)
    for locale in LOCALES:
        catalog = read_catalog(locale, package)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        if locale == "fa":
            # One plural rule in every package's catalog: Flask-Babel merges the catalogs under one
            # plural function, so a catalog with one form gave "2 fields changed" in English.
            catalog._num_plurals, catalog._plural_expr = 2, "(n > 1)"
        for message in catalog:
            if not message.id:
                continue
            if locale == "en":
                message.string = message.id
            elif isinstance(message.id, str):
                if not message.string and extra.get(message.id):
                    message.string = extra[message.id]
            elif not any(message.string or ()):
                # A plural: the part file translates the singular (Persian uses one form for all counts).
                text = extra.get(message.id[0]) or extra.get(message.id[1])
                if text:
                    message.string = tuple(text for _ in range(catalog.num_plurals))
            elif locale == "fa":  # Persian uses one form for all counts: every plural index gets it
                first = next(text for text in message.string if text)
                message.string = tuple(text or first for text in (*message.string, first)[:catalog.num_plurals])
            message.flags.discard("fuzzy")
        catalog.obsolete.clear()
        path = _po_path(locale, package)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_previous=False)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)


def missing(locale: str = "fa", package: Path = CORE) -> list[str]:
    """The msgids of `package` with no translation in `locale` (checked against a fresh extraction)."""
    catalog = read_catalog(locale, package)
    result = []
    for message in extract(package):
        if not message.id:
            continue
        stored = catalog.get(message.id, context=message.context)
        strings = stored.string if stored is not None else None
        if not strings or (isinstance(strings, (list, tuple)) and not all(strings)):
            result.append(message.id if isinstance(message.id, str) else message.id[0])
    return result


def main(argv: list[str]) -> int:
    """Run `update` or `check`."""
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        for package in PACKAGES:
            update(package)
            print(f"{package.relative_to(ROOT)}: catalogs updated; "
                  f"{len(missing('fa', package))} strings still need a Persian translation")
        return 0
    if command == "check":
        gaps = [(package, msgid) for package in PACKAGES for msgid in missing("fa", package)]
        for package, msgid in gaps:
            print(f"{package.relative_to(ROOT)}: {msgid}")
        return 1 if gaps else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
