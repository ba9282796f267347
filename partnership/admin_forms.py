"""The admin's edit forms, laid out in the order an editor thinks, with the tools that save typing.

- The entry form reads the period as the document writes it (“since 2014”, “2009–2013”) into the
  start, end, precision and open-end fields, and shows it back as readers will see it.
- Areas, programmes, places and beneficiaries are checkbox lists with a filter box: type a few
  letters, tick, go on; the ticked ones stay in view. (Wagtail's MultipleChooserPanel needs an
  InlinePanel of an orderable child model; these are ParentalManyToManyFields, carried by revisions.)
- The quoted sentence is picked from the chosen source document's sentences.
- Slugs follow the title while a record is new (Wagtail's TitleFieldPanel), and an entry's reading
  order follows its quoted sentence's position in the source document.

Everything runs on the admin's own scripts (``static/partnership/admin/``): nothing from elsewhere,
nothing inline.
"""

from django import forms
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    MultiFieldPanel,
    ObjectList,
    PublishingPanel,
    TitleFieldPanel,
)
from wagtail.admin.widgets.slug import SlugInput
from wagtail.models import Page, TranslatableMixin

from .dates import PARSED_LANGUAGE, InvalidFuzzyDate, format_period, parse_period
from .importer.documents import document_sentences
from .models import CooperationEntry, SourceDocument
from .scheduling import ScheduleThatHasRunFormMixin

ADMIN_MEDIA = forms.Media(js=["partnership/admin/entry-form.js"], css={"all": ["partnership/admin/entry-form.css"]})


# --- Widgets -----------------------------------------------------------------------------------------


class PeriodInput(forms.TextInput):
    """A text input for a period, with the period shown back (as readers will see it) below it."""

    template_name = "partnership/widgets/period_input.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["preview_url"] = reverse("partnership_admin_period")
        shown = ""
        if value:
            try:
                shown = str(parse_period(value))
            except InvalidFuzzyDate:
                shown = ""
        context["widget"]["shown"] = shown
        return context

    @property
    def media(self):
        return ADMIN_MEDIA


class FilteredCheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes with a filter box above them: typing hides the unticked ones that do not match."""

    template_name = "partnership/widgets/filtered_checkbox_list.html"

    def __init__(self, noun="", attrs=None, choices=()):
        super().__init__(attrs=attrs, choices=choices)
        self.noun = noun

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["filter_label"] = (
            gettext("Find %(noun)s") % {"noun": self.noun} if self.noun else gettext("Find")
        )
        return context

    @property
    def media(self):
        return ADMIN_MEDIA


class SentencePicker(forms.Textarea):
    """The quote, one sentence per line, with the chosen source document's sentences to pick from."""

    template_name = "partnership/widgets/sentence_picker.html"

    def __init__(self, source_field="source", section_field="source_section", attrs=None):
        super().__init__(attrs={"rows": 3, **(attrs or {})})
        self.source_field, self.section_field = source_field, section_field

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        prefix = name[: -len("source_quote")] if name.endswith("source_quote") else ""
        context["widget"].update(
            sentences_url=reverse("partnership_admin_sentences", args=[0]).replace("/0/", "/{}/"),
            source_id=f"id_{prefix}{self.source_field}",
            section_id=f"id_{prefix}{self.section_field}",
        )
        return context

    @property
    def media(self):
        return ADMIN_MEDIA


class SourceSelect(forms.Select):
    """The source documents as a plain list: there are few, and the sentence picker follows its value."""


# --- The entry form ---------------------------------------------------------------------------------


class NewlinesAsStoredMixin:
    """Text is stored with LF line breaks; browsers post a textarea's with CRLF (as HTML's form encoding
    says). Saved as posted, a record saved unchanged had its quote “changed”: its translations were
    flagged out of date, and an entry's reading order recomputed. Each posted text is stored with LF."""

    def clean(self):
        cleaned_data = super().clean()
        for name, value in list(cleaned_data.items()):
            if isinstance(value, str) and "\r" in value:
                cleaned_data[name] = value.replace("\r\n", "\n").replace("\r", "\n")
        return cleaned_data


