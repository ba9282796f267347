"""From a read document to a proposal: the records, entries and page it would create, as a fixture.

A proposal is written in the project's own fixture format (``partnership.loader``), so that
``import_document --fixture`` can hand it to a pull request and the import itself loads it through
the same loader, all or nothing, as drafts (``FixtureLoader(draft=True)``).
"""

import difflib
import html
from dataclasses import dataclass, field

from django.utils.text import slugify
from django.utils.translation import gettext

from ..loader import SECTIONS_BY_NAME
from ..models import CooperationEntry, DocumentImport, ProposedEntry, SourceDocument, normalise_quote
from .documents import HIGHLIGHTS, DocumentError, parse_document
from .extract import Extractor, slug_for
from .reference import Reference, words

SECTION_OF_SUBSECTIONS = "key areas of cooperation"


@dataclass
class Proposal:
    """What importing ``document`` would create.

    ``fixture`` is a mapping of fixture sections to records; ``facts`` the facts proposed, in
    document order (each ``Fact`` has its entry's ``slug``); ``changes`` the sentence-by-sentence
    differences from the ``previous`` import of the same document (see ``DocumentImport.changes``);
    ``unchanged`` how many facts of a re-imported document were not proposed again.
    """

    document: object
    partner: dict
    source_slug: str
    fixture: dict
    facts: list
    previous: DocumentImport = None
    changes: list = field(default_factory=list)
    unchanged: int = 0
    page_slug: str = ""

    @property
    def new_records(self):
        """``[(section, slug)]`` of the reference records the import would add."""
        return [
            (section, record["slug"])
            for section in ("frameworks", "areas", "places", "programmes", "partners")
            for record in self.fixture.get(section, [])
        ]


def propose(document, reference=None, filename=""):
    """The ``Proposal`` for ``document`` (a ``PartnerDocument``); raises ``DocumentError``.

    Refused: a title naming no partner of the organisation, and a version of the document that is
    not newer than one already imported (same title, same or later "Last updated").
    """
    reference = reference or Reference.load()
    partner = reference.partner_named(document.partner_name)
    if partner is None:
        raise DocumentError(
            gettext(
                "“%(title)s” names no partner of the organisation: “%(name)s” is not one of %(partners)s. "
                "Check the spelling in the title, or add the partner first."
            )
            % {
                "title": document.title,
                "name": document.partner_name,
                "partners": ", ".join(reference.partner_names())
                or gettext("the partners (none are loaded: run load_fixtures)"),
            }
        )
    previous_source = _latest_version(document, partner)
    previous = None
    if previous_source is not None:
        if previous_source.last_updated.replace(tzinfo=None) >= document.last_updated:
            raise DocumentError(
                gettext(
                    "“%(title)s” last updated %(updated)s is not newer than the version already here "
                    "(last updated %(previous)s): import a later version, or edit the entries and page that are here."
                )
                % {
                    "title": document.title,
                    "updated": f"{document.last_updated:%d %b %Y %H:%M}",
                    "previous": f"{previous_source.last_updated:%d %b %Y %H:%M}",
                }
            )
        previous = DocumentImport.objects.filter(source=previous_source).first()

    builder = _Builder(document, reference, partner)
    facts = builder.facts()
    changes, fresh = _changes(previous_source, document) if previous_source else ([], None)
    _note_entries_of_old_sentences(changes, partner["slug"])
    unchanged = 0
    if fresh is not None:
        known = _known_facts(partner["slug"])
        kept = []
        for fact in facts:
            if any(index in fresh for index in fact.sentences) and _fact_key(fact) not in known:
                kept.append(fact)
            else:
                unchanged += 1
        facts = kept
    fixture = builder.fixture(facts)
    return Proposal(
        document=document,
        partner=partner,
        source_slug=builder.source_slug,
        fixture=fixture,
        facts=facts,
        previous=previous,
        changes=changes,
        unchanged=unchanged,
        page_slug=partner["slug"],
    )


def _latest_version(document, partner):
    """The latest version here of the partner's document: imported for this partner, or titled as it is
    (however the title names the partner: “Relations with JP” is Japan's), or None."""
    titles = {words(document.title), words(f"Relations with {partner['name']}")}
    versions = [
        source
        for source in SourceDocument.objects.filter(last_updated__isnull=False).only("title", "last_updated", "text")
        if words(source.title) in titles
    ]
    versions += SourceDocument.objects.filter(
        document_import__partner__slug=partner["slug"], last_updated__isnull=False
    ).only("title", "last_updated", "text")
    return max(versions, key=lambda source: source.last_updated, default=None)


def _fact_key(fact):
    return (fact.kind, normalise_quote(" ".join(fact.quote)))


