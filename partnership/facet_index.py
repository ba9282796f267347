"""The public record's facets in memory: every published entry of one language as bitsets.

Why: the record (/cooperation/) counts, for every option of every facet, how many entries it would
give with the other filters kept, and draws the matching entries by year and by area. Done in SQL,
each count is an aggregate over every matching entry: its cost grows with the table (about 1.5 s
at 100,000 entries on PostgreSQL). Here each facet option is one Python ``int`` used as a bitset
(bit *i* set when the *i*-th entry, in the record's default order, has that option), so a count is
``(matching & option).bit_count()``: a few microseconds whatever the filters, about 12 KB per
option at 100,000 entries.

The index is built with four queries (entries, then their areas, programmes and beneficiaries)
and kept per process until the entries change. With ``settings.FACET_INDEX_CACHE`` naming a cache
shared by every process (Redis in production), the first process to need a new version builds it
and leaves it there: the others read it (tens of milliseconds at 100,000 entries) instead of each
building its own (over a second). Every write to an entry, its relations or the
records they name replaces ``RecordVersion``'s token *in the same transaction* (see
``partnership.signals``), so a reader never uses an index older than what is committed, a
rolled-back change rolls its token back too, and every worker process sees the change. A request
costs one query to read the token (``FacetIndex.current``).

Writes that send no signal (bulk inserts, queryset updates) call ``record_changed()`` themselves.
"""

import secrets
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router, transaction
from django.db.models.functions import ExtractYear

from .models import NEWEST_FIRST, CooperationEntry, RecordVersion

# The facets counted from the index: the filter's name and the entry's relation (None: a field).
RELATION_FACETS = {"area": "areas", "programme": "programmes", "beneficiary": "beneficiaries"}


def record_changed(**kwargs):
    """Give the public record a new version token, in the current transaction: every index built
    before it is rebuilt on its next use. Accepts a signal's keyword arguments (m2m_changed's "pre_" actions
    are left to their "post_" ones)."""
    if kwargs.get("action", "").startswith("pre_"):
        return
    token = secrets.randbits(62)
    if not RecordVersion.objects.filter(pk=1).update(token=token):
        with transaction.atomic():  # a savepoint: a concurrent first change must not break the caller's transaction
            RecordVersion.objects.update_or_create(pk=1, defaults={"token": token})


def current_version():
    """The record's version token (one query); 0 before the first change."""
    return RecordVersion.objects.filter(pk=1).values_list("token", flat=True).first() or 0