class OwnLanguageChoicesMixin:
    """A form of a record in one language (a TranslatableMixin instance: an entry, a partner, a partner
    page…) offers, for each relation to translatable records (its partner, source, areas, framework…),
    the records of that language, and those the record holds already.

    Each language's public record, pages and API list their own records: offering both languages' put
    “Maritime security” beside “Sécurité maritime”, and an English entry could be given the French
    partner. A record of another language is still kept where the record holds it (a French entry keeps
    an English area until the area is translated: ``models.RelationsFollowTranslation``); one chosen anew is refused on
    its field, naming the language, and nothing is saved. Pages are left out: the site's trees link their
    own pages.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_language_fields = {}  # field name → the translatable model it chooses from
        locale_id = getattr(self.instance, "locale_id", None)
        if locale_id is None:
            return
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            model = getattr(queryset, "model", None)
            if model is None or not issubclass(model, TranslatableMixin) or issubclass(model, Page):
                continue
            held = self.initial.get(name)  # a pk or a record; for many, a list or a queryset of them
            held = [] if held is None else [held] if isinstance(held, str | int | models.Model) else list(held)
            held_pks = [getattr(record, "pk", record) for record in held]
            field.queryset = queryset.filter(Q(locale_id=locale_id) | Q(pk__in=held_pks))
            self.own_language_fields[name] = model

    def clean(self):
        cleaned_data = super().clean()
        for name, model in self.own_language_fields.items():
            if name not in self.errors:
                continue
            # Refused as not offered: say why when it is a record of another language.
            posted = self.fields[name].widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            posted = posted if isinstance(posted, list | tuple) else [posted]
            pks = [value for value in posted if str(value).isdigit()]
            if model.objects.filter(pk__in=pks).exclude(locale_id=self.instance.locale_id).exists():
                self.add_error(
                    name,
                    gettext("Choose one in this record’s language (%(language)s).")
                    % {"language": self.instance.locale.get_display_name()},
                )
        return cleaned_data


class TranslatableRecordForm(NewlinesAsStoredMixin, OwnLanguageChoicesMixin, WagtailAdminModelForm):
    """The admin form of the reference records (partners, frameworks, areas, programmes, places, sources)."""


class CooperationEntryForm(
    ScheduleThatHasRunFormMixin, NewlinesAsStoredMixin, OwnLanguageChoicesMixin, WagtailAdminModelForm
):
    """The entry's admin form: a ``period`` typed as written sets the five date fields.

    Left empty, the date fields are used as they are. An unreadable period is a form error on
    ``period`` naming what could not be read; nothing is saved.
    """

    period = forms.CharField(
        label=_("When"),
        required=False,
        max_length=100,
        widget=PeriodInput,
        help_text=_(
            "As the document writes it: “the early 1990s”, “April 2013”, “since 2014”, “2009–2013”, "
            "“from March 2010”. Leave it empty to set the dates field by field below."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.provenance = (self.instance.source_id, self.instance.source_quote)  # as stored, before the post
        if "direction" in self.fields:
            # A form posted without it (a script, a form from before the field existed) means the usual way.
            self.fields["direction"].required = False
        if self.instance is not None and "period" not in self.initial:
            # The field is read back by parse_period, which reads English: shown in English whatever the admin's language.
            self.initial["period"] = format_period(
                self.instance.start, self.instance.end, self.instance.ongoing, language=PARSED_LANGUAGE
            )
        for name, field in self.fields.items():
            if name in ("areas", "programmes", "places", "beneficiaries") and hasattr(field, "queryset"):
                field.queryset = field.queryset.order_by("name")
                if name == "programmes":
                    field.label_from_instance = lambda p: f"{p.name} ({p.acronym})" if p.acronym else p.name

    def clean_direction(self):
        return self.cleaned_data.get("direction") or CooperationEntry.Direction.PROVIDED

    def clean(self):
        cleaned_data = super().clean()
        # The words win over the date fields whenever there are words: they are what the editor sees
        # (the page's script keeps the fields in step with them, and empties the words when a field is set).
        text = (cleaned_data.get("period") or "").strip()
        if text:
            try:
                period = parse_period(text)
            except InvalidFuzzyDate as problem:
                self.add_error("period", str(problem))
                return cleaned_data
            cleaned_data.update(
                start_date=period.start.date,
                start_precision=period.start.precision,
                end_date=period.end.date if period.end else None,
                end_precision=period.end.precision if period.end else "",
                ongoing=period.ongoing,
            )
        return cleaned_data

    def save(self, commit=True):
        # A new entry, or one whose quote moved, takes the place of its sentence in the document's
        # reading order (save is only reached once the form is valid; the instance holds what was posted).
        moved = self.instance.pk is None or (self.instance.source_id, self.instance.source_quote) != self.provenance
        if moved and (order := reading_order(self.instance)) is not None:
            self.instance.source_order = order
            make_room_in_reading_order(self.instance, order)
        return super().save(commit=commit)


def _first_position(entry):
    sentences = entry.source_sentences
    if entry.source_id is None or not sentences:
        return None
    return entry.source.position_of(sentences[0])


def reading_order(entry):
    """The ``source_order`` that puts ``entry`` where its quoted sentence stands in its document.

    It comes just after the partner's entry whose quote stands last before (or at) this one's, on
    the loader's scale (an entry's position among the fixtures); 1 when none comes before. None when
    the quote is not found in the source (the order is then left as it is).
    """
    position = _first_position(entry)
    if position is None:
        return None
    others = (
        CooperationEntry.objects.filter(
            partner_id=entry.partner_id, source_id=entry.source_id, locale_id=entry.locale_id
        )
        .exclude(pk=entry.pk)
        .only("source_quote", "source_order", "source_id")
    )
    before = []
    for other in others:
        other.source = entry.source
        other_position = _first_position(other)
        if other_position is not None and other_position <= position:
            before.append((other_position, other.source_order))
    return max(before)[1] + 1 if before else 1


def make_room_in_reading_order(entry, order):
    """Move the partner's other entries at ``order`` and after one place down, keeping their order, when
    one of them is at ``order``.

    An update of structure, not content (as the loader does): no revision, the live entries'
    relative order unchanged.
    """
    others = CooperationEntry.objects.filter(partner_id=entry.partner_id, locale_id=entry.locale_id).exclude(
        pk=entry.pk
    )
    with transaction.atomic():
        if others.filter(source_order=order).exists():  # else the place is free: nothing moves
            others.filter(source_order__gte=order).update(source_order=F("source_order") + 1)


# --- Panels -----------------------------------------------------------------------------------------


class NewRecordTitlePanel(TitleFieldPanel):
    """The title (or name) fills the slug while the record is new; once saved, its slug is part of URLs."""

    class BoundPanel(TitleFieldPanel.BoundPanel):
        def get_should_apply(self):
            return self.instance is None or self.instance.pk is None


def slug_panel():
    return FieldPanel("slug", widget=SlugInput)


def provenance_panel(collapsed=True):
    return MultiFieldPanel(
        [
            FieldPanel("source", widget=SourceSelect),
            FieldPanel("source_section"),
            FieldPanel("source_quote", widget=SentencePicker()),
        ],
        heading=_("Where it came from"),
        classname="collapsed" if collapsed else "",
    )


ENTRY_EDIT_HANDLER = ObjectList(
    [
        MultiFieldPanel(
            [
                FieldPanel("partner"),
                FieldPanel("kind"),
                TitleFieldPanel("title", placeholder=False),
                slug_panel(),
                FieldPanel("description"),
            ],
            heading=_("The fact"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("period"),
                MultiFieldPanel(
                    [
                        FieldPanel("start_date"),
                        FieldPanel("start_precision"),
                        FieldPanel("end_date"),
                        FieldPanel("end_precision"),
                        FieldPanel("ongoing"),
                    ],
                    heading=_("Dates, field by field"),
                    classname="collapsed",
                ),
            ],
            heading=_("When"),
        ),
        MultiFieldPanel(
            [FieldPanel("amount"), FieldPanel("currency"), FieldPanel("direction")],
            heading=_("How much, and which way"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("areas", widget=FilteredCheckboxList(_("areas"))),
                FieldPanel("programmes", widget=FilteredCheckboxList(_("programmes"))),
                FieldPanel("places", widget=FilteredCheckboxList(_("places"))),
                FieldPanel("beneficiaries", widget=FilteredCheckboxList(_("beneficiary countries"))),
            ],
            heading=_("Where and with whom"),
        ),
        provenance_panel(collapsed=False),
        PublishingPanel(),
    ],
    base_form_class=CooperationEntryForm,
)

PARTNER_PANELS = [
    NewRecordTitlePanel("name", placeholder=False),
    slug_panel(),
    FieldPanel("framework"),
    FieldPanel("iso_code"),
    FieldPanel("areas", widget=FilteredCheckboxList(_("areas"))),
    provenance_panel(),
]
FRAMEWORK_PANELS = [NewRecordTitlePanel("name", placeholder=False), slug_panel(), FieldPanel("description")]
AREA_PANELS = [
    NewRecordTitlePanel("name", placeholder=False),
    slug_panel(),
    FieldPanel("category"),
    FieldPanel("description"),
    provenance_panel(),
]
PROGRAMME_PANELS = [
    NewRecordTitlePanel("name", placeholder=False),
    slug_panel(),
    FieldPanel("acronym"),
    FieldPanel("aliases"),
    FieldPanel("kind"),
    FieldPanel("parent"),
    FieldPanel("description"),
    provenance_panel(),
]
PLACE_PANELS = [
    NewRecordTitlePanel("name", placeholder=False),
    slug_panel(),
    FieldPanel("kind"),
    FieldPanel("iso_code"),
]
SOURCE_PANELS = [
    NewRecordTitlePanel("title", placeholder=False),
    slug_panel(),
    FieldPanel("publisher"),
    FieldPanel("url"),
    FieldPanel("last_updated"),
    FieldPanel("text"),
]


def sentences_payload(source: SourceDocument):
    return {"source": source.title, "sentences": document_sentences(source.text)}
