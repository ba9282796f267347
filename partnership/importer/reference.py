"""What the importer matches a document's names against: the organisation's reference data.

Partners, frameworks, areas, places and programmes come from the database and, for what the
database does not hold yet, from the reference sections of the project's fixtures
(``settings.PARTNERSHIP_FIXTURES_DIR``: ``organisation.yaml`` holds every partner of the
organisation and the programmes, funds and bodies that recur across its documents). Countries not in
either come from ISO 3166 (pycountry). A record found only in the fixtures or in ISO 3166 is
proposed as a new record with the import; one in the database is referred to and never changed.
"""

import re
from dataclasses import dataclass, field

import pycountry
from django.conf import settings
from django.utils.text import slugify
from wagtail.models import Locale

from ..loader import FixtureError, find_fixture_files, read_fixture_file
from ..models import Area, Framework, Partner, Place, Programme, normalise_quote

REFERENCE_SECTIONS = {
    "frameworks": (Framework, ("slug", "name", "description")),
    "areas": (Area, ("slug", "name", "category")),
    "places": (Place, ("slug", "name", "kind", "iso_code")),
    "programmes": (Programme, ("slug", "name", "kind", "acronym", "aliases", "parent")),
    "partners": (Partner, ("slug", "name", "framework", "iso_code")),
}


def words(text):
    """``text`` as comparable words: “NATO’s Maritime Command” → “nato s maritime command”."""
    return " ".join(re.sub(r"[^\w]+", " ", normalise_quote(text).lower()).split())


@dataclass
class Reference:
    """Reference records by section: ``{section: {slug: fields}}``, and which are in the database."""

    records: dict = field(default_factory=dict)
    stored: set = field(default_factory=set)  # (section, slug) of records in the database

    def get(self, section, slug):
        return self.records.get(section, {}).get(slug)

    def is_stored(self, section, slug):
        return (section, slug) in self.stored

    def add(self, section, values, stored=False):
        self.records.setdefault(section, {}).setdefault(values["slug"], values)
        if stored:
            self.stored.add((section, values["slug"]))

    @classmethod
    def load(cls):
        """The database's records (default locale), then the fixtures', then ISO 3166's countries."""
        reference = cls()
        reference.add_stored()
        reference.add_fixtures()
        reference.add_countries()
        return reference

    def add_stored(self):
        locale = Locale.get_default()
        for section, (model, names) in REFERENCE_SECTIONS.items():
            related = ["framework"] if model is Partner else ["parent"] if model is Programme else []
            for obj in model.objects.filter(locale=locale).select_related(*related):
                self.add(section, _values(obj, names), stored=True)

    def add_fixtures(self):
        for path in _fixture_files():
            try:
                records = read_fixture_file(path)
            except FixtureError:
                continue  # a broken fixture is load_fixtures' to report; its records are not reference data
            for record in records:
                if record.section in REFERENCE_SECTIONS and record.slug:
                    names = REFERENCE_SECTIONS[record.section][1]
                    values = {name: record.data[name] for name in names if record.data.get(name) not in (None, "")}
                    if "name" in values:
                        if isinstance(values.get("aliases"), str):
                            values["aliases"] = [values["aliases"]]
                        self.add(record.section, values)

    def add_countries(self):
        taken = {values.get("iso_code") for values in self.records.get("places", {}).values()}
        for country in pycountry.countries:
            if country.alpha_2 not in taken:
                name = country_name(country)
                self.add(
                    "places", {"slug": slugify(name), "name": name, "kind": "country", "iso_code": country.alpha_2}
                )

    # -- what names mean ----------------------------------------------------------------------------

    def partner_named(self, name):
        """The partner a document's title names ("Japan", "the Republic of Korea"), or None."""
        wanted = words(re.sub(r"^the\s+", "", name, flags=re.IGNORECASE))
        for values in self.records.get("partners", {}).values():
            if wanted in (words(values["name"]), words(values["slug"])):
                return values
        code = _iso_code(name)
        for values in self.records.get("partners", {}).values():
            if code and values.get("iso_code") == code:
                return values
        return None

    def partner_names(self):
        return sorted(values["name"] for values in self.records.get("partners", {}).values())


def _values(obj, names):
    values = {}
    for name in names:
        value = getattr(obj, name, None)
        if name in ("framework", "parent"):
            value = value.slug if value is not None else None
        elif name == "aliases":
            value = list(getattr(obj, "alias_list", []) or [])
        if value not in (None, "", []):
            values[name] = value
    return values


def _fixture_files():
    directory = getattr(settings, "PARTNERSHIP_FIXTURES_DIR", None)
    if not directory:
        return []
    try:
        return find_fixture_files([directory])
    except FixtureError:
        return []


def country_name(country):
    """How documents name a country: “Moldova” for “Moldova, Republic of”, “Bolivia”, “Türkiye”."""
    name = getattr(country, "common_name", None) or country.name
    return name.split(",")[0].strip() if "," in name else name


def country_names(country):
    """Every name a document may use for ``country``."""
    names = {country.name, country_name(country)}
    for attr in ("common_name", "official_name"):
        if value := getattr(country, attr, None):
            names.add(value)
    return {name for name in names if "," not in name}


def _iso_code(name):
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        try:
            found = pycountry.countries.search_fuzzy(name)
        except LookupError:
            return None
        return found[0].alpha_2 if len(found) == 1 else None
