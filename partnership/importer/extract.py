"""Facts from sentences: the rules that propose cooperation entries from a partner document.

Why rules: the family's documents are short, formal and regular, an editor must be able to see why
a fact was proposed, and nothing may be downloaded at run time. Each sentence is read as follows.

1. **Context, not facts.** A paragraph that introduces a list ("… includes:"), and a sentence of
   intent ("is particularly interested in", "seeks to") with no programme, fund, body or amount in
   it, give no fact. Such a sentence is quoted with the next one when that one goes on about it
   ("Its … squadron has trained …").
2. **One fact per item.** A sentence is cut into items at semicolons ("… in Moldova; and clear …"),
   at "as well as", and where a second clause starts with its own verb (", and to …", "and itself
   pledging …"). An item with nothing of its own (no place, programme, amount or telling word) is
   part of the item before it: "technologies for border security; infrared detection; and
   resilience …" is one fact.
3. **What kind of fact**, by the words of the item (and of the sentence's first item, which carries
   its verb): a post ("designated a liaison officer"), a contribution (an amount, a fund, "donor",
   "contributed to"), an exercise ("trained with"), support to operations ("ISAF", "stabilising"),
   a programme ("participates in", a programme's name), a milestone ("declaration", "conference",
   "initial contacts"). An item with none of these is no fact.
4. **When**: the first date in the item, read with ``partnership.dates.parse_period`` ("since
   2014" is open-ended, "(2009-2013)" a range, "the early 1990s" a part of a decade); a date in a
   relative clause (", where NATO has led … since the mid-1990s") is about something else.
5. **How much**: an amount with a currency ("US$5 billion", "EUR 1.5 million", "€300,000",
   "5 million euros"), the currency's symbols and names from Babel; a number without a currency
   ("1,000 troops") is no amount.
6. **Where, with whom**: places by name (the reference data, then every ISO 3166 country);
   programmes, funds and bodies by name, acronym or alias; areas by name, and the theme of the
   section the sentence stands under.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

import pycountry
from babel.numbers import get_currency_name, get_currency_symbol
from django.utils.text import slugify

from ..currencies import ISO_4217_CODES, format_amount
from ..dates import MONTHS, PARSED_LANGUAGE, InvalidFuzzyDate, parse_period
from ..models import normalise_quote
from .reference import country_names, words

# -- dates ---------------------------------------------------------------------------------------

_MONTH_NAMES = "|".join(sorted((re.escape(name) for name in MONTHS), key=len, reverse=True))
_ONE_DATE = (
    rf"(?:(?:the\s+)?(?:(?:early|mid|late)[\s-]+)?\d{{3}}0s"
    rf"|\d{{1,2}}\s+(?:{_MONTH_NAMES})\.?\s+\d{{4}}"
    rf"|(?:{_MONTH_NAMES})\.?\s+\d{{4}}"
    rf"|(?<![\d,.$€£¥])(?:1[89]|20)\d{{2}}(?!\d|,\d|\s*(?:troops|personnel|people|staff)))"
)
_DATE_RE = re.compile(
    rf"(?P<lead>\b(?:since|from|between|as of)\s+)?(?P<first>{_ONE_DATE})"
    rf"(?:(?P<sep>\s*[-‐‑‒–—]\s*|\s+(?:to|until|till|and)\s+)(?P<last>{_ONE_DATE}))?",
    re.IGNORECASE,
)
# A relative clause tells about something else: its dates are not the fact's.
_RELATIVE_RE = re.compile(r",\s+(?:where|when|which has|which have|whose)\b.*$", re.IGNORECASE)

# -- amounts -------------------------------------------------------------------------------------

_MULTIPLIERS = {"billion": 10**9, "bn": 10**9, "million": 10**6, "m": 10**6, "thousand": 10**3, "k": 10**3}


def _currency_words():
    """``({symbol or code: code}, {name: code})`` from Babel: “US$”, “€”, “A$”; “euros”, “US dollars”."""
    symbols, names = {}, {}
    for code in sorted(ISO_4217_CODES):
        symbols.setdefault(code, code)
        for locale in ("en_150", "en"):
            try:
                symbol = get_currency_symbol(code, locale=locale)
                plural, singular = get_currency_name(code, 2, locale), get_currency_name(code, 1, locale)
            except (ValueError, LookupError):
                continue
            if symbol != code and not symbol.isalpha():
                symbols.setdefault(symbol, code)
            for name in (plural, singular):
                if name and name != code:
                    names.setdefault(name.lower(), code)
    return symbols, names


CURRENCY_SYMBOLS, CURRENCY_NAMES = _currency_words()
_SYMBOL_ALT = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_NAME_ALT = "|".join(re.escape(n) for n in sorted(CURRENCY_NAMES, key=len, reverse=True))
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SIZE = r"billion|million|thousand|bn|m|k"
_AMOUNT_BEFORE_RE = re.compile(
    rf"(?<![\w$])(?P<currency>{_SYMBOL_ALT})\s?(?P<number>{_NUMBER})(?:\s?(?P<size>{_SIZE})\b)?"
)
_AMOUNT_AFTER_RE = re.compile(
    rf"(?P<number>{_NUMBER})(?:\s?(?P<size>billion|million|thousand)\b)?\s+(?P<name>{_NAME_ALT})\b", re.IGNORECASE
)


def find_amount(text):
    """The first amount of money in ``text``: ``(Decimal, "USD")``, or ``(None, "")``."""
    found = []
    for match in _AMOUNT_BEFORE_RE.finditer(text):
        symbol = match["currency"]
        if symbol.isupper() and symbol.isalpha() and symbol not in ISO_4217_CODES:
            continue
        found.append((match.start(), match["number"], match["size"], CURRENCY_SYMBOLS[symbol]))
    for match in _AMOUNT_AFTER_RE.finditer(text):
        found.append((match.start(), match["number"], match["size"], CURRENCY_NAMES[match["name"].lower()]))
    if not found:
        return None, ""
    _, number, size, currency = min(found)
    amount = Decimal(number.replace(",", "")) * _MULTIPLIERS.get((size or "").lower(), 1)
    return amount.quantize(Decimal("0.01")) if amount != amount.to_integral_value() else amount, currency


# -- kinds ---------------------------------------------------------------------------------------

_ROLE = r"(?:liaison officer|officer|expert|advis[eo]r|attach[ée])"
_KIND_RULES = (
    # (kind, words that say it), in order: the first that matches decides.
    # A post is one person in a role, named with the verb that placed them there (either way round).
    (
        "post",
        rf"\b(?:designat|contribut|second|assign|post|appoint|sen[dt]|provid)\w*\s+(?:(?:an?|one|two|three|several|\d+)\s+)?"
        rf"(?:\w+\s+){{0,2}}{_ROLE}s?\b|\b(?:an?|one)\s+(?:\w+\s+){{0,2}}{_ROLE}\s+(?:has\s+|have\s+)?(?:been\s+)?"
        r"(?:served|serves|posted|worked|works|seconded|appointed|assigned)\b",
    ),
    # Troops, units and ships go to operations, whatever the verb (“contributed troops to KFOR”).
    (
        "operation",
        r"\b(?:troops?|units?|frigates?|warships?|contingents?|battalions?|personnel)\b.{0,80}?"
        r"\b(?:operations?|missions?|forces?|isaf|kfor|sfor|afghanistan|kosovo|iraq)\b|\bevacu\w+",
    ),
    (
        "contribution",
        r"\b(?:trust funds?|funds?|funding|donors?|donat\w+|pledg\w+|financ\w+|grants?|generous\w*"
        r"|contribut\w+ to|contributions?)\b",
    ),
    # An event on a day, in a month or a year: joining, signing, setting up, opening.
    (
        "milestone",
        r"\b(?:joined|joins)(?!\s+(?:the\s+)?(?:\w+\s+){0,3}(?:operations?|missions?|forces?)\b)|\b(?:signed|signs|set up|inaugura\w+|opened|launched|established|endorsed"
        r"|agreed that|became|accredited|began|begun)\b",
    ),
    (
        "exercise",
        r"\b(?:exercises?|trained with|trains with|training squadron|training with|training teams?|drills?|manoeuvres)\b",
    ),
    (
        "operation",
        r"\b(?:operations?|missions?|isaf|kfor|sfor|trained|stabilis\w+|stabiliz\w+|peace-support|peacekeeping"
        r"|reintegrat\w+|disarm\w*|demobilis\w+|reconstruction|deployed|deployment)\b",
    ),
    (
        "programme",
        r"\b(?:participat\w+|programmes?|programs?|initiatives?|platform|packages?"
        r"|(?:take|takes|taking|took|taken) part)\b",
    ),
    (
        "milestone",
        r"\b(?:declarations?|signing|agreements?|conferences?|summits?|visit\w*|contacts"
        r"|meetings?|memorandum|treaty|accord|session)\b",
    ),
)
_KIND_RES = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _KIND_RULES]
_PROGRAMME_KIND = {"fund": "contribution", "operation": "operation"}
_INTENT_RE = re.compile(
    r"\b(?:(?:is|are)\s+(?:particularly\s+|especially\s+|also\s+)?interested in|interest in|seeks? to|aims? to"
    r"|hopes? to|wish(?:es)? to|intends? to|plans? to|is keen to)\b",
    re.IGNORECASE,
)
# A general statement about the partnership (“Japan is one of a range of countries …”) is no fact.
_GENERAL_RE = re.compile(r"\b(?:is|are)\s+one\s+of\b", re.IGNORECASE)
# A programme described in the present tense (“The ICI offers … to the countries of …”) is no fact
# of the partner's.
_DESCRIPTION_RE = re.compile(
    r"^(?P<subject>(?:The\s+)?[A-Z][^,;]{0,80}?)\s+(?:offers|provides|promotes|brings|aims|is|are|remains|covers)\b"
)
_GOES_ON_RE = re.compile(r"^(?:It|Its|This|These|They|Their|Such)\b")
# Where a sentence holds a second fact: a clause with its own verb.
_CLAUSE_SPLIT_RE = re.compile(
    r",?\s+and\s+(?=itself\b|also\b)|,\s+and\s+(?=to\s)|\s+as\s+well\s+as\s+|\s+and\s+again\s+(?=in\b|on\b)"
)
# “…in 2010, and another joined … in 2013”: two dated events in one sentence.
_DATED_CLAUSES_RE = re.compile(r",\s+and\s+")
_LEADING_RE = re.compile(
    r"^(?:and|or|also|earlier|most recently|more recently|recently|in addition|moreover|furthermore)\b,?\s*",
    re.IGNORECASE,
)


# A programme, fund or body the reference data does not know: a capitalised name ending in a word that
# says what it is (“Substantial NATO-Georgia Package”, “Joint Training and Evaluation Centre (JTEC)”),
# or an operation's name (“Operation Ocean Shield”).
_HEAD_KINDS = {
    "programme": "programme", "program": "programme", "process": "programme", "concept": "programme",
    "package": "programme", "initiative": "initiative", "platform": "platform", "commission": "platform",
    "council": "platform", "fund": "fund", "centre": "body", "center": "body", "command": "body",
    "agency": "body", "office": "body", "hub": "body", "school": "body", "college": "body",
    "mission": "operation", "force": "operation",
}  # fmt: skip
_CAPITALISED = r"(?:NATO[’']s\s+)?(?:[A-Z][\w’'-]*\s+(?:(?:of|for|and|on|in|the)\s+)*){0,7}"
_NEW_PROGRAMME_RE = re.compile(
    rf"\b(?P<name>{_CAPITALISED}(?P<head>{'|'.join(word.capitalize() for word in _HEAD_KINDS)})"
    r"(?:\s+(?:for|in|on|of)\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)?)(?:\s+\((?P<acronym>[A-Z][A-Za-z]{1,9})\))?"
    r"|\b(?P<operation>Operation\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)"
)


@dataclass
class Match:
    section: str
    slug: str
    start: int
    end: int


@dataclass
class Fact:
    """One proposed entry, with where it came from (``sentences``: indexes into the document's sentences)."""

    kind: str
    text: str  # the item of the sentence the fact was read from
    quote: list  # the sentence(s), word for word
    section: str
    sentences: list
    period: object = None  # a partnership.dates.Period, or None when undated
    amount: Decimal = None
    currency: str = ""
    places: list = field(default_factory=list)
    beneficiaries: list = field(default_factory=list)
    programmes: list = field(default_factory=list)
    areas: list = field(default_factory=list)
    title: str = ""
    description: str = ""
    slug: str = ""  # given when the proposal is written


class Extractor:
    """Reads facts out of a ``PartnerDocument``'s sentences against a ``Reference``."""

    def __init__(self, reference, partner):
        self.reference = reference
        self.partner = partner
        self._places = self._name_patterns("places")
        self._programmes = self._name_patterns("programmes")
        self._areas = self._name_patterns("areas", categories=("area",))
        # An acronym may stand for several records (“WPS”: the agenda's policy, the Special Representative's
        # office): ``{acronym: [slug, …]}``; the sentence's other words choose between them.
        self._acronyms = {}
        for slug, values in reference.records.get("programmes", {}).items():
            if values.get("acronym") and len(values["acronym"]) >= 2:
                self._acronyms.setdefault(values["acronym"], []).append(slug)

    def _name_patterns(self, section, categories=None):
        """``[(words, slug)]``, longest first: every name, alias and the slug's words of each record."""
        names = {}
        for slug, values in self.reference.records.get(section, {}).items():
            if categories and values.get("category") not in categories:
                continue
            candidates = [values["name"], *values.get("aliases", [])]
            if section == "programmes":
                candidates.append(slug.replace("-", " "))
            if section == "places" and values.get("iso_code"):
                country = pycountry.countries.get(alpha_2=values["iso_code"])
                candidates += sorted(country_names(country)) if country else []
            for name in candidates:
                key = words(re.sub(r"^the\s+", "", name, flags=re.IGNORECASE))
                if key and len(key) > 2:
                    names.setdefault(key, slug)
        return sorted(names.items(), key=lambda item: -len(item[0]))

    # -- finding names --------------------------------------------------------------------------

    @staticmethod
    def _find(patterns, text, section):
        """Non-overlapping matches of ``patterns`` in ``text``'s words, longest first."""
        haystack = f" {words(text)} "
        taken, found = [], []
        for key, slug in patterns:
            start = haystack.find(f" {key} ")
            while start != -1:
                end = start + len(key) + 1
                if not any(s < end and start < e for s, e in taken):
                    taken.append((start, end))
                    found.append(Match(section, slug, start, end))
                    break
                start = haystack.find(f" {key} ", start + 1)
        return sorted(found, key=lambda match: match.start)

    def places_in(self, text):
        own = self.partner.get("iso_code")
        slugs = []
        for match in self._find(self._places, text, "places"):
            values = self.reference.get("places", match.slug)
            if (own and values.get("iso_code") == own) or match.slug == self.partner["slug"]:
                continue
            # A country named inside a programme's name (“… Trust Fund for Afghanistan”) is still a place.
            if match.slug not in slugs:
                slugs.append(match.slug)
        return slugs

    def programmes_in(self, text):
        """Programmes, funds and bodies named in ``text``: known ones by name, alias or acronym, then new ones."""
        found = self._find(self._programmes, text, "programmes")
        slugs = [match.slug for match in found]
        for acronym, candidates in self._acronyms.items():
            if re.search(rf"(?<![\w-]){re.escape(acronym)}(?![\w-])", text):
                said = set(words(text).split())
                slug = max(
                    candidates,
                    key=lambda slug: len(said & set(words(self.reference.get("programmes", slug)["name"]).split())),
                )
                if slug not in slugs:
                    slugs.append(slug)
        for values in self._new_programmes(text):
            if values["slug"] not in slugs and not any(
                words(values["name"]) in words(self.reference.get("programmes", slug)["name"]) for slug in slugs
            ):
                slugs.append(values["slug"])
        return list(dict.fromkeys(slugs))

    def _new_programmes(self, text):
        """Names of programmes the reference data lacks, added to it (not stored: the import proposes them)."""
        known = {key for key, _ in self._programmes} | {words(a) for a in self._acronyms}
        for match in _NEW_PROGRAMME_RE.finditer(text):
            name = (match["name"] or match["operation"]).strip()
            name = re.sub(r"^(?:(?:NATO[’']s|The|Its|Their|This|These|In|On|Under|Since|Through|With)\s+)+", "", name)
            if name.startswith(self.partner["name"]):
                continue  # the partner's own forces or bodies (“Japan Maritime Self-Defense Force”)
            following = re.match(r"\s+([A-Z][a-z]+)\b", text[match.end() :])
            if following and not match["acronym"] and self._find(self._places, following[1], "places"):
                name += f" {following[1]}"  # “NATO Mission Iraq”, “Allied Joint Force Command Naples”
            key = words(name)
            if key in known or len(name.split()) < 2 or (match["acronym"] and words(match["acronym"]) in known):
                continue
            head = (match["head"] or "mission").lower()
            values = {"slug": slugify(normalise_quote(name))[:100], "name": name, "kind": _HEAD_KINDS[head]}
            if match["operation"]:
                values["kind"] = "operation"
            if match["acronym"]:
                values["acronym"] = match["acronym"]
                self._acronyms[match["acronym"]] = [values["slug"]]
            if self.reference.get("programmes", values["slug"]) is None:
                self.reference.add("programmes", values)
            self._programmes.append((key, values["slug"]))
            self._programmes.sort(key=lambda item: -len(item[0]))
            known.add(key)
            yield self.reference.get("programmes", values["slug"])

    def areas_in(self, text):
        return list(dict.fromkeys(match.slug for match in self._find(self._areas, text, "areas")))

    # -- reading sentences ----------------------------------------------------------------------

    def facts(self, document, section_areas):
        """The facts of ``document`` in reading order; ``section_areas`` maps a section to its theme's slug."""
        facts, numbered, seen = [], list(enumerate(document.sentences())), set()
        for position, (index, (sentence, block)) in enumerate(numbered):
            if block.kind == "paragraph" and block.text.endswith(":"):
                continue  # introduces what follows
            found = self.sentence_facts(sentence, block.section)
            if not found:
                continue
            quote, indexes = [sentence], [index]
            if _GOES_ON_RE.match(sentence) and position:
                previous_index, (previous, previous_block) = numbered[position - 1]
                if previous_block is block and not self.sentence_facts(previous, block.section):
                    quote, indexes = [previous, sentence], [previous_index, index]
            for fact in found:
                fact.quote, fact.sentences = quote, indexes
                said = (fact.kind, fact.title, normalise_quote(" ".join(quote)))
                if said in seen:
                    continue  # a sentence the document repeats is one fact, proposed once
                seen.add(said)
                theme = section_areas.get(block.section)
                fact.areas = list(dict.fromkeys([*([theme] if theme else []), *self.areas_in(" ".join(quote))]))
                facts.append(fact)
        return facts

    def sentence_facts(self, sentence, section):
        """The facts one sentence gives, or ``[]``."""
        strong = bool(self.programmes_in(sentence)) or find_amount(sentence)[0] is not None
        if (_INTENT_RE.search(sentence) or _GENERAL_RE.search(sentence)) and not strong:
            return []
        described = _DESCRIPTION_RE.match(sentence)
        if described and self.programmes_in(described["subject"]) and self.partner["name"] not in sentence:
            return []
        items = self._items(sentence)
        facts = []
        lead = items[0]
        for item in items:
            kind = self._kind(item, lead)
            if kind is None:
                continue
            facts.append(self._fact(kind, item, sentence, section))
        return facts

    def _items(self, sentence):
        """The parts of a sentence that may each be a fact, joined back where a part has nothing of its own."""
        body = sentence.rstrip(".")
        parts = []
        for piece in re.split(r";\s*", body):
            for clause in _CLAUSE_SPLIT_RE.split(piece):
                halves = _DATED_CLAUSES_RE.split(clause)
                if len(halves) > 1 and all(find_period(half) for half in halves):
                    parts.extend(halves)
                else:
                    parts.append(clause)
        items = []
        for part in (_LEADING_RE.sub("", part.strip()) for part in parts):
            if not part:
                continue
            if items and not self._own_signal(part):
                items[-1] = f"{items[-1]}; {part}"
            else:
                items.append(part)
        return items or [body]

    def _own_signal(self, text):
        return bool(
            self.places_in(text)
            or self.programmes_in(text)
            or find_amount(text)[0] is not None
            or find_period(text) is not None
            or any(regex.search(text) for _, regex in _KIND_RES)
        )

    def _kind(self, item, lead):
        for text in (item, lead) if item is not lead else (item,):
            if find_amount(text)[0] is not None:
                return "contribution"
            for kind, regex in _KIND_RES:
                if regex.search(text):
                    return kind
            for slug in self.programmes_in(text):
                kind = self.reference.get("programmes", slug).get("kind")
                return _PROGRAMME_KIND.get(kind, "programme")
        return None

    def _fact(self, kind, item, sentence, section):
        fact = Fact(kind=kind, text=item, quote=[sentence], section=section, sentences=[])
        fact.period = find_period(item)
        fact.amount, fact.currency = find_amount(item)
        fact.places = self.places_in(item)
        fact.programmes = self.programmes_in(item)
        if kind in ("contribution", "operation"):
            fact.beneficiaries = [
                slug for slug in fact.places if self.reference.get("places", slug).get("kind") == "country"
            ]
        fact.title = self.title(fact)
        fact.description = self.description(item)
        return fact

    # -- words for editors ------------------------------------------------------------------------

    def title(self, fact):
        """A short title an editor can keep or rewrite: named after the programme where there is one."""
        programmes = [self.reference.get("programmes", slug) for slug in fact.programmes]
        if fact.kind == "post":  # a person is posted to a body, not to the policy the sentence also names
            programmes.sort(key=lambda programme: programme.get("kind") != "body")
        programme = programmes[0] if programmes else None
        name = programme["name"] if programme else ""
        if fact.kind == "contribution" and fact.amount is not None:
            whom = [self.reference.get("places", slug)["name"] for slug in fact.beneficiaries]
            return (
                f"{format_amount(fact.amount, fact.currency, locale=PARSED_LANGUAGE)} for {' and '.join(whom)}"
                if whom
                else (f"Contribution of {format_amount(fact.amount, fact.currency, locale=PARSED_LANGUAGE)}")
            )
        if programme and fact.kind == "programme":
            return name if name.lower().endswith("programme") else f"Participation in the {name}"
        if programme and fact.kind == "post":
            role = re.search(r"\b(liaison officer|officer|expert|adviser|advisor|staff)\b", fact.text, re.I)
            return f"{(role[1] if role else 'Post').capitalize()} at the {name}"
        if programme and fact.kind == "contribution" and programme.get("kind") == "fund" and len(fact.places) < 2:
            return name
        return _sentence_title(self._without_subject(fact.text)) or _sentence_title(
            self._without_subject(fact.quote[-1])
        )

    def _without_subject(self, text):
        """The item without what every title would repeat: when (it has a period), and who (the partner)."""
        text = _OPENING_WHEN_RE.sub("", text.strip())
        name = re.escape(self.partner["name"])
        text = re.sub(
            rf"^(?:{name}|It|it|Its|its)(?:[’']s)?\s+(?:has\s+|have\s+|had\s+|also\s+|itself\s+|been\s+)*", "", text
        )
        return text

    def description(self, item):
        text = _LEADING_RE.sub("", item.strip()).rstrip(".;, ")
        text = re.sub(r"^(?:It|it)\b", self.partner["name"], text)
        return text[:1].upper() + text[1:] + "."


# What opens a sentence to say when or in what order (“In the 1990s, ”, “On 21 February 2019, ”,
# “Since 2014, ”, “Most recently, ”) and what closes it to say when (“ in April 2013”, “ (2009-2013)”).
_OPENING_WHEN_RE = re.compile(
    r"^(?:(?:in|on|since|from|between|during|by|earlier|later|most recently|more recently|recently|then"
    r"|in addition)\b[^,]{0,40}?,\s*)+",
    re.IGNORECASE,
)
_CLOSING_WHEN_RE = re.compile(
    rf"\s*(?:\((?:{_ONE_DATE})[^)]*\)|\b(?:in|on|since|from|between|during|over)\s+(?:{_ONE_DATE})(?:\s*[-–]\s*(?:{_ONE_DATE}))?)\s*$",
    re.IGNORECASE,
)
_CLAUSE_END_RE = re.compile(r",\s+(?:where|which|who|whose|with|mainly|including|as)\b|;\s")


def _sentence_title(text, limit=80):
    """A title from a clause: its first part, without the dates the entry holds anyway; 80 characters at most."""
    text = text.strip(" ,;.")
    if (match := _CLAUSE_END_RE.search(text)) and match.start() >= 25:
        text = text[: match.start()]
    for _ in range(2):
        text = _CLOSING_WHEN_RE.sub("", text).strip(" ,;.")
    text = text[:1].upper() + text[1:]
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def find_period(text):
    """The first period stated in ``text`` (a ``partnership.dates.Period``), or None."""
    text = _RELATIVE_RE.sub("", text)
    for match in _DATE_RE.finditer(text):
        lead = (match["lead"] or "").strip().lower()
        first, last = match["first"], match["last"]
        if last and match["sep"].strip().lower() == "and" and lead != "between":
            last = None  # “in 2012 and itself …”: two dates of two things
        if last:
            phrase = f"{first}–{last}"
        elif lead in ("since", "as of") or (lead == "from" and not last):
            phrase = f"since {first}"
        else:
            phrase = first
        try:
            return parse_period(phrase)
        except InvalidFuzzyDate:
            continue
    return None


def slug_for(partner_slug, title, taken):
    """A slug for a new entry, unique among ``taken`` (which it joins): “japan-tokyo-conference”."""
    base = slugify(normalise_quote(title))
    base = (base[:60].rsplit("-", 1)[0] if len(base) > 60 else base) or "entry"
    base = base if base.startswith(f"{partner_slug}-") else f"{partner_slug}-{base}"[:100].rstrip("-")
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug
