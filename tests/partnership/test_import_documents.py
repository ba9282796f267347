"""The importer's evaluation documents (tests/partnership/import_documents/) hold together.

Each ``relations-with-<slug>.txt`` is a "Relations with …" page in the seed's plain-text family
(fixtures/sources/relations-with-japan.txt), and ``relations-with-<slug>.expected.yaml`` is what a
careful editor records from it: the facts, each quoting its sentence(s) word for word, and every
sentence that gives no fact. These tests check the answer key itself, not any importer: every
sentence of the document (but the title, the "Last updated" line, the lead and the caption) is
either quoted by a fact or listed as giving none, quotes are verbatim, kinds, currencies (ISO 4217)
and dates are valid. The sentence splitter is deliberately simple: it only has to read these
documents, whose sentences never hold a full stop before a capital inside them.
"""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
import pytest
import yaml

from partnership.dates import FuzzyDate, parse_period

DOCUMENTS_DIR = Path(__file__).resolve().parent / "import_documents"
BAD_DIR = DOCUMENTS_DIR / "bad"
EXPECTED = sorted(DOCUMENTS_DIR.glob("relations-with-*.expected.yaml"))
CHANGES = sorted(DOCUMENTS_DIR.glob("relations-with-*-v2.expected-changes.yaml"))

KINDS = {"milestone", "programme", "contribution", "post", "exercise", "operation"}
FRAMEWORKS = {
    "partners-across-the-globe",
    "euro-atlantic-partnership-council",
    "mediterranean-dialogue",
    "istanbul-cooperation-initiative",
}
FACT_KEYS = {
    "quote",
    "kind",
    "start",
    "end",
    "ongoing",
    "amount",
    "currency",
    "programmes",
    "places",
    "beneficiaries",
    "section",
}
ISO_4217 = {currency.alpha_3 for currency in pycountry.currencies}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

BULLET = "  • "
TITLE_RE = re.compile(r"^Relations with (\S.*)$")
LAST_UPDATED_RE = re.compile(r"^  • Last updated: (\d{1,2} [A-Za-z]+\.? \d{4}) (\d{2}:\d{2})$")
# A sentence ends at a full stop followed by white space and a capital (or an opening quote).
SENTENCE_BREAK_RE = re.compile(r"(?<=\.)\s+(?=[A-Z“‘])")


@dataclass
class Document:
    """A family document read by lines: ``sentences`` are (section, sentence) in reading order."""

    title: str
    partner_name: str
    last_updated: str  # "YYYY-MM-DD HH:MM"
    lead: str
    caption: str
    sentences: list = field(default_factory=list)


def split_sentences(text):
    """The sentences of one paragraph or bullet, as written (runs of white space between them dropped)."""
    return [sentence for sentence in SENTENCE_BREAK_RE.split(text.strip()) if sentence]


