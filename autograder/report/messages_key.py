"""Map a check's failure text back to its key in autograder.messages.MESSAGES.

Each (en, zh) template becomes a regex: literal text escaped, every ``{field}`` / ``{field!r}`` /
``{field:.3f}`` a lazy wildcard. Checks that use ``np.testing`` wrap the message in numpy's own
lines, so each line is tried as well as the whole text.
"""

import re
import string
from functools import lru_cache

from ..messages import MESSAGES


def template_regex(template):
    """The regex that matches every text ``template.format(...)`` can produce."""
    parts = []
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append("(.+?)")
    return re.compile("".join(parts), re.S)


@lru_cache(maxsize=1)
def _patterns():
    """(literal length, key, regex), most literal text first: the most specific template wins."""
    found = []
    for key, templates in MESSAGES.items():
        for template in templates:
            literal = sum(len(lit) for lit, *_ in string.Formatter().parse(template))
            found.append((literal, key, template_regex(template)))
    return sorted(found, key=lambda item: -item[0])


def message_key(text):
    """The MESSAGES key whose template produced ``text`` (or one of its lines); None if none did."""
    if not text:
        return None
    text = text.strip()
    candidates = [text] + [line.strip() for line in text.splitlines() if line.strip()]
    for candidate in candidates:
        for _literal, key, regex in _patterns():
            if regex.fullmatch(candidate):
                return key
    return None
