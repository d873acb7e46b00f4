"""Checks of rendered pages that catch what a Persian user sees go wrong (re-exported by `payvand.sdk.testing`).

Pure functions over an HTML string (the standard library's parser; no browser needed):

* `unisolated(html, text)` — occurrences of a piece of user text (a name, a title, a product)
  that are not isolated from the text around them. Mixed Persian/English text such as
  "Ali (علی) Co." is reordered by the bidi algorithm (its parentheses and full stop jump to
  the other side) unless it sits in a `<bdi>`, in an element with `dir="auto"`, or between
  the Unicode isolates FSI (U+2068) and PDI (U+2069) — the way for `<title>`, `<option>`
  and translated messages that carry a value. `assert_isolated` fails with the contexts.
* `foreign_number_formats(html, locale)` — numbers grouped with the other language's
  thousands separator (`1,250,000` or `۱,۲۵۰` in a Persian page; `1٬250` in an English one):
  every page must go through one formatter.
* `english_words(html, allow=...)` — ASCII words in the visible text of a Persian page that
  are not user data: English left in the Persian UI. Text marked `lang="en"` (the language
  switch) and machine text (`<code>`, `<kbd>`, `dir="ltr"` values such as emails and phone
  numbers) is skipped; pass the test's own data (names, SKUs, e-mails) as `allow`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from payvand.core.locale_format import isolate

__all__ = ["FSI", "PDI", "assert_isolated", "english_words", "foreign_number_formats", "isolate",
           "unisolated", "visible_text"]

FSI = "\u2068"
PDI = "\u2069"
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_HIDDEN_TEXT = frozenset(("script", "style", "template"))
#: Words that are not English in a Persian page: our product's and standard formats' names.
ALWAYS_ALLOWED = frozenset({"Payvand", "CSV", "PDF", "API", "URL", "UTM", "IRR", "USD", "EUR", "SKU", "VAT",
                            "UTF", "ID", "OpenAPI", "JSON", "HTML", "SMTP", "Vazirmatn", "Bootstrap", "htmx",
                            "English"})  # the language switch names English in English


class _Walker(HTMLParser):
    """Collects (text, ancestors) pairs; ancestors are (tag, attrs) from the root down."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[str, tuple[tuple[str, dict[str, str | None]], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self._attribute_texts(tag, dict(attrs))
            return
        self.stack.append((tag, dict(attrs)))
        self._attribute_texts(tag, dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attribute_texts(tag, dict(attrs))

    def _attribute_texts(self, tag: str, attrs: dict[str, str | None]) -> None:
        """Attributes a user reads (placeholders, labels, tooltips, button values) count as text."""
        here = (*self.stack, (tag, attrs)) if tag in _VOID else tuple(self.stack)
        for name in ("placeholder", "aria-label", "title", "alt"):
            if attrs.get(name):
                self.texts.append((str(attrs[name]), (*here, ("@" + name, {}))))
        if tag == "input" and attrs.get("value") and (attrs.get("type") or "text") in (
                "submit", "button", "text", "search", "email"):
            self.texts.append((str(attrs["value"]), here))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((data, tuple(self.stack)))


def _texts(html: str) -> list[tuple[str, tuple[tuple[str, dict[str, str | None]], ...]]]:
    walker = _Walker()
    walker.feed(html)
    walker.close()
    return walker.texts


def _isolated_by_markup(ancestors: Iterable[tuple[str, dict[str, str | None]]]) -> bool:
    return any(tag == "bdi" or (attrs.get("dir") or "").lower() == "auto" for tag, attrs in ancestors)


def _within_isolates(text: str, start: int, end: int) -> bool:
    """True when [start, end) lies inside an FSI/LRI/RLI … PDI pair of `text`."""
    depth = 0
    for char in text[:start]:
        if char in "\u2066\u2067\u2068":
            depth += 1
        elif char == PDI and depth:
            depth -= 1
    if not depth:
        return False
    return PDI in text[end:]


def unisolated(html: str, text: str) -> list[str]:
    """Contexts of the occurrences of `text` in `html`'s text that are not bidi-isolated.

    An occurrence is isolated when an enclosing element is a `<bdi>` or has `dir="auto"`, or
    when it lies between FSI and PDI. Occurrences in readable attributes (placeholder, title,
    aria-label, alt) must be between FSI and PDI. Returns one line per offender, naming the
    enclosing tags, so a failing test says where to look.
    """
    found: list[str] = []
    for data, ancestors in _texts(html):
        start = data.find(text)
        while start != -1:
            in_attribute = bool(ancestors) and ancestors[-1][0].startswith("@")
            ok = _within_isolates(data, start, start + len(text)) or (
                not in_attribute and _isolated_by_markup(ancestors))
            if not ok:
                path = " > ".join(tag for tag, _ in ancestors[-4:])
                found.append(f"{path}: {data.strip()[:120]!r}")
            start = data.find(text, start + len(text))
    return found


def assert_isolated(html: str, *texts: str) -> None:
    """Fail unless every occurrence of each of `texts` in `html` is isolated (see `unisolated`).

    Also fails when a text does not occur at all, so a test cannot pass by rendering nothing.
    """
    problems: list[str] = []
    for text in texts:
        if text not in "".join(data for data, _ in _texts(html)):
            problems.append(f"{text!r} does not occur in the page")
        problems.extend(f"{text!r} not isolated in {where}" for where in unisolated(html, text))
    assert not problems, "User text must sit in <bdi>, dir=\"auto\" or FSI…PDI:\n" + "\n".join(problems)


_LATIN_GROUPED = re.compile(r"(?<![\w.,٬])[0-9]{1,3}(?:,[0-9]{3})+(?![\w,])")
_PERSIAN_COMMA = re.compile(r"[۰-۹](?:,[۰-۹]{3})+")
_ARABIC_SEPARATOR_LATIN = re.compile(r"[0-9]{1,3}(?:٬[0-9]{3})+")


def foreign_number_formats(html: str, locale: str) -> list[str]:
    """Numbers in the page's text grouped the other language's way.

    In ``fa`` every number is written by the one formatter with Persian digits and ٬; a
    `1,250,000` or a `۱,۲۵۰` means a page formatted a number itself. In ``en`` a ٬ between
    Latin digits is the same mistake the other way round. Returns the offending snippets.
    """
    found: list[str] = []
    for data, ancestors in _texts(html):
        if any(tag in _HIDDEN_TEXT for tag, _ in ancestors):
            continue
        patterns = (_LATIN_GROUPED, _PERSIAN_COMMA) if locale.startswith("fa") else (_ARABIC_SEPARATOR_LATIN,)
        for pattern in patterns:
            found.extend(match.group(0) for match in pattern.finditer(data))
    return found


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


def _machine_text(ancestors: Iterable[tuple[str, dict[str, str | None]]]) -> bool:
    for tag, attrs in ancestors:
        if tag in _HIDDEN_TEXT or tag in ("code", "kbd", "samp", "pre"):
            return True
        if (attrs.get("lang") or "").lower().startswith("en") or (attrs.get("dir") or "").lower() == "ltr":
            return True
    return False


def visible_text(html: str) -> str:
    """The page's readable text (no scripts or styles), one text node per line."""
    return "\n".join(data.strip() for data, ancestors in _texts(html)
                     if not any(tag in _HIDDEN_TEXT for tag, _ in ancestors))


def english_words(html: str, allow: Iterable[str] = ()) -> list[str]:
    """ASCII words of a Persian page's visible text that are neither user data nor allowed names.

    `allow` holds the test's own data: whole strings (a name "Ali (علی) Co.", an e-mail, a SKU)
    whose words are then accepted. Words inside `lang="en"`, `dir="ltr"`, `<code>`, `<kbd>`,
    `<pre>`, scripts and styles are skipped. Returns each offending word once, with its text.
    """
    allowed = {word.lower() for word in ALWAYS_ALLOWED}
    for item in allow:
        allowed.update(word.lower() for word in _WORD.findall(item))
    found: dict[str, str] = {}
    for data, ancestors in _texts(html):
        if _machine_text(ancestors):
            continue
        for word in _WORD.findall(data):
            if word.lower() not in allowed and word not in found:
                found[word] = data.strip()[:100]
    return [f"{word} (in {context!r})" for word, context in found.items()]
