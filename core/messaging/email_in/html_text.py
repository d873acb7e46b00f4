"""HTML mail to clean text (for `body` when a message has no plain part) and to safe HTML (`html`).

The text keeps the structure a reader needs: paragraphs and line breaks, list items as `- `,
quoted blocks (`<blockquote>`) as `> ` lines so the quote trimmer treats them like a plain
reply's quotes, and nothing of scripts, styles or the head. The stored HTML is sanitised by
nh3 (ammonia): no script, no event attributes, no styles, no `javascript:` links.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_BLOCK = frozenset({"p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol", "h1", "h2",
                    "h3", "h4", "h5", "h6", "pre", "hr", "address", "center", "form", "blockquote", "dl", "dt", "dd"})
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "iframe", "svg"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")

#: URL schemes kept in sanitised HTML: `cid:` lets an inline image refer to its attachment.
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _break(self) -> None:
        line = "".join(self.current)
        if not self.pre:
            line = _SPACES.sub(" ", line).strip()
        self.lines.append(("> " * self.quote) + line if line else "")
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip += 1
            return
        if self.skip:
            return
        if tag == "br":
            self._break()
        elif tag == "li":
            self._break()
            self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag in _BLOCK:
            self._break()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _BLOCK or tag == "li":
            self._break()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break()
                self.current.append(part)
        else:
            self.current.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document: blocks on their own lines, quotes as `> `, no markup."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; never let a broken page stop a message
        pass
    parser._break()
    text = "\n".join(line.rstrip() for line in parser.lines)
    return _BLANKS.sub("\n\n", text).strip()


#: Attributes kept on any element besides nh3's defaults: the text direction and language.
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRIBUTES["*"] = _ATTRIBUTES.get("*", set()) | {"dir", "lang"}
#: Elements dropped with everything inside them (nh3 keeps the text of other removed elements).
_DROPPED = {"script", "style", "title", "template", "noscript", "iframe", "object", "svg", "textarea", "select"}


def sanitize_html(html: str) -> str:
    """HTML safe to store and show: nh3's allow-list (no script, event attributes, styles, unsafe URLs)."""
    cleaned = nh3.clean(html, attributes=_ATTRIBUTES, clean_content_tags=_DROPPED, url_schemes=set(URL_SCHEMES),
                        link_rel="noopener noreferrer nofollow")
    return _BLANKS.sub("\n\n", cleaned).strip()
