"""The record's facet index (partnership.facet_index): the same counts, charts and pages as SQL's
aggregates, and never older than what is committed."""

import pytest
from django.db import transaction
from django.http import QueryDict

from cms.demo_data import generate_demo_data
from partnership.facet_index import EntriesInOrder, FacetIndex, bitset, current_version
from partnership.filters import CooperationEntryFilter
from partnership.models import Area, CooperationEntry, Partner

pytestmark = pytest.mark.django_db

# Filters as readers combine them: each facet alone and together, year bounds (one, both, reversed),
# words, several values of one facet, values that are not choices (left out with a message).
QUERIES = [
    "",
    "partner=japan",
    "partner=finland&partner=sweden",
    "area=maritime-security&kind=contribution&year_from=2000",
    "kind=milestone&kind=exercise",
    "area=cyber-defence&area=maritime-security&partner=japan",
    "year_to=1999",
    "year_from=2015",
    "year_from=2012&year_to=2005",
    "year_from=2030",
    "q=japan",
    "q=training%20ships&kind=exercise",
    "partner=nowhere&kind=nope&year_from=abc",
    "sort=title&area=wider-cooperation",
]


@pytest.fixture
def demo_record(loaded):
    generate_demo_data(partners=3, entries=300, seed=17)
    return CooperationEntry.objects.public().filter(locale__language_code="en")


def filters(query, queryset, index=None):
    locale_id = queryset.first().locale_id
    return CooperationEntryFilter(QueryDict(query), queryset=queryset, locale_id=locale_id, facet_index=index)


def page_ids(filterset, start, stop):
    queryset = filterset.queryset
    return [entry.pk for entry in filterset.listed_entries(queryset)[start:stop]]


@pytest.mark.parametrize("query", QUERIES)
def test_the_index_counts_draws_and_pages_as_sql_does(demo_record, query):
    index = FacetIndex.current(demo_record.first().locale_id)
    with_sql, with_index = filters(query, demo_record), filters(query, demo_record, index)

    assert with_index.choices == with_sql.choices
    assert with_index.options == with_sql.options
    assert with_index.form.errors == with_sql.form.errors

    sql_counts = with_sql.facet_counts()
    assert with_index.facet_counts() == sql_counts
    total = with_sql.total(sql_counts)
    assert total == with_sql.qs.count()

    sql_charts, index_charts = with_sql.chart_counts(), with_index.chart_counts()
    assert index_charts["years"] == sql_charts["years"]
    assert sorted(index_charts["areas"]) == sorted(sql_charts["areas"])

    for start in (0, 20, max(total - 5, 0)):
        assert page_ids(with_index, start, start + 20) == page_ids(with_sql, start, start + 20), (query, start)


def test_the_index_is_rebuilt_after_every_kind_of_change(demo_record):
    locale_id = demo_record.first().locale_id
    before = FacetIndex.current(locale_id)
    assert FacetIndex.current(locale_id) is before  # unchanged: the copy this process holds

    def counts(query):
        return filters(query, demo_record, FacetIndex.current(locale_id)).facet_counts()

    japan = counts("partner=japan")["kind"]
    entry = CooperationEntry.objects.public().filter(partner__slug="japan", kind="milestone").first()

    entry.unpublish()  # a published entry withdrawn
    assert counts("partner=japan")["kind"]["milestone"] == japan["milestone"] - 1

    entry.save_revision().publish()  # …and published again
    assert counts("partner=japan")["kind"] == japan

    cyber = Area.objects.get(slug="cyber-defence", locale_id=locale_id)
    in_cyber = counts("")["area"].get("cyber-defence", 0)
    entry = demo_record.exclude(areas=cyber).first()
    entry.areas.add(cyber)  # a relation changed, as the admin saves it
    entry.save()
    assert counts("")["area"]["cyber-defence"] == in_cyber + 1
    entry.areas.remove(cyber)
    entry.save()
    assert counts("")["area"]["cyber-defence"] == in_cyber
    entry.areas.add(cyber)
    entry.save()

    cyber.slug = "cyber"  # a record renamed: the facet offers its new slug
    cyber.save()
    assert "cyber-defence" not in counts("")["area"]
    assert counts("")["area"]["cyber"] == in_cyber + 1

    version = current_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Partner.objects.filter(slug="japan").first().save()
        raise RuntimeError("rolled back")
    assert current_version() == version  # a rolled-back change gives its token back


