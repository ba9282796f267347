"""Reading a partner document: bytes of a .txt, .html or .docx file into its parts, or a clear refusal.

The organisation's "Relations with …" documents share one shape (the seed,
``fixtures/sources/relations-with-japan.txt``, is the model)::

    Relations with Japan                          the title, naming the partner
      • Last updated: 12 Sep. 2018 12:49          when the document was last updated
    NATO and Japan are currently …                the lead
    Joint press point by …                        the photo's caption (optional)
      • NATO and Japan have been engaged …        the highlights, as bullets
    Key areas of cooperation                      headings, paragraphs and bullets, in order
    Japan’s cooperation with NATO is …:
    Building capabilities and interoperability
      • Since 2014 under …

An HTML document (h1, h2/h3, p, li, figcaption) and a Word document (read through mammoth into
HTML) are first written out in that plain shape, so that one reader parses all three and the source
document keeps the plain text its sentences are quoted from.
"""

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..dates import MONTHS
from ..text import validate_text

# The family's documents are 3–10 kB of text; a Word file with a photo a few MB. Anything larger is
# not one of them, and is refused before it is read.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# The family's documents have 20–60 sentences; reading one takes milliseconds a sentence. A “document”
# of tens of thousands would hold a request for minutes: it is not one of them.
MAX_SENTENCES = 1000
FORMATS = (".txt", ".html", ".htm", ".docx")
EXPECTED = _(
    "a “Relations with …” document of the organisation: a title “Relations with <partner>” on the first line, "
    "a “Last updated: <date>” line, a lead paragraph, highlights and sections"
)

HIGHLIGHTS = "Highlights"
# Headings that open a section of their own; any other heading after one of them is a sub-section.
SECTION_HEADINGS = {
    "key areas of cooperation",
    "framework for cooperation",
    "milestones in relations",
    "milestones",
    "background",
    "political dialogue",
    "practical cooperation",
}

_BULLET_RE = re.compile(r"^[•·\-*–]\s*")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[”’\")]?\s+(?=[“‘\"(]?[A-Z])")
_TITLE_RE = re.compile(r"^(?:NATO[’']s\s+)?relations\s+with\s+(?:the\s+)?(?P<name>.+?)\s*$", re.IGNORECASE)
_UPDATED_RE = re.compile(
    r"^last\s+updated:?\s*(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2}))?\s*$",
    re.IGNORECASE,
)


class DocumentError(ValueError):
    """The file is not a partner document this site can read; the message says what was expected."""


@dataclass
class Block:
    """One heading, paragraph or bullet of the document, in reading order."""

    kind: str  # "heading", "paragraph" or "bullet"
    text: str
    section: str  # the heading it stands under ("Highlights" for the top bullets)
    level: str = ""  # "h2" or "h3" for a heading
    sentences: list = field(default_factory=list)


@dataclass
class PartnerDocument:
    """A partner document read into its parts.

    ``partner_name`` is the name in the title ("Japan"); ``last_updated`` a naive datetime (the
    document gives no time zone); ``blocks`` the highlights and the body, in order; ``text`` the
    document as plain lines, as a source document stores it.
    """

    title: str
    partner_name: str
    last_updated: datetime.datetime
    lead: str
    caption: str
    blocks: list
    text: str

    @property
    def highlights(self):
        return [block for block in self.blocks if block.section == HIGHLIGHTS]

    @property
    def body(self):
        return [block for block in self.blocks if block.section != HIGHLIGHTS]

    def sentences(self):
        """Every sentence of the highlights and the body: ``[(sentence, block)]`` in reading order."""
        return [(sentence, block) for block in self.blocks for sentence in block.sentences]


def split_sentences(line):
    """The sentences of one line of running text, in order: ``["First.", "Second."]``."""
    parts, start = [], 0
    for match in _SENTENCE_END_RE.finditer(line):
        end = match.start() + len(match.group(0).rstrip())
        parts.append(line[start:end].strip())
        start = match.end()
    parts.append(line[start:].strip())
    return [part for part in parts if part]


