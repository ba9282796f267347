"""The held-out "Relations with …" documents and the facts an editor recorded from them agree.

Each ``import_documents_held_out/relations-with-<slug>.txt`` was written, with its
``relations-with-<slug>.expected.yaml``, blind to the importer, so that the importer can be measured on
text it was never tuned on. These tests keep the expectations honest: every sentence of a document is
either the quote of some fact or listed as giving none, every quote is word for word, and every kind,
currency and date is one the site can store. They do not run the importer.
"""

import datetime
import re
from pathlib import Path

import pycountry
import pytest
import yaml

from partnership.dates import parse_period

HELD_OUT_DIR = Path(__file__).resolve().parent / "import_documents_held_out"
DOCUMENTS = sorted(HELD_OUT_DIR.glob("relations-with-*.txt"))

KINDS = {"milestone", "programme", "contribution", "post", "exercise", "operation"}
FRAMEWORKS = {
    "partners-across-the-globe",
    "mediterranean-dialogue",
    "partnership-for-peace",
    "istanbul-cooperation-initiative",
}
FACT_KEYS = {"quote", "kind", "start", "end", "ongoing", "amount", "currency", "section"}
BULLET = "  • "
KEY_AREAS = "Key areas of cooperation"
# A sentence ends at ". " (or more spaces) before a capital or an opening quote mark; simple, and the
# documents avoid abbreviations such as "e.g." in running text.
SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z“‘])")


def split_sentences(paragraph):
    return [sentence for sentence in SENTENCE_END.split(paragraph.strip()) if sentence]


def read_document(path):
    """Read a document in the family's plain-text format.

    Returns ``(header, sections)``: header is a dict with ``title``, ``last_updated`` (the text after
    "Last updated: "), ``lead`` and ``caption``; sections maps each heading ("Highlights" for the bullets
    above "Key areas of cooperation", "Key areas of cooperation" for its intro line) to its sentences
    in document order. Raises AssertionError if the layout is not the family's.
    """
    lines = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    title, updated, lead, caption, *body = lines
    assert title.startswith("Relations with "), title
    assert updated.startswith(f"{BULLET}Last updated: "), updated
    header = {
        "title": title,
        "last_updated": updated.removeprefix(f"{BULLET}Last updated: "),
        "lead": lead,
        "caption": caption,
    }
    sections = {"Highlights": []}
    current = "Highlights"
    for line in body:
        if line.startswith(BULLET):
            sections[current] += split_sentences(line.removeprefix(BULLET))
        elif line == KEY_AREAS:
            current = KEY_AREAS
            sections[current] = []
        elif line.endswith(":"):
            assert current == KEY_AREAS, f"an intro line outside “{KEY_AREAS}”: {line}"
            sections[current] += split_sentences(line)
        else:
            assert not line.endswith("."), f"a paragraph that is neither a bullet nor a heading: {line}"
            assert line not in sections, f"heading used twice: {line}"
            current = line
            sections[current] = []
    return header, sections


def load_expected(path):
    expected_path = path.with_name(path.name.removesuffix(".txt") + ".expected.yaml")
    assert expected_path.exists(), f"{path.name} has no {expected_path.name}"
    return yaml.safe_load(expected_path.read_text(encoding="utf-8"))


@pytest.fixture(params=DOCUMENTS, ids=lambda path: path.stem)
def document(request):
    path = request.param
    header, sections = read_document(path)
    return path, header, sections, load_expected(path)


def test_every_document_has_expectations_and_every_expectation_a_document():
    assert len(DOCUMENTS) >= 2
    for expected_path in HELD_OUT_DIR.glob("*.expected.yaml"):
        assert expected_path.with_name(expected_path.name.removesuffix(".expected.yaml") + ".txt").exists()


def test_header_matches_the_document(document):
    path, header, _sections, expected = document
    assert path.stem == f"relations-with-{expected['partner']}"
    assert expected["framework"] in FRAMEWORKS
    written = datetime.datetime.strptime(header["last_updated"].replace(".", ""), "%d %b %Y %H:%M")
    assert written == datetime.datetime.strptime(expected["last_updated"], "%Y-%m-%d %H:%M")
    assert set(expected) == {"partner", "framework", "last_updated", "facts", "no_fact_sentences"}


def test_every_sentence_is_a_fact_or_listed_as_giving_none(document):
    _path, _header, sections, expected = document
    sentences = [sentence for section in sections.values() for sentence in section]
    in_quotes = {sentence for fact in expected["facts"] for sentence in split_sentences(fact["quote"])}
    no_fact = expected["no_fact_sentences"]
    assert len(no_fact) == len(set(no_fact)), "a no-fact sentence listed twice"
    assert not in_quotes & set(no_fact), "a sentence both quoted by a fact and listed as giving none"
    assert set(no_fact) <= set(sentences), "a no-fact sentence that is not a sentence of the document"
    assert [s for s in sentences if s not in in_quotes and s not in no_fact] == []


def test_the_document_is_the_size_the_held_out_set_asks_for(document):
    _path, header, sections, expected = document
    body = sum(len(section) for section in sections.values())
    assert 18 <= body + len(split_sentences(header["lead"])) <= 30
    assert len(expected["no_fact_sentences"]) >= 5


def test_each_quote_is_whole_sentences_word_for_word_under_its_section(document):
    path, _header, sections, expected = document
    text = path.read_text(encoding="utf-8")
    for fact in expected["facts"]:
        quote = fact["quote"]
        assert quote in text, quote
        section = sections.get(fact["section"])
        assert section is not None, f"no section “{fact['section']}”"
        parts = split_sentences(quote)
        starts = [i for i in range(len(section)) if section[i : i + len(parts)] == parts]
        assert starts, f"not whole consecutive sentences of “{fact['section']}”: {quote}"


def test_kinds_amounts_and_currencies(document):
    _path, _header, _sections, expected = document
    for fact in expected["facts"]:
        assert set(fact) <= FACT_KEYS and {"quote", "kind", "section"} <= set(fact), fact
        assert fact["kind"] in KINDS, fact
        assert ("amount" in fact) == ("currency" in fact), fact
        if "amount" in fact:
            assert isinstance(fact["amount"], int) and fact["amount"] > 0, fact
            assert pycountry.currencies.get(alpha_3=fact["currency"]) is not None, fact


def test_dates_are_readable_and_as_written(document):
    _path, _header, _sections, expected = document
    for fact in expected["facts"]:
        quote = fact["quote"].lower()
        assert "end" not in fact or "start" in fact, fact
        assert "ongoing" not in fact or (fact["ongoing"] is True and "start" in fact and "end" not in fact), fact
        for key in ("start", "end"):
            if key not in fact:
                continue
            assert isinstance(fact[key], str), f"{key} must be quoted text, as written: {fact}"
            period = parse_period(fact[key])
            assert period.end is None and not period.ongoing, f"{key} is one date, not a period: {fact}"
            written = fact[key].lower()
            # "from 25 October to 7 November 2018": the start is recorded with the year it borrows.
            assert written in quote or written.rsplit(" ", 1)[0] in quote, f"{key} is not as written: {fact}"
        if "start" in fact:
            start = parse_period(fact["start"]).start
            if "end" in fact:
                assert parse_period(fact["end"]).start.last_day >= start.first_day, fact
            if fact.get("ongoing"):
                assert parse_period(f"since {fact['start']}").ongoing
