"""Refuse JSON bodies nested deeper than `MAX_JSON_DEPTH` before anything parses them.

Python's json parser recurses once per level: a body of 50,000 `[` raised RecursionError (a
500) in whichever route read it. `json_depth` scans the raw bytes instead — strings removed
by one regular expression, then only the brackets walked — so a deep body costs a linear scan
and never reaches the parser. The check runs before every API route, the plugins' included
(`ApiBlueprint` installs it), and answers 400.
"""

from __future__ import annotations

import re

from flask import request

from payvand.core.api.errors import ApiError

#: The deepest JSON body the API accepts (objects and arrays); deeper is refused with 400.
MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_PAIR = re.compile(rb"\[\]")


def json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of the JSON text `body` (0 for a scalar), exact up to limit + 1.

    Brackets inside strings do not count. A body deeper than `limit` gives limit + 1 whatever
    its real depth. Malformed text gets a depth too (the parser then refuses it): the answer
    only has to be right for the question "deeper than `limit`?".
    """
    brackets = _STRING.sub(b"", body).translate(_AS_SQUARE, _NOT_BRACKETS)
    # Each pass removes the innermost pairs at C speed: a balanced body n deep is empty after n passes.
    remaining = brackets
    for passes in range(limit + 1):
        if not remaining:
            return passes
        shorter = _PAIR.sub(b"", remaining)
        if len(shorter) == len(remaining):  # no pair left: unbalanced
            break
        remaining = shorter
    depth = deepest = 0  # deeper than `limit`, or unbalanced: walk the brackets, stopping early
    for byte in brackets:
        if byte == 0x5B:  # [ (and {)
            depth += 1
            if depth > limit:
                return limit + 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
            if depth < 0:  # unbalanced: the parser refuses it
                break
    return deepest


def refuse_deep_json() -> None:
    """Before an API route: 400 when the JSON body nests deeper than `MAX_JSON_DEPTH`."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:  # cannot be deeper: skip the scan
        return
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ApiError(400, f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
                       fields={"_schema": ["Nested too deeply."]})