def _known_facts(partner_slug):
    """What this partner's entries and earlier proposals (even rejected) already say."""
    known = {
        (kind, normalise_quote(" ".join(quote.splitlines())))
        for kind, quote in CooperationEntry.objects.filter(partner__slug=partner_slug).values_list(
            "kind", "source_quote"
        )
    }
    known |= {
        (kind, normalise_quote(" ".join(quote.splitlines())))
        for kind, quote in ProposedEntry.objects.filter(document_import__partner__slug=partner_slug).values_list(
            "kind", "quote"
        )
    }
    return known


def _changes(previous_source, document):
    """``(changes, fresh)``: the sentence differences, and the positions of new or changed sentences."""
    try:
        old = [sentence for sentence, _ in parse_document(previous_source.text).sentences()]
    except DocumentError:
        old = []
    new = [sentence for sentence, _ in document.sentences()]
    matcher = difflib.SequenceMatcher(a=[normalise_quote(s) for s in old], b=[normalise_quote(s) for s in new])
    changes, fresh = [], set()
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        fresh.update(range(b1, b2))
        changes.extend(_pair(old[a1:a2], new[b1:b2]))
    return changes, fresh


def _note_entries_of_old_sentences(changes, partner_slug):
    """Give each removed or changed sentence the partner's entries quoting it (``"entries": [[pk, title]]``):
    an editor decides whether to retire or update them; the import changes none."""
    wanted = [change for change in changes if change["old"]]
    if not wanted:
        return
    entries = list(
        CooperationEntry.objects.filter(partner__slug=partner_slug).values_list("pk", "title", "source_quote")
    )
    for change in wanted:
        old = normalise_quote(change["old"])
        change["entries"] = [[pk, title] for pk, title, quote in entries if old in normalise_quote(quote)]


def _pair(olds, news):
    """The changes of one differing stretch: each new sentence paired with the old one it rewrites, if any.

    A new sentence at least 60 % like an old one (difflib's ratio) is that one changed; the others
    were added, and the old sentences left unpaired were removed. In the new document's order.
    """
    changes, unpaired = [], list(olds)
    for sentence in news:
        ratios = [
            difflib.SequenceMatcher(a=normalise_quote(old), b=normalise_quote(sentence)).ratio() for old in unpaired
        ]
        best = max(range(len(ratios)), key=ratios.__getitem__, default=None)
        if best is not None and ratios[best] >= 0.6:
            changes.append({"status": "changed", "old": unpaired.pop(best), "new": sentence})
        else:
            changes.append({"status": "added", "old": "", "new": sentence})
    changes.extend({"status": "removed", "old": sentence, "new": ""} for sentence in unpaired)
    return changes