def bitset(positions, size):
    """An ``int`` with the bits at ``positions`` (each below ``size``) set: built in a byte array, as
    setting bits one by one on an ``int`` copies it each time."""
    array = bytearray(size // 8 + 1)
    for position in positions:
        array[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(array, "little")


def bitsets(positions_by_key, size):
    return {key: bitset(positions, size) for key, positions in positions_by_key.items()}


@dataclass
class FacetIndex:
    """One language's published entries as bitsets (bit i: the i-th entry in the record's default order,
    newest first).

    ``ids``: entry primary keys by bit position; ``positions``: the reverse; ``bits``: for each facet
    (``partner``, ``kind``, ``area``, ``programme``, ``beneficiary``), ``{option value: bitset}``;
    ``start_years`` / ``end_years``: ``{year: bitset}`` of dated entries by the year their period starts
    and ends (open-ended entries are in ``open_ended``); ``everything``: every entry's bit.
    """

    ids: list
    positions: dict
    bits: dict = field(default_factory=dict)
    start_years: dict = field(default_factory=dict)
    end_years: dict = field(default_factory=dict)
    open_ended: int = 0
    everything: int = 0
    # What readers of this version computed from the records it covers (``derived``), held with it.
    derived_values: dict = field(default_factory=dict)

    _cache = {}
    _lock = threading.Lock()

    @classmethod
    def current(cls, locale_id):
        """The index of ``locale_id``'s published entries (None: every language's, as the API lists them
        without ``?locale=``) as committed now: one query when this process holds it for the current
        version, five when it must be (re)built."""
        version = current_version()
        held = cls._cache.get(locale_id)
        if held and held[0] == version:
            return held[1]
        index = cls.shared(locale_id, version)
        with cls._lock:
            cls._cache[locale_id] = (version, index)
        return index

    @classmethod
    def shared(cls, locale_id, version):
        """The index of ``version`` from the shared cache (``settings.FACET_INDEX_CACHE``, an alias of
        ``CACHES``), else built, and left there for the other processes (one entry a language: its
        version, its state). Without that setting, or with the cache down, simply built."""
        alias = getattr(settings, "FACET_INDEX_CACHE", None)
        if not alias or not version:  # version 0: never changed, which another database may be too
            return cls.build(locale_id)
        database = connections[router.db_for_read(CooperationEntry)].settings_dict["NAME"]
        cache, key = caches[alias], f"partnership:facet-index:{database}:{locale_id}"
        found = cache.get(key)
        if found is not None and found[0] == version:
            return cls.from_state(found[1])
        index = cls.build(locale_id)
        # Kept a day at most: a process that needs it later has either read it by then or finds a newer version.
        cache.set(key, (version, index.state()), timeout=24 * 3600)
        return index

    def state(self):
        """What the shared cache keeps: everything but ``positions``, which the ids give back."""
        return (self.ids, self.bits, self.start_years, self.end_years, self.open_ended, self.everything)

    @classmethod
    def from_state(cls, state):
        ids, bits, start_years, end_years, open_ended, everything = state
        positions = dict(zip(ids, range(len(ids)), strict=True))
        return cls(ids, positions, bits, start_years, end_years, open_ended, everything)

    @classmethod
    def forget(cls):
        """Drop every index this process holds (tests: a rolled-back test database reuses old tokens)."""
        with cls._lock:
            cls._cache.clear()

    @classmethod
    def build(cls, locale_id):
        """Read ``locale_id``'s published entries (None: every language's) and their relations (four queries)."""
        entries = CooperationEntry.objects.public()
        if locale_id is not None:
            entries = entries.filter(locale_id=locale_id)
        rows = list(
            entries.order_by(*NEWEST_FIRST).values_list(
                "pk", "partner__slug", "kind", ExtractYear("start_date"), ExtractYear("period_end")
            )
        )
        index = cls(ids=[row[0] for row in rows], positions={row[0]: i for i, row in enumerate(rows)})
        size = len(rows)
        index.everything = (1 << size) - 1
        partners, kinds, starts, ends, open_ended = {}, {}, {}, {}, []
        for i, (_pk, partner, kind, start_year, end_year) in enumerate(rows):
            if partner is not None:
                partners.setdefault(partner, []).append(i)
            kinds.setdefault(kind, []).append(i)
            if start_year is not None:
                starts.setdefault(int(start_year), []).append(i)
                if end_year is None:
                    open_ended.append(i)
                else:
                    ends.setdefault(int(end_year), []).append(i)
        index.bits = {"partner": bitsets(partners, size), "kind": bitsets(kinds, size)}
        index.start_years, index.end_years = bitsets(starts, size), bitsets(ends, size)
        index.open_ended = bitset(open_ended, size)
        for facet, relation in RELATION_FACETS.items():
            field_ = CooperationEntry._meta.get_field(relation)
            entry_column, record_column = field_.m2m_field_name(), field_.m2m_reverse_field_name()
            pairs = field_.remote_field.through.objects.filter(
                **{f"{entry_column}__in": entries.values("pk")}
            ).values_list(f"{entry_column}_id", f"{record_column}__slug")
            options = {}
            for pk, slug in pairs:
                options.setdefault(slug, []).append(index.positions[pk])
            index.bits[facet] = bitsets(options, size)
        return index

    def derived(self, key, compute):
        """``compute()``'s value, computed once in this process for this index's version, then kept with it:
        for what is read from the entries or the records they name (every write to them gives a new version,
        so a new index). ``key``: hashable, naming what is computed and from what. The value is shared by
        every request that reads this index: it must not be changed."""
        try:
            return self.derived_values[key]
        except KeyError:
            value = self.derived_values[key] = compute()
            return value

    def of_ids(self, ids):
        """The bitset of the entries whose primary keys are ``ids`` (those not in the index are ignored)."""
        # One lookup an id (a search's keys are thousands: "maritime" gives 8,700 at 100,000 entries).
        found = map(self.positions.get, ids)
        return bitset([position for position in found if position is not None], len(self.ids))

    def chosen(self, facet, values):
        """The entries having any of ``values`` in ``facet`` (every entry when ``values`` is empty)."""
        if not values:
            return self.everything
        options = self.bits[facet]
        bits = 0
        for value in values:
            bits |= options.get(str(value), 0)
        return bits

    def overlapping_years(self, year_from=None, year_to=None):
        """The dated entries whose period touches [year_from, year_to] (as ``overlapping_years`` in SQL:
        an open end runs on; an undated entry matches no year filter). Every entry without bounds."""
        if not (year_from or year_to):
            return self.everything
        bits = 0
        for year, starts in self.start_years.items():
            if not year_to or year <= year_to:
                bits |= starts
        if year_from:
            ending = self.open_ended
            for year, ends in self.end_years.items():
                if year >= year_from:
                    ending |= ends
            bits &= ending
        return bits

    def counts(self, bits, facet):
        """``{option value: number of entries}`` of ``facet`` among ``bits``, options with none left out."""
        counted = {}
        for value, option in self.bits[facet].items():
            n = (bits & option).bit_count()
            if n:
                counted[value] = n
        return counted

    def by_year_and_kind(self, bits):
        """``{(start year or None, kind): n}`` among ``bits``: what the record's chart of years draws."""
        counted = {}
        dated = 0
        for year, starts in self.start_years.items():
            dated |= starts
            for kind, option in self.bits["kind"].items():
                n = (bits & starts & option).bit_count()
                if n:
                    counted[(year, kind)] = n
        for kind, option in self.bits["kind"].items():
            n = (bits & option & ~dated).bit_count()
            if n:
                counted[(None, kind)] = n
        return counted

    def page(self, bits, offset, limit):
        """The primary keys of the matching entries from ``offset`` (a count), at most ``limit``, in the
        record's default order: the lowest set bits first."""
        # Skip ``offset`` set bits by halving: the lowest ``size`` bits hold ``offset`` of them.
        low, high = 0, bits.bit_length()
        while low < high:
            middle = (low + high) // 2
            if (bits & ((1 << middle) - 1)).bit_count() < offset:
                low = middle + 1
            else:
                high = middle
        rest = bits >> low
        ids = []
        position = low
        while rest and len(ids) < limit:
            step = (rest & -rest).bit_length() - 1
            position += step
            ids.append(self.ids[position])
            rest >>= step + 1
            position += 1
        return ids


class EntriesInOrder:
    """The entries of ``bits`` in the record's default order, as a paginator slices them: a slice is the
    index's primary keys for it, then ``queryset`` (with whatever it selects and prefetches) filtered
    by them: the same queries for the first page and the last, however many entries there are."""

    def __init__(self, index, bits, queryset):
        self.index, self.bits, self.queryset = index, bits, queryset

    def __len__(self):
        return self.bits.bit_count()

    def count(self):
        """How many entries there are (what Wagtail's API paginator asks a queryset): no query."""
        return len(self)

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("EntriesInOrder takes a slice [start:stop]")
        start = key.start or 0
        stop = len(self) if key.stop is None else key.stop
        ids = self.index.page(self.bits, start, max(stop - start, 0))
        if not ids:
            return []
        loaded = {entry.pk: entry for entry in self.queryset.filter(pk__in=ids)}
        return [loaded[pk] for pk in ids if pk in loaded]
