"""The new text of a reply: quoted earlier messages and signatures trimmed (for `summary`).

A line-based reading, the way people's mail programs write replies:

- `>` lines are quotes (anywhere in the message);
- a reply header ends the new text: English `On <date>, <name> wrote:` (Gmail, Apple Mail,
  Thunderbird; it may wrap onto a second line), Persian `در <date>، <name> نوشت:` (Gmail in
  Persian, with its direction marks), Outlook's `-----Original Message-----` or
  `----- پیام اصلی -----`, Outlook's `From:` block (a `From:`/`از:` line followed within three
  lines by `Sent:`/`Date:`/`To:`/`Subject:` or their Persian names), an underscore rule before it;
- a signature starts at `-- ` (the RFC 3676 separator) and is dropped;
- a forwarded message (`---------- Forwarded message ---------`) ends the new text too.

If nothing is left (a bare forward, a message of quotes only), the whole text without its `>`
marks is used instead, so the summary is never empty for a message that has words.
"""

from __future__ import annotations

import re

#: The longest summary (characters); longer text is cut at a word boundary with an ellipsis.
SUMMARY_LENGTH = 500

_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ON_WROTE = re.compile(r"^\s*On\s.+\bwrote:\s*$", re.IGNORECASE)
_ON_START = re.compile(r"^\s*On\s.+", re.IGNORECASE)
_WROTE_END = re.compile(r"\bwrote:\s*$", re.IGNORECASE)
_FA_WROTE = re.compile(r"^\s*در\s.+\sنوشت\s*:?\s*$")
_FA_START = re.compile(r"^\s*در\s.+")
_FA_WROTE_END = re.compile(r"\sنوشت\s*:?\s*$")
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(?:Original Message|پیام اصلی|Forwarded message|پیام بازارسال شده|"
                       r"Begin forwarded message:?)\s*-*\s*$", re.IGNORECASE)
_FORWARD_APPLE = re.compile(r"^\s*Begin forwarded message:\s*$", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_FROM = re.compile(r"^\s*\*?(?:From|از|فرستنده)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(r"^\s*\*?(?:Sent|Date|To|Subject|Cc|ارسال شده|ارسال|تاریخ|به|موضوع)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s?$")
_QUOTE = re.compile(r"^\s*>")
_BLANKS = re.compile(r"\n{3,}")


def _is_outlook_block(lines: list[str], index: int) -> bool:
    if not _FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1:index + 5] if line.strip()]
    return any(_OUTLOOK_FIELD.match(line) for line in following[:3])


def _header_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _ON_WROTE.match(line) or _FA_WROTE.match(line) or _ORIGINAL.match(line) or _FORWARD_APPLE.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if _ON_START.match(line) and _WROTE_END.search(following):
        return True
    if _FA_START.match(line) and _FA_WROTE_END.search(following):
        return True
    if _RULE.match(line) and index + 1 < len(lines) and _is_outlook_block(lines, index + 1):
        return True
    return _is_outlook_block(lines, index)


def new_text(text: str) -> str:
    """The part of a message its sender wrote now: quotes, reply headers, signatures trimmed."""
    lines = [_BIDI.sub("", line).rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line) or _header_at(lines, index):
            break
        if _QUOTE.match(line):
            continue
        kept.append(line)
    result = _BLANKS.sub("\n\n", "\n".join(kept)).strip()
    if result:
        return result
    unquoted = [re.sub(r"^\s*(?:>\s?)+", "", line) for line in lines]
    return _BLANKS.sub("\n\n", "\n".join(unquoted)).strip()


def bound(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """`text` cut to at most `limit` characters, at a word boundary, with `…` when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def summary(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """The summary of a message: its new text (`new_text`), bounded to `limit` characters."""
    return bound(new_text(text), limit)
