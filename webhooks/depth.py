"""How deep a JSON body nests, told before it is parsed.

MAX_JSON_DEPTH: Shopify's payloads nest at most 8 levels (refunds/create, the deepest of its samples), so 100 refuses
no real delivery, while a hostile body of thousands of levels never reaches a recursive reader (Python's json, which
the worker's readers use, gives up with a RecursionError near 1,000).
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 100
_ESCAPED_QUOTE = re.compile(rb'\\[\\"]')  # an escaped backslash or quote, which neither opens nor closes a string
_NOT_QUOTES_OR_BRACKETS = bytes(set(range(256)) - set(b'"[]{}'))
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether a JSON text opens more than `limit` arrays or objects inside one another, found without parsing and
    in C-speed passes: escaped quotes are dropped; only quotes and brackets are kept (braces as brackets); strings
    are cut out with the brackets in them (adjacent quotes first, which keeps every later quote's parity); then
    each pass removes the innermost pairs, one level: a body with pairs left after `limit` passes is deeper."""
    if b"\\" in body:
        body = _ESCAPED_QUOTE.sub(b"", body)
    brackets = body.translate(_BRACES_AS_BRACKETS, _NOT_QUOTES_OR_BRACKETS)
    if brackets.count(b"[") <= limit:
        return False
    brackets = b"".join(brackets.replace(b'""', b"").split(b'"')[::2])
    for _ in range(limit):
        one_level_less = brackets.replace(b"[]", b"")
        if len(one_level_less) == len(brackets):
            return False  # none left, or unbalanced: not JSON, which the parser then refuses
        brackets = one_level_less
    return b"[]" in brackets