def is_heading(line):
    """A heading is a short line that does not end like a sentence."""
    return len(line) < 80 and not line.endswith((".", "!", "?", ":", ";", ",", ")"))


def document_sentences(text):
    """The sentences of a document's text, in reading order, each with the heading it stands under.

    Returns a list of ``{"text": str, "section": str}``. A heading is a short line that does not end
    a sentence; the first line (the document's title) is no section.
    """
    sentences, section = [], ""
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate(lines):
        if not line:
            continue
        bulleted = bool(_BULLET_RE.match(line))
        line = _BULLET_RE.sub("", line)
        if not bulleted and is_heading(line):
            section = line if number else ""
            continue
        for sentence in split_sentences(line):
            sentences.append({"text": sentence, "section": section})
    return sentences


# --- From bytes to plain lines -------------------------------------------------------------------


def read_document(data, filename):
    """Read ``data`` (bytes) of a file named ``filename`` into a ``PartnerDocument``.

    Raises ``DocumentError`` naming what is wrong and what was expected: an unknown format, an empty,
    binary, oversized or non-UTF-8 file, or text not in the family's shape.
    """
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise DocumentError(
            gettext("“%(file)s” is not a file this importer reads: expected a .txt, .html or .docx file.")
            % {"file": filename}
        )
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            gettext(
                "“%(name)s” is %(size)s MB; a partner document is at most "
                "%(limit)s MB (the family's documents are a few kB of text)."
            )
            % {"name": filename, "size": f"{len(data) / 1024 / 1024:.1f}", "limit": MAX_DOCUMENT_BYTES // 1024 // 1024}
        )
    if not data.strip():
        raise DocumentError(
            gettext("“%(file)s” is empty: expected %(expected)s.") % {"file": filename, "expected": EXPECTED}
        )
    if suffix == ".docx":
        text = _docx_to_text(data, filename)
    else:
        text = _decode(data, filename)
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
    return parse_document(text, filename)


