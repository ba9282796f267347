"""The line syntax of a gettext PO file, checked before a PO file is read.

polib (what wagtail-localize and the fixture loader read PO files with) and Babel both accept lines
that GNU gettext refuses, such as ``msgstr Premiers contacts"`` with its opening quote missing, and
read them as a truncated translation ("remiers contacts"). A translation agency's slip must be
refused, not imported half-read, so every line is checked against the PO grammar first: a comment,
a keyword followed by one quoted string, or a quoted continuation line.
"""

import re

QUOTED = r'"(?:[^"\\]|\\.)*"'
LINE = re.compile(
    rf"^\s*(?:"
    rf"#.*"  # comments, flags, references, obsolete entries
    rf"|(?:msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\])\s+{QUOTED}"
    rf"|{QUOTED}"  # a continuation of the string above
    rf"|"  # a blank line
    rf")\s*$"
)


def syntax_problem(text):
    """The first line of ``text`` (a PO file's content, str) that is not PO syntax, as
    ``'line N: “…”'``, or '' when every line is."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not LINE.match(line):
            shown = line.strip()
            return f"line {number}: “{shown[:80]}{'…' if len(shown) > 80 else ''}”"
    return ""
