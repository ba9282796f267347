"""Characters that text typed or loaded here may not hold, and what output does with them anyway.

Two kinds of invisible characters break what the site shows:

- **Control characters** (U+0000–U+001F but tab, newline and carriage return; U+007F–U+009F) and
  the non-characters U+FFFE/U+FFFF: XML 1.0 cannot carry most of them, so one in an entry made both
  Atom feeds answer 500, and none of them means anything in a title or a sentence.
- **Bidirectional controls** (embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069): an
  unclosed U+202E (RIGHT-TO-LEFT OVERRIDE) reverses the rest of the line it is shown in — the
  browser's tab title, the text around a link.

``validate_text`` refuses both in new input (every text field of the partnership models, page
fields through ``cms.models.SitePage.clean``, and so the admin forms and the fixture loader, which
reports it per field), naming the character. ``xml_safe`` drops what XML cannot carry from output,
and ``isolate`` wraps text for places that cannot hold markup (the ``<title>``), so that data stored
before this check can break neither a feed nor the page around it.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext

CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
FORBIDDEN = re.compile(f"[{CONTROL}{BIDI_CONTROLS}]")
# What XML 1.0 cannot carry at all (C1 controls and DEL are allowed there, if discouraged).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ISOLATES = re.compile("[\u2066-\u2069]")
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"

_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}


def describe(character):
    """``U+000B (LINE TABULATION, a control character)``, ``U+202E (RIGHT-TO-LEFT OVERRIDE, …)``."""
    code = f"U+{ord(character):04X}"
    if re.fullmatch(f"[{BIDI_CONTROLS}]", character):
        return gettext("%(code)s (%(name)s, an invisible control of text direction)") % {
            "code": code,
            "name": unicodedata.name(character),
        }
    name = _CONTROL_NAMES.get(character) or unicodedata.name(character, "")
    if name:
        return gettext("%(code)s (%(name)s, an invisible control character)") % {"code": code, "name": name}
    return gettext("%(code)s (an invisible control character)") % {"code": code}


@deconstructible
class TextValidator:
    """Refuses control characters other than tab, newline and carriage return, and bidi controls.

    Raises ValidationError (code ``forbidden_character``) naming the first such character and
    where it is, e.g. “Remove the invisible character U+000B (LINE TABULATION, …) at position 12.”
    """

    code = "forbidden_character"

    def __call__(self, value):
        if not isinstance(value, str):
            return
        match = FORBIDDEN.search(value)
        if match:
            raise ValidationError(
                gettext(
                    "Remove the invisible character %(character)s at position %(position)s: "
                    "it breaks feeds and the text shown around it."
                ),
                code=self.code,
                params={"character": describe(match.group()), "position": match.start() + 1},
            )

    def __eq__(self, other):
        return isinstance(other, TextValidator)


validate_text = TextValidator()


def xml_safe(text):
    """``text`` less the characters XML 1.0 cannot carry (for feeds and any XML output)."""
    return NOT_XML.sub("", text) if isinstance(text, str) else text


def isolate(text):
    """``text`` wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE (less isolates of its own)
    when it holds a bidi control; other text is returned as it is.

    For places markup cannot go (``<title>``, attributes): an override or embedding left open
    inside ends at the closing isolate, so it cannot reverse what follows. In HTML, ``<bdi>`` does
    the same.
    """
    text = "" if text is None else str(text)
    if not re.search(f"[{BIDI_CONTROLS}]", text):
        return text
    return f"{FIRST_STRONG_ISOLATE}{ISOLATES.sub('', text)}{POP_DIRECTIONAL_ISOLATE}"