def _decode(data, filename):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, as some editors save “Unicode” text
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(
                gettext("“%(file)s” says it is UTF-16 text but is not: save it as UTF-8 text.") % {"file": filename}
            ) from None
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise DocumentError(
            gettext("“%(file)s” is a binary file, not text: expected UTF-8 text (or a .docx file named .docx).")
            % {"file": filename}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentError(
            gettext(
                "“%(file)s” is not UTF-8 text (byte %(byte)s at position %(position)s is not "
                "UTF-8): save the document as UTF-8 (“Unicode”) text and import it again."
            )
            % {"file": filename, "byte": f"0x{data[error.start]:02X}", "position": f"{error.start:,}"}
        ) from None


def _docx_to_text(data, filename):
    import mammoth  # only Word files need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise zipfile.BadZipFile
        result = mammoth.convert_to_html(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError):
        raise DocumentError(
            gettext("“%(file)s” is not a Word (.docx) document that can be opened.") % {"file": filename}
        ) from None
    return html_to_text(result.value)


def html_to_text(html):
    """An HTML document as the family's plain lines: headings, paragraphs, bullets ("  • …")."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    lines = []
    if soup.find("h1") is None and soup.title and soup.title.string:
        lines.append(" ".join(soup.title.string.split()))  # a page without a heading: its title
    for element in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "figcaption", "time"]):
        if element.find_parent(["li", "figcaption"]) or (element.name == "time" and element.find_parent("p")):
            continue  # read with the item or paragraph it is part of
        if element.name == "p" and element.find_parent("li"):
            continue
        text = " ".join(element.get_text(" ").split())
        text = re.sub(r"\s+([,.;:!?])", r"\1", text)
        if not text:
            continue
        lines.append(f"  • {text}" if element.name == "li" else text)
    return "\n\n".join(lines)


# --- From plain lines to a document -----------------------------------------------------------------


def parse_document(text, filename="the document"):
    """Read the family's plain text into a ``PartnerDocument``; raises ``DocumentError``."""
    try:
        validate_text(text)
    except ValidationError as error:
        raise DocumentError(
            gettext("“%(file)s” cannot be imported: %(problems)s")
            % {"file": filename, "problems": " ".join(error.messages)}
        ) from None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise DocumentError(
            gettext("“%(file)s” is empty: expected %(expected)s.") % {"file": filename, "expected": EXPECTED}
        )
    title = lines[0]
    match = _TITLE_RE.match(title)
    if not match or len(title) > 120:
        raise DocumentError(
            gettext(
                "“%(file)s” does not start with a title “Relations with <partner>” (its first line is "
                "“%(line)s”): expected %(expected)s."
            )
            % {"file": filename, "line": _shorten(title), "expected": EXPECTED}
        )
    partner_name = match["name"]
    rest = lines[1:]
    last_updated = None
    if rest:
        updated = _UPDATED_RE.match(_BULLET_RE.sub("", rest[0]))
        if updated:
            last_updated = _moment(updated, filename)
            rest = rest[1:]
    if last_updated is None:
        raise DocumentError(
            gettext(
                "“%(file)s” has no “Last updated: <day> <month> <year>” line after its title "
                "(such as “Last updated: 12 Sep. 2018 12:49”): expected %(expected)s."
            )
            % {"file": filename, "expected": EXPECTED}
        )
    lead = caption = ""
    if rest and not _BULLET_RE.match(rest[0]):
        lead, rest = rest[0], rest[1:]
    if rest and not _BULLET_RE.match(rest[0]) and not _is_section_heading(rest[0]):
        caption, rest = rest[0], rest[1:]
    if not lead:
        raise DocumentError(
            gettext("“%(file)s” has no lead paragraph after its “Last updated” line: expected %(expected)s.")
            % {"file": filename, "expected": EXPECTED}
        )

    blocks, section, in_section_with_subsections = [], HIGHLIGHTS, False
    for line in rest:
        bulleted = bool(_BULLET_RE.match(line))
        line = _BULLET_RE.sub("", line)
        if not line:
            continue
        if not bulleted and is_heading(line):
            level = "h2"
            if not _is_section_heading(line) and in_section_with_subsections:
                level = "h3"
            else:
                in_section_with_subsections = line.lower() == "key areas of cooperation"
            section = line
            blocks.append(Block("heading", line, section, level))
            continue
        if not bulleted and line.endswith(":") and blocks and blocks[-1].kind == "heading":
            in_section_with_subsections = True  # “… includes:” introduces sub-sections
        kind = "bullet" if bulleted else "paragraph"
        blocks.append(Block(kind, line, section, sentences=split_sentences(line)))
    count = sum(len(block.sentences) for block in blocks)
    if count > MAX_SENTENCES:
        raise DocumentError(
            gettext(
                "“%(file)s” has %(count)s sentences; a partner document has at most %(limit)s "
                "(the family's have 20 to 60): import each partner's document on its own."
            )
            % {"file": filename, "count": f"{count:,}", "limit": f"{MAX_SENTENCES:,}"}
        )
    if not any(block.sentences for block in blocks):
        raise DocumentError(
            gettext("“%(file)s” has a title but no highlights or sections: expected %(expected)s.")
            % {"file": filename, "expected": EXPECTED}
        )
    return PartnerDocument(
        title=f"Relations with {partner_name}",
        partner_name=partner_name,
        last_updated=last_updated,
        lead=lead,
        caption=caption,
        blocks=blocks,
        text=text.strip(),
    )


def _is_section_heading(line):
    return line.lower().rstrip(":") in SECTION_HEADINGS


def _moment(match, filename):
    month = MONTHS.get(match["month"].lower())
    try:
        if month is None:
            raise ValueError(gettext("“%(month)s” is not a month") % {"month": match["month"]})
        return datetime.datetime(
            int(match["year"]), month, int(match["day"]), int(match["hour"] or 0), int(match["minute"] or 0)
        )
    except ValueError as error:
        raise DocumentError(
            gettext("“%(file)s”: the “Last updated” date “%(date)s” is not a real date (%(error)s).")
            % {"file": filename, "date": match.group(0), "error": error}
        ) from None


def _shorten(text, limit=80):
    return text if len(text) <= limit else text[: limit - 1] + "…"
