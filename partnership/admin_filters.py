"""Filters of the admin's listing of cooperation entries (Wagtail's WagtailFilterSet)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from .models import Area, CooperationEntry, Partner, Programme


class YearFilter(django_filters.NumberFilter):
    """A whole year: 2014, not 2014.5 nor 1e30."""

    field_class = forms.IntegerField


class EntryAdminFilterSet(WagtailFilterSet):
    partner = django_filters.ModelChoiceFilter(queryset=Partner.objects.order_by("name"), label=_("Partner"))
    kind = django_filters.ChoiceFilter(choices=CooperationEntry.Kind.choices, label=_("Kind"))
    areas = django_filters.ModelChoiceFilter(queryset=Area.objects.order_by("name"), label=_("Area or theme"))
    programmes = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.order_by("name"), label=_("Programme, fund or body")
    )
    year = YearFilter(label=_("Year"), method="filter_year", min_value=1900, max_value=2100)
    live = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            ("live", _("Published")),
            ("draft", _("Draft or unpublished")),
            ("changes", _("Published, with a newer draft")),
        ],
        method="filter_status",
        empty_label=_("Any"),
    )

    class Meta:
        model = CooperationEntry
        fields = []

    def filter_year(self, queryset, name, value):
        return queryset.overlapping_years(int(value), int(value))

    def filter_status(self, queryset, name, value):
        if value == "live":
            return queryset.filter(live=True)
        if value == "draft":
            return queryset.filter(live=False)
        return queryset.filter(live=True, has_unpublished_changes=True)
