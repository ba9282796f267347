"""The record's text search (``?q=``, CooperationEntryFilter.filter_text) finds the same entries on every
database and by every path: each word a case-insensitive substring of the title, the description or the
source sentence, words possibly in different fields. On PostgreSQL it reads one generated column (the
three fields upper-cased and joined by newlines, partnership.0013); the reference here is the plain
``icontains`` on each field, as it was written before."""

from functools import reduce
from operator import and_

import pytest
from django.db import connection
from django.db.models import Q
from django.http import QueryDict

from partnership.facet_index import FacetIndex, record_changed
from partnership.filters import CooperationEntryFilter
from partnership.models import CooperationEntry, Partner

pytestmark = pytest.mark.django_db

TEXTS = {  # slug: (title, description, source sentence(s))
    "in-title": ("Naval exercise at the École navale", "", ""),
    "in-description": ("Support", "Maritime surveillance over the Baltic.", ""),
    "in-quote": ("Agreement", "", "The first sentence.\nA second one on TRAINING ships."),
    "words-apart": ("Security sector", "Reform.", "Training of officers."),
    "split-by-fields": ("Mari", "time patrols", ""),
    "split-by-lines": ("Patrols", "", "Mari\ntime"),
    "signs": ("A 100% share", "Under the a_b rule", "back\\slash"),
    "percent-only": ("A 100 share", "Under the axb rule", "backslash"),
}

SEARCHES = [
    "maritime",
    "MARITIME",
    "mAriTime surveillance",
    "école",
    "ÉCOLE",
    "ecole",
    "training",
    "training ships",
    "security training",
    "security TRAINING officers reform",
    "security nowhere",
    "mari",
    "time",
    "100%",
    "a_b",
    "%",
    "_",
    "back\\slash",
    "first second",
    "sentence.",
    "zebra",
]


@pytest.fixture
def entries(loaded):
    partner = Partner.objects.get(slug="japan")
    template = CooperationEntry.objects.filter(partner=partner).first()
    created = CooperationEntry.objects.bulk_create(
        CooperationEntry(
            partner=partner,
            locale=partner.locale,
            kind="milestone",
            title=title,
            slug=slug,
            description=description,
            source=template.source,
            source_quote=quote,
            source_order=1000 + n,
            live=True,
        )
        for n, (slug, (title, description, quote)) in enumerate(TEXTS.items())
    )
    record_changed()  # bulk inserts send no signal
    return CooperationEntry.objects.public().filter(locale_id=partner.locale_id), created


def reference(queryset, value):
    """The entries as ``filter_text`` chose them before partnership.0013: ``icontains`` on each field."""
    words = list(dict.fromkeys(value.split()))
    matches = [Q(title__icontains=w) | Q(description__icontains=w) | Q(source_quote__icontains=w) for w in words]
    return set(queryset.filter(reduce(and_, matches)).values_list("pk", flat=True))


def searched(queryset, value, index=None):
    data = QueryDict(mutable=True)
    data["q"] = value
    return CooperationEntryFilter(data, queryset=queryset, locale_id=queryset[0].locale_id, facet_index=index)


@pytest.mark.parametrize("value", SEARCHES)
def test_the_search_finds_what_icontains_on_each_field_finds(entries, value):
    queryset, _created = entries
    expected = reference(queryset, value)
    assert set(searched(queryset, value).qs.values_list("pk", flat=True)) == expected
    # The record's path: the facet index's bits, from the matching entries' keys.
    index = FacetIndex.current(queryset[0].locale_id)
    assert searched(queryset, value, index).index_bits() == index.of_ids(expected)


def slugs(queryset, value):
    return set(searched(queryset, value).qs.filter(slug__in=TEXTS).values_list("slug", flat=True))


def test_each_field_each_case_and_words_in_different_fields(entries):
    queryset, _created = entries
    assert slugs(queryset, "maritime") == {"in-description"}
    assert slugs(queryset, "TRAINING") == {"in-quote", "words-apart"}
    assert slugs(queryset, "naval") == {"in-title"}
    assert slugs(queryset, "security training") == {"words-apart"}
    assert slugs(queryset, "training ships first") == {"in-quote"}
    # A word is never found across two fields, nor across two lines of the source sentences.
    assert slugs(queryset, "mari") == {"in-description", "split-by-fields", "split-by-lines"}
    assert slugs(queryset, "time") >= {"split-by-fields", "split-by-lines"}
    assert "split-by-fields" not in slugs(queryset, "maritime")
    assert "split-by-lines" not in slugs(queryset, "maritime")
    # LIKE's wildcards and escape character are the characters typed.
    assert slugs(queryset, "100%") == {"signs"}
    assert slugs(queryset, "a_b") == {"signs"}
    assert slugs(queryset, "back\\slash") == {"signs"}
    if connection.vendor == "postgresql":  # SQLite's LIKE folds the case of ASCII letters only
        assert slugs(queryset, "ÉCOLE") == {"in-title"}


def test_the_search_follows_every_kind_of_write(entries):
    queryset, created = entries
    entry = created[0]
    entry.title = "Harbour visit"
    entry.save()
    assert slugs(queryset, "harbour") == {"in-title"}
    assert slugs(queryset, "naval") == set()
    CooperationEntry.objects.filter(pk=entry.pk).update(description="Icebreaker", source_quote="Polar")
    assert slugs(queryset, "icebreaker polar harbour") == {"in-title"}
    CooperationEntry.objects.filter(pk=entry.pk).delete()
    assert slugs(queryset, "harbour") == set()