def _unique_source_slug(base):
    taken = set(SourceDocument.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


class _Builder:
    def __init__(self, document, reference, partner):
        self.document = document
        self.reference = reference
        self.partner = partner
        # The version's moment names it: two versions of one day differ by their time.
        self.source_slug = _unique_source_slug(
            f"relations-with-{partner['slug']}-{document.last_updated:%Y-%m-%d-%H%M}"
        )
        self.themes = self._themes()
        self.extractor = Extractor(reference, partner)

    def _themes(self):
        """``{section heading: theme area slug}`` for every section but the highlights and the one of sub-sections."""
        by_name = {
            words(values["name"]): slug
            for slug, values in self.reference.records.get("areas", {}).items()
            if values.get("category") == "theme"
        }
        themes = {}
        for block in self.document.blocks:
            if block.kind != "heading" or block.text.lower() == SECTION_OF_SUBSECTIONS:
                continue
            themes[block.text] = by_name.get(words(block.text)) or slugify(block.text)[:100]
        return themes

    def facts(self):
        facts = self.extractor.facts(self.document, self.themes)
        return facts

    # -- the fixture ----------------------------------------------------------------------------

    def fixture(self, facts):
        taken = set(CooperationEntry.objects.values_list("slug", flat=True))
        used = {"areas": set(), "places": set(), "programmes": set()}
        entries = []
        for fact in facts:
            fact.slug = slug_for(self.partner["slug"], fact.title, taken)
            used["areas"].update(fact.areas)
            used["places"].update(fact.places + fact.beneficiaries)
            used["programmes"].update(fact.programmes)
            entries.append(self._entry(fact))
        data = {
            "sources": [
                {
                    "slug": self.source_slug,
                    "title": self.document.title,
                    "last_updated": f"{self.document.last_updated:%Y-%m-%d %H:%M}",
                    "text": self.document.text,
                }
            ],
            "frameworks": [],
            "areas": [],
            "places": [],
            "programmes": [],
            "partners": [],
            "entries": entries,
            "pages": [self._page(facts)],
        }
        self._add_reference(data, "partners", self.partner["slug"])
        if data["partners"]:
            # A partner new to the site: its areas of cooperation are those its highlights name.
            highlights = " ".join(sentence for block in self.document.highlights for sentence in block.sentences)
            areas = self.extractor.areas_in(highlights)
            if areas:
                data["partners"][0]["areas"] = areas
                used["areas"].update(areas)
        for section in ("areas", "places", "programmes"):
            for slug in sorted(used[section]):
                self._add_reference(data, section, slug)
        return {name: records for name, records in data.items() if records}

    def _add_reference(self, data, section, slug):
        """Add the record ``slug`` (and what it refers to) unless the database holds it already."""
        if self.reference.is_stored(section, slug) or any(r["slug"] == slug for r in data[section]):
            return
        values = self.reference.get(section, slug)
        if values is None and section == "areas":
            heading = next(name for name, theme in self.themes.items() if theme == slug)
            values = {
                "slug": slug,
                "name": heading,
                "category": "theme",
                "source": self.source_slug,
                "section": heading,
                "quote": heading,
            }
        known = {field_.key for field_ in SECTIONS_BY_NAME[section].fields}
        record = {key: value for key, value in values.items() if key in known}
        if section == "partners":
            self._add_reference(data, "frameworks", record["framework"])
        if section == "programmes" and record.get("parent"):
            self._add_reference(data, "programmes", record["parent"])
        data[section].append(record)

    def _entry(self, fact):
        entry = {
            "slug": fact.slug,
            "partner": self.partner["slug"],
            "kind": fact.kind,
            "title": fact.title,
            "description": fact.description,
        }
        if fact.period is not None:
            entry["start"] = str(fact.period.start)
            if fact.period.end is not None:
                entry["end"] = str(fact.period.end)
            if fact.period.ongoing:
                entry["ongoing"] = True
        if fact.amount is not None:
            entry["amount"] = str(fact.amount)
            entry["currency"] = fact.currency
        for name in ("areas", "programmes", "places", "beneficiaries"):
            if getattr(fact, name):
                entry[name] = list(getattr(fact, name))
        entry["source"] = self.source_slug
        entry["section"] = fact.section
        entry["quote"] = fact.quote if len(fact.quote) > 1 else fact.quote[0]
        return entry

    def _page(self, facts):
        """The partner page, built as the Japan page is: the document's text in order, its facts shown live."""
        quoted = {index for fact in facts for index in fact.sentences}
        body = []
        for heading, content, sentences in sections_of(self.document):
            body.append({"type": "heading", "value": {"text": heading.text, "level": heading.level or "h2"}})
            theme = self.themes.get(heading.text)
            if theme and sentences and all(i in quoted for i in sentences):
                body.append({"type": "entries", "value": {"area": theme, "style": "prose"}})
            else:
                body.extend(text_blocks(content))
        if any(fact.kind == "milestone" for fact in facts):
            body.append({"type": "heading", "value": {"text": "Milestones", "level": "h2"}})
            body.append(
                {
                    "type": "timeline",
                    "value": {"title": f"Milestones in relations with {self.partner['name']}", "kind": "milestone"},
                }
            )
        page = {
            "slug": self.partner["slug"],
            "type": "partner",
            "parent": "partners",
            "partner": self.partner["slug"],
            "title": self.document.title,
            "lead": self.document.lead,
            "highlights": [_paragraph(block.text) for block in self.document.highlights if block.kind != "heading"],
            "body": body,
        }
        if self.document.caption:
            page["photo_caption"] = self.document.caption
        return page


def sections_of(document):
    """The body's sections: ``[(heading block, its paragraphs and bullets, their sentence positions)]``."""
    position, sections = 0, []
    for block in document.blocks:
        if block.kind == "heading" and block.section != HIGHLIGHTS:
            sections.append((block, [], []))
        elif sections:
            sections[-1][1].append(block)
            sections[-1][2].extend(range(position, position + len(block.sentences)))
        position += len(block.sentences)
    return sections


def text_blocks(blocks):
    """Paragraphs and bullets as the page's blocks (fixture form): consecutive bullets make one list."""
    body = []
    for block in blocks:
        if block.kind == "bullet" and body and body[-1]["type"] == "bullet_list":
            body[-1]["value"]["items"].append(_paragraph(block.text))
        elif block.kind == "bullet":
            body.append({"type": "bullet_list", "value": {"items": [_paragraph(block.text)]}})
        else:
            body.append({"type": "paragraph", "value": _paragraph(block.text)})
    return body


def _paragraph(text):
    return f"<p>{html.escape(text, quote=False)}</p>"