def test_the_facets_options_are_read_once_a_version_and_follow_every_change_to_the_records(
    demo_record, django_assert_num_queries
):
    """The records the facets offer are read once for each version of the index (FacetIndex.derived), and
    a record created, renamed or deleted is offered, under its new name, or not, from the next request."""
    locale_id = demo_record.first().locale_id

    def current_filters(query=""):
        index = FacetIndex.current(locale_id)
        return CooperationEntryFilter(QueryDict(query), queryset=demo_record, locale_id=locale_id, facet_index=index)

    current_filters()  # the options read for this version
    with django_assert_num_queries(1):  # the version's token only
        options = current_filters().options
    assert ("cyber-defence", "Cyber defence") in options["area"]

    cyber = Area.objects.get(slug="cyber-defence", locale_id=locale_id)
    cyber.name = "Cyber defence and resilience"
    cyber.save()
    assert ("cyber-defence", "Cyber defence and resilience") in current_filters().options["area"]

    japan = Partner.objects.get(slug="japan", locale_id=locale_id)
    partner = Partner.objects.create(name="Aotearoa", slug="aotearoa", locale_id=locale_id, framework=japan.framework)
    chosen = current_filters("partner=aotearoa")
    assert chosen.form.is_valid() and ("aotearoa", "Aotearoa") in chosen.choices["partner"]
    partner.delete()
    assert "aotearoa" not in dict(current_filters().choices["partner"])


def test_a_page_of_bits_starts_after_offset_set_bits():
    positions = [1, 3, 4, 6, 9, 10, 15]
    index = FacetIndex(ids=[100 + i for i in range(16)], positions={100 + i: i for i in range(16)})
    bits = bitset(positions, 16)
    assert bits == 0b1000011001011010
    assert index.page(bits, 0, 3) == [101, 103, 104]
    assert index.page(bits, 2, 3) == [104, 106, 109]
    assert index.page(bits, 5, 20) == [110, 115]
    assert index.page(bits, 7, 20) == []
    assert index.page(0, 0, 20) == []


def test_entries_in_order_are_sliced_like_a_list(demo_record):
    index = FacetIndex.current(demo_record.first().locale_id)
    japan = index.chosen("partner", ["japan"])
    entries = EntriesInOrder(index, japan, demo_record)
    assert len(entries) == demo_record.filter(partner__slug="japan").count()
    japan_entries = demo_record.filter(partner__slug="japan")
    dated = japan_entries.filter(start_date__isnull=False).order_by("-start_date", "source_order", "pk")
    undated = japan_entries.filter(start_date__isnull=True).order_by("source_order", "pk")
    newest_first_undated_last = [*dated.values_list("pk", flat=True), *undated.values_list("pk", flat=True)]
    assert len(newest_first_undated_last) > 12
    assert [entry.pk for entry in entries[0:12]] == newest_first_undated_last[:12]
    assert [entry.pk for entry in entries[10:]] == newest_first_undated_last[10:]
    with pytest.raises(TypeError):
        entries[3]


def test_processes_share_each_version_of_the_index_through_the_cache(demo_record, settings, django_assert_num_queries):
    """With FACET_INDEX_CACHE, a process that does not hold the current index reads it from the cache
    (one query, the version) instead of building it (five); a change is never served from there."""
    settings.FACET_INDEX_CACHE = "default"  # Redis in CI's PostgreSQL run, memory otherwise
    locale_id = demo_record.first().locale_id
    CooperationEntry.objects.public().first().save()  # a change: the record has a version (0 is never shared)
    built = FacetIndex.current(locale_id)

    FacetIndex.forget()  # as another process, which holds no index
    with django_assert_num_queries(1):  # the version only
        read = FacetIndex.current(locale_id)
    assert read is not built
    assert (read.ids, read.bits, read.start_years, read.end_years) == (
        built.ids,
        built.bits,
        built.start_years,
        built.end_years,
    )
    assert (read.open_ended, read.everything) == (built.open_ended, built.everything)
    assert read.positions == {pk: i for i, pk in enumerate(built.ids)}

    entry = CooperationEntry.objects.public().filter(partner__slug="japan", kind="milestone").first()
    milestones = filters("partner=japan", demo_record, read).facet_counts()["kind"]["milestone"]
    entry.unpublish()  # a new version: the cached one is older
    FacetIndex.forget()
    with django_assert_num_queries(5):  # the version, then the four that build it
        rebuilt = FacetIndex.current(locale_id)
    assert filters("partner=japan", demo_record, rebuilt).facet_counts()["kind"]["milestone"] == milestones - 1
    FacetIndex.forget()
    with django_assert_num_queries(1):  # …which the next process reads
        assert FacetIndex.current(locale_id).bits == rebuilt.bits


def test_an_index_never_changed_is_not_shared(demo_record, settings, django_assert_num_queries):
    """Version 0 (no change recorded) could be another database's too: it is built, never cached."""
    from partnership.models import RecordVersion

    settings.FACET_INDEX_CACHE = "default"
    RecordVersion.objects.all().delete()
    locale_id = demo_record.first().locale_id
    FacetIndex.current(locale_id)
    FacetIndex.forget()  # another process
    with django_assert_num_queries(5):  # the version (0), then built again: nothing was left in the cache
        FacetIndex.current(locale_id)
