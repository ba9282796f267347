"""The filters of the public record (/cooperation/), shared by its page, exports, feeds and API.

Every value comes from the query string and is validated by a form: an unknown
slug, a year that is not a year, a search too long, a sort that does not exist
each get a message naming the problem, and the filter is left out instead of
failing the request. A reversed year range is corrected, and the correction said.
"""

import re
from functools import reduce
from operator import and_

import django_filters
from django import forms
from django.db.models import Count, F, Q

from .models import Area, CooperationEntry, Partner, Place, Programme

MIN_YEAR, MAX_YEAR = 1900, 2100
SLUG_RE = re.compile(r"[-\w]{1,120}")
MAX_QUERY_LENGTH = 200
# Undated entries come last either way.
SORTS = {
    "date-desc": ("Newest first", [F("start_date").desc(nulls_last=True), "source_order", "pk"]),
    "date-asc": ("Oldest first", [F("start_date").asc(nulls_last=True), "source_order", "pk"]),
    "title": ("Title A–Z", ["title", "pk"]),
}


class RecordFilterForm(forms.Form):
    """Checks the filters together: a reversed year range is put the right way round."""

    notices: list

    def clean(self):
        cleaned = super().clean()
        self.notices = []
        year_from, year_to = cleaned.get("year_from"), cleaned.get("year_to")
        if year_from and year_to and year_from > year_to:
            cleaned["year_from"], cleaned["year_to"] = year_to, year_from
            self.notices.append(f"The years were the wrong way round; showing {year_to} to {year_from}.")
        return cleaned


class YearFilter(django_filters.NumberFilter):
    """A whole year: 2014, not 2014.5."""

    field_class = forms.IntegerField


class SlugsField(forms.ModelMultipleChoiceField):
    """Chosen records by slug; a value that cannot be a slug is refused before it reaches the database."""

    def _check_values(self, value):
        for slug in value:
            if not SLUG_RE.fullmatch(str(slug)):
                raise forms.ValidationError(
                    "“%(value)s” is not one of the available choices.", code="invalid_choice", params={"value": slug}
                )
        return super()._check_values(value)


class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = SlugsField


def slug_choice(relation, queryset, label):
    """Records chosen by slug (?area=cyber-defence&area=…); several are alternatives."""
    return SlugsFilter(
        field_name=f"{relation}__slug",
        queryset=queryset,
        to_field_name="slug",
        label=label,
        widget=forms.CheckboxSelectMultiple,
    )


class CooperationEntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search the entries",
        method="filter_text",
        max_length=MAX_QUERY_LENGTH,
        help_text="Words in the title, description or source sentence.",
    )
    partner = slug_choice("partner", Partner.objects.order_by("name"), "Partner")
    kind = django_filters.MultipleChoiceFilter(
        choices=CooperationEntry.Kind.choices, label="Kind", widget=forms.CheckboxSelectMultiple
    )
    area = slug_choice("areas", Area.objects.order_by("category", "name"), "Area or theme")
    programme = slug_choice("programmes", Programme.objects.order_by("name"), "Programme, fund or body")
    beneficiary = slug_choice("beneficiaries", Place.objects.order_by("name"), "Beneficiary country")
    year_from = YearFilter(label="From year", method="filter_years", min_value=MIN_YEAR, max_value=MAX_YEAR)
    year_to = YearFilter(label="To year", method="filter_years", min_value=MIN_YEAR, max_value=MAX_YEAR)
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        method="sort_by",
        empty_label=None,
    )

    class Meta:
        model = CooperationEntry
        fields = []
        form = RecordFilterForm

    # Facets: the filter, the field counted, and how an option is named in the query string.
    FACETS = {
        "partner": ("partner__slug", "partner__name"),
        "kind": ("kind", None),
        "area": ("areas__slug", "areas__name"),
        "programme": ("programmes__slug", "programmes__name"),
        "beneficiary": ("beneficiaries__slug", "beneficiaries__name"),
    }

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        for name in ("year_from", "year_to"):
            self.filters[name].field.widget.attrs.update(inputmode="numeric", min=MIN_YEAR, max=MAX_YEAR)
        self.form.fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "aria-describedby": "q-hint"}
        )

    def filter_text(self, queryset, name, value):
        words = value.split()[:20]
        if not words:
            return queryset
        matches = [
            Q(title__icontains=word) | Q(description__icontains=word) | Q(source_quote__icontains=word)
            for word in words
        ]
        return queryset.filter(reduce(and_, matches))

    def filter_years(self, queryset, name, value):
        # Both bounds are applied once, together, by filter_queryset.
        return queryset

    def sort_by(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        year_from, year_to = data.get("year_from"), data.get("year_to")
        if year_from or year_to:
            queryset = queryset.overlapping_years(year_from, year_to)
        # Relations can match one entry several times (two chosen areas): each entry once.
        if any(data.get(name) for name in ("area", "programme", "beneficiary")):
            queryset = queryset.distinct()
        return queryset.order_by(*self.ordering)

    @property
    def ordering(self):
        sort = getattr(self.form, "cleaned_data", {}).get("sort")
        return SORTS[sort if sort in SORTS else "date-desc"][1]

    @property
    def notices(self):
        self.errors  # noqa: B018 - validate first
        return getattr(self.form, "notices", [])

    @property
    def is_filtered(self):
        """Whether any filter is in use: such permutations are not for search engines."""
        return bool(self.data) and any(self.data.get(name) for name in self.filters if name != "sort")

    def facet_counts(self):
        """For each option of each facet, how many entries it would give with the other filters kept.

        One aggregate query per facet, whatever the number of entries or options.
        """
        counts = {}
        for facet, (field, _label) in self.FACETS.items():
            others = type(self)(self._data_without(facet), queryset=self.queryset)
            queryset = others.qs.order_by().values(field).annotate(n=Count("pk", distinct=True))
            counts[facet] = {row[field]: row["n"] for row in queryset if row[field] is not None}
        return counts

    def _data_without(self, facet):
        data = self.data.copy()
        data.pop(facet, None)
        return data