def parse_document(text):
    """Read a family document; raise ValueError if it is not one.

    Line 1 is the title, then the "Last updated" line, the lead paragraph and the photo caption
    (the first two lines after it). Then every bullet ("  • ") and every line ending in "." or ":"
    is text; any other line is a heading, under which the text that follows stands. Bullets before
    the first heading are the highlights.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 4 or not (title := TITLE_RE.match(lines[0])):
        raise ValueError("not a “Relations with …” document: the first line is not its title")
    if not (updated := LAST_UPDATED_RE.match(lines[1])):
        raise ValueError("not a “Relations with …” document: no “Last updated” line under the title")
    day = FuzzyDate.parse(updated[1]).date
    document = Document(
        title=lines[0],
        partner_name=title[1].strip(),
        last_updated=f"{day.isoformat()} {updated[2]}",
        lead=lines[2],
        caption=lines[3],
    )
    section = "Highlights"
    for line in lines[4:]:
        if line.startswith(BULLET):
            body = line[len(BULLET) :]
        elif line.rstrip().endswith((".", ":")):
            body = line
        else:
            section = line.strip()
            continue
        document.sentences.extend((section, sentence) for sentence in split_sentences(body))
    return document


def slugify(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("’", "")).strip("-")


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def document_for(expected_path):
    return DOCUMENTS_DIR / expected_path.name.replace(".expected.yaml", ".txt")


def ids(paths):
    return [path.name.split(".")[0] for path in paths]


def test_there_are_at_least_four_documents():
    assert len(EXPECTED) >= 4
    for path in EXPECTED:
        assert document_for(path).exists(), path.name


def test_the_parser_reads_the_seed_document():
    """The splitter is meant for the family: the seed itself reads as the fixtures say."""
    seed = parse_document((DOCUMENTS_DIR.parents[2] / "fixtures/sources/relations-with-japan.txt").read_text("utf-8"))
    assert (seed.partner_name, seed.last_updated) == ("Japan", "2018-09-12 12:49")
    sentences = {sentence: section for section, sentence in seed.sentences}
    assert sentences["Japan has designated a liaison officer to NATO’s Maritime Command."] == (
        "Building capabilities and interoperability"
    )
    assert sentences["As a major donor nation, it contributed to the successful recovery of the Balkans region and its reintegration into the European mainstream."] == "Support for NATO-led operations and missions"  # fmt: skip


@pytest.mark.parametrize("expected_path", EXPECTED, ids=ids(EXPECTED))
class TestAnswerKey:
    def test_header_matches_the_document(self, expected_path):
        expected = load(expected_path)
        document = parse_document(document_for(expected_path).read_text(encoding="utf-8"))
        assert expected_path.name == f"relations-with-{expected['partner']}.expected.yaml"
        assert slugify(document.partner_name) == expected["partner"]
        assert expected["framework"] in FRAMEWORKS
        assert expected["last_updated"] == document.last_updated
        assert set(expected) == {"partner", "framework", "last_updated", "facts", "no_fact_sentences"}

    def test_every_sentence_gives_a_fact_or_is_listed_as_giving_none(self, expected_path):
        expected = load(expected_path)
        document = parse_document(document_for(expected_path).read_text(encoding="utf-8"))
        in_document = [sentence for _, sentence in document.sentences]
        quoted = {sentence for fact in expected["facts"] for sentence in split_sentences(fact["quote"])}
        no_fact = expected["no_fact_sentences"]
        assert len(in_document) == len(set(in_document)), "a sentence occurs twice in the document"
        assert len(no_fact) == len(set(no_fact)), "a no-fact sentence is listed twice"
        assert not quoted & set(no_fact), "a sentence both gives a fact and gives none"
        unaccounted = set(in_document) - quoted - set(no_fact)
        assert not unaccounted, f"sentences neither quoted nor listed: {sorted(unaccounted)}"
        unknown = (quoted | set(no_fact)) - set(in_document)
        assert not unknown, f"sentences not in the document: {sorted(unknown)}"

    def test_sizes(self, expected_path):
        expected = load(expected_path)
        document = parse_document(document_for(expected_path).read_text(encoding="utf-8"))
        assert 15 <= len(document.sentences) + len(split_sentences(document.lead)) <= 35
        assert len(expected["no_fact_sentences"]) >= 5

    def test_facts_are_well_formed(self, expected_path):
        expected = load(expected_path)
        text = document_for(expected_path).read_text(encoding="utf-8")
        document = parse_document(text)
        sections = {sentence: section for section, sentence in document.sentences}
        for fact in expected["facts"]:
            check_fact(fact, text, sections)


def check_fact(fact, text, sections):
    """One expected fact: its keys, quote, section, kind, period, amount and slugs."""
    quote = fact["quote"]
    assert set(fact) <= FACT_KEYS, f"unknown keys {set(fact) - FACT_KEYS} in {quote!r}"
    assert quote in text, f"not verbatim in the document: {quote!r}"
    assert {sections[sentence] for sentence in split_sentences(quote)} == {fact["section"]}, quote
    assert fact["kind"] in KINDS, quote
    if "start" in fact:
        start = parse_period(fact["start"])
        assert not start.ongoing and start.end is None, f"start {fact['start']!r} is not one date"
        # Dates are recorded as written: the words are in the sentence.
        assert fact["start"].removeprefix("the ").lower() in quote.lower(), quote
        if "end" in fact:
            end = parse_period(fact["end"])
            assert end.start.last_day >= start.start.first_day, quote
            assert fact["end"].lower() in quote.lower(), quote
    else:
        assert "end" not in fact and "ongoing" not in fact, quote
    if fact.get("ongoing"):
        assert fact["ongoing"] is True and "end" not in fact, quote
        assert "since" in quote.lower(), quote
    assert ("amount" in fact) == ("currency" in fact), f"an amount needs its currency: {quote!r}"
    if "amount" in fact:
        assert isinstance(fact["amount"], int | float) and fact["amount"] > 0, quote
        assert fact["currency"] in ISO_4217, f"{fact['currency']} is not an ISO 4217 code"
    for key in ("programmes", "places", "beneficiaries"):
        assert all(SLUG_RE.match(slug) for slug in fact.get(key, [])), f"{key} of {quote!r}"


@pytest.mark.parametrize("changes_path", CHANGES, ids=ids(CHANGES))
def test_newer_version_differs_as_listed(changes_path):
    changes = load(changes_path)
    newer_path = DOCUMENTS_DIR / changes_path.name.replace(".expected-changes.yaml", ".txt")
    older_path = DOCUMENTS_DIR / changes["previous"]
    older, newer = (parse_document(path.read_text(encoding="utf-8")) for path in (older_path, newer_path))
    older_expected = load(DOCUMENTS_DIR / changes["previous"].replace(".txt", ".expected.yaml"))

    assert older.title == newer.title
    assert (older.last_updated, newer.last_updated) == (changes["previous_last_updated"], changes["last_updated"])
    assert datetime.datetime.fromisoformat(newer.last_updated) > datetime.datetime.fromisoformat(older.last_updated)

    old_sentences = {sentence for _, sentence in older.sentences}
    new_sentences = {sentence for _, sentence in newer.sentences}
    changed_old = {pair["old"] for pair in changes["changed"]}
    changed_new = {pair["new"] for pair in changes["changed"]}
    assert set(changes["added"]) == new_sentences - old_sentences - changed_new
    assert set(changes["removed"]) == old_sentences - new_sentences - changed_old
    assert changed_old <= old_sentences - new_sentences
    assert changed_new <= new_sentences - old_sentences

    newer_text = newer_path.read_text(encoding="utf-8")
    sections = {sentence: section for section, sentence in newer.sentences}
    for fact in changes["new_facts"]:
        check_fact(fact, newer_text, sections)
        assert set(split_sentences(fact["quote"])) <= set(changes["added"]) | changed_new

    old_quotes = [fact["quote"] for fact in older_expected["facts"]]
    withdrawn = changes["withdrawn_facts"]
    assert set(withdrawn) <= set(old_quotes)
    for quote in withdrawn:
        assert set(split_sentences(quote)) & (set(changes["removed"]) | changed_old)
    still_there = [quote for quote in old_quotes if quote not in withdrawn]
    assert all(quote in newer_text for quote in still_there)
    assert len(still_there) == changes["unchanged_facts"]


def test_not_the_family_is_refused():
    with pytest.raises(ValueError, match="title"):
        parse_document((BAD_DIR / "not-the-family.txt").read_text(encoding="utf-8"))
    assert "Last updated" not in (BAD_DIR / "not-the-family.txt").read_text(encoding="utf-8")


def test_unknown_partner_is_in_the_family_but_names_no_real_country():
    document = parse_document((BAD_DIR / "unknown-partner.txt").read_text(encoding="utf-8"))
    assert document.partner_name == "Atlantis"
    assert document.sentences
    assert pycountry.countries.get(name="Atlantis") is None


def test_latin1_is_not_utf8_but_is_a_family_document_in_cp1252():
    raw = (BAD_DIR / "latin1.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    document = parse_document(raw.decode("cp1252"))
    assert document.partner_name == "Côte d’Ivoire"
