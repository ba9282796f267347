"""The structured record of a partnership: who, what kind, when, how much, where, and from which sentence.

Every content model is translatable (English is the default locale, French is
configured) and remembers the checksum of what ``load_fixtures`` last wrote,
so that a later load can tell an editor's correction from stale data.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail import hooks
from wagtail.models import (
    DraftStateMixin,
    Locale,
    LockableMixin,
    PreviewableMixin,
    RevisionMixin,
    TranslatableMixin,
    WorkflowMixin,
)
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin
from wagtail_localize.fields import SynchronizedField, TranslatableField

from .currencies import ISO_3166_CODES, ISO_4217_CODES, format_amount
from .dates import FuzzyDate, Precision, format_period, precision_problem
from .serializers import API_FIELDS
from .text import validate_text


def normalise_space(text):
    return " ".join(text.split())


# Typography that differs between a document and what an editor types: curly and straight quotes,
# dashes and hyphens, the ellipsis. Mapped to one plain form before quotes are compared.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00ad": None,  # a soft hyphen is invisible
        "\u200b": None,  # so is a zero-width space
    }
)  # fmt: skip


def normalise_quote(text):
    """``text`` as compared with a document: whitespace collapsed, typographic quotes, dashes and ellipses plain."""
    return normalise_space(str(text).translate(_TYPOGRAPHY).replace("\u2026", "..."))


class FixtureTracked(models.Model):
    """What the fixture loader wrote last, to recognise an editor's later change."""

    fixture_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True


DUPLICATE_SLUG = _("This slug is already used by another record in the same language; choose another.")


class SlugUniquePerLocale(models.Model):
    """Reports a slug already used in the record's language as an error on the slug field, at the first save.

    A model form leaves out of constraint checks every field it does not show, and ``locale`` is never
    on the form, so Django skipped the (locale, slug) constraint and the database refused the row with
    an IntegrityError (a 500), or, for a draft of a live entry (kept only as a revision), not at all.
    Raises ValidationError ``{"slug": [DUPLICATE_SLUG]}``.
    """

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        exclude = set(exclude or ())
        if "slug" not in exclude and self.locale_id:
            exclude.discard("locale")
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            non_field = errors.pop(NON_FIELD_ERRORS, [])
            duplicate_slug = [e for e in non_field if DUPLICATE_SLUG in ValidationError(e).messages]
            if duplicate_slug:
                errors.setdefault("slug", []).append(DUPLICATE_SLUG)
            if rest := [e for e in non_field if e not in duplicate_slug]:
                errors[NON_FIELD_ERRORS] = rest
            raise ValidationError(errors) from error


def unique_slug_per_locale(name):
    return models.UniqueConstraint(
        fields=["locale", "slug"],
        name=f"{name}_unique_slug_per_locale",
        violation_error_message=DUPLICATE_SLUG,
    )


NO_ORIGINAL = _("Create it in English first, then translate it.")


class EnglishOriginalRequired(models.Model):
    """A record in another language is a translation of one in the default language (English).

    Records are translated with wagtail-localize, which gives a translation the original's
    ``translation_key``; one created directly in French has no original to be translated from, and
    ``clean`` refuses it (ValidationError ``{"__all__": [NO_ORIGINAL]}``): nothing is saved.
    """

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.locale_id and self.translation_key:
            default = Locale.get_default()
            if self.locale_id != default.pk and not self.has_translation(default):
                raise ValidationError({NON_FIELD_ERRORS: [NO_ORIGINAL]})


class RelationsFollowTranslation:
    """Many-to-many relations that point at records in the record's own locale.

    wagtail-localize translates fields and foreign keys but copies many-to-many relations as they are,
    so a French entry would point at English areas. Each value of ``localised_relations`` (field
    names) is mapped, when the record is saved (and so when a revision is published), to its
    translation in the record's locale, or kept as it is where no translation exists yet.
    """

    localised_relations = ()

    def localise_relations(self):
        """Map the relations in memory (ParentalManyToManyField values, written by ``save``)."""
        if not self.locale_id:
            return
        for name in self.localised_relations:
            related = list(getattr(self, name).all())
            mapped = [in_locale(obj, self.locale_id) for obj in related]
            if [obj.pk for obj in mapped] != [obj.pk for obj in related]:
                getattr(self, name).set(mapped)


def in_locale(obj, locale_id):
    """``obj``'s translation in the locale ``locale_id``, or ``obj`` itself when there is none."""
    if obj.locale_id == locale_id:
        return obj
    return obj.get_translation_or_none(locale_id) or obj


class SourceDocument(SlugUniquePerLocale, EnglishOriginalRequired, TranslatableMixin, FixtureTracked):
    """A published document that facts are taken from (the provenance of every entry).

    Translatable: the French document is the French text, which French entries quote.
    """

    title = models.CharField(validators=[validate_text], max_length=255)
    slug = models.SlugField(max_length=120)
    publisher = models.CharField(validators=[validate_text], max_length=255, blank=True)
    url = models.URLField(blank=True, help_text=_("Where the document is published, if online."))
    last_updated = models.DateTimeField(null=True, blank=True, help_text=_("The date the document itself gives."))
    text = models.TextField(
        validators=[validate_text], help_text=_("The full text, against which every quoted sentence is checked.")
    )

    translatable_fields = [
        TranslatableField("title"),
        TranslatableField("slug"),
        TranslatableField("publisher"),
        TranslatableField("text"),
        SynchronizedField("url", overridable=False),
        SynchronizedField("last_updated", overridable=False),
    ]

    class Meta(TranslatableMixin.Meta):
        ordering = ["title"]
        constraints = [unique_slug_per_locale("sourcedocument")]

    def __str__(self):
        return self.title

    def contains(self, sentence):
        """Whether ``sentence`` is in the text, whatever its quotes, dashes and whitespace (see ``normalise_quote``)."""
        return self.position_of(sentence) is not None

    def position_of(self, sentence):
        """Where ``sentence`` starts in the normalised text (an int), or None when it is not there."""
        needle = normalise_quote(sentence)
        if not needle:
            return None
        position = normalise_quote(self.text).find(needle)
        return None if position < 0 else position


class Provenance(models.Model):
    """Where a fact came from: the document, its section, and the sentence(s) quoted exactly."""

    source = models.ForeignKey(SourceDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_section = models.CharField(
        validators=[validate_text],
        max_length=255,
        blank=True,
        help_text=_("The heading of the document section the fact is in."),
    )
    source_quote = models.TextField(
        validators=[validate_text],
        blank=True,
        help_text=_("The sentence(s) the fact was taken from, exactly as in the document; one sentence per line."),
    )

    class Meta:
        abstract = True

    @property
    def source_sentences(self):
        return [line.strip() for line in self.source_quote.splitlines() if line.strip()]

    def clean_provenance(self, required):
        errors = {}
        if required and not self.source_id:
            errors["source"] = gettext("Name the document this fact was taken from.")
        if required and not self.source_sentences:
            errors["source_quote"] = gettext("Quote the sentence this fact was taken from.")
        if self.source_sentences and not self.source_id:
            errors["source"] = gettext("A quoted sentence needs the document it is quoted from.")
        if self.source_id:
            missing = [sentence for sentence in self.source_sentences if not self.source.contains(sentence)]
            if missing:
                errors["source_quote"] = gettext("Not found word for word in “%(document)s”: “%(sentence)s”") % {
                    "document": self.source,
                    "sentence": missing[0],
                }
        return errors


class Translatable(SlugUniquePerLocale, EnglishOriginalRequired, TranslatableMixin, FixtureTracked, index.Indexed):
    """A translatable record with a slug unique within its locale, searched by name in the admin's choosers."""

    name = models.CharField(validators=[validate_text], max_length=255)
    slug = models.SlugField(max_length=120, help_text=_("Part of public URLs and filters; keep it stable."))

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("locale_id"),
    ]

    class Meta(TranslatableMixin.Meta):
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Framework(Translatable):
    """A partnership framework such as “partners across the globe” or the Mediterranean Dialogue."""

    description = models.TextField(validators=[validate_text], blank=True)

    class Meta(Translatable.Meta):
        constraints = [unique_slug_per_locale("framework")]

    translatable_fields = [TranslatableField("name"), TranslatableField("slug"), TranslatableField("description")]


class Area(Translatable, Provenance):
    """A cooperation area (cyber defence, maritime security, …) or a theme of the document's sections."""

    class Category(models.TextChoices):
        AREA = "area", _("Area of practical cooperation")
        THEME = "theme", _("Theme of cooperation")

    category = models.CharField(max_length=10, choices=Category.choices, default=Category.AREA)
    description = models.TextField(validators=[validate_text], blank=True)

    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("slug"),
        TranslatableField("description"),
        TranslatableField("source"),
        TranslatableField("source_section"),
        TranslatableField("source_quote"),
        SynchronizedField("category", overridable=False),
    ]

    class Meta(Translatable.Meta):
        ordering = ["category", "name"]
        constraints = [unique_slug_per_locale("area")]

    def clean(self):
        super().clean()
        if errors := self.clean_provenance(required=False):
            raise ValidationError(errors)


def iso_3166_problem(code):
    """Why ``code`` (two capital letters, as the field's validator has checked) is no ISO 3166-1
    country code, or '' when it is one, is empty, or is malformed (the field says so already)."""
    if len(code) == 2 and code.isascii() and code.isalpha() and code.isupper() and code not in ISO_3166_CODES:
        return gettext("“%(code)s” is not an ISO 3166-1 country code (such as JP, UA).") % {"code": code}
    return ""


class Place(Translatable):
    """A country, region or sea where cooperation happens or which benefits from it."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")
        SEA = "sea", _("Sea or ocean")

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COUNTRY)
    iso_code = models.CharField(
        _("ISO 3166 code"),
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use the two capital letters of ISO 3166-1 (JP, UA, …)."))],
    )

    class Meta(Translatable.Meta):
        constraints = [unique_slug_per_locale("place")]

    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("slug"),
        SynchronizedField("kind", overridable=False),
        SynchronizedField("iso_code", overridable=False),
    ]

    def clean(self):
        super().clean()
        if self.iso_code and self.kind != self.Kind.COUNTRY:
            raise ValidationError({"iso_code": gettext("Only a country has an ISO 3166 code.")})
        if problem := iso_3166_problem(self.iso_code):
            raise ValidationError({"iso_code": problem})


class Programme(Translatable, Provenance):
    """A programme, initiative, fund, body or operation that partners take part in, shared between partners."""

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Programme")
        INITIATIVE = "initiative", _("Initiative or framework")
        PLATFORM = "platform", _("Platform or forum")
        FUND = "fund", _("Trust fund")
        BODY = "body", _("Body, command or office")
        OPERATION = "operation", _("Operation or mission")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    acronym = models.CharField(validators=[validate_text], max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_(
            "The programme this one belongs to (the Interoperability Platform belongs to the Partnership Interoperability Initiative)."
        ),
    )
    description = models.TextField(validators=[validate_text], blank=True)
    aliases = models.TextField(
        validators=[validate_text],
        blank=True,
        help_text=_(
            "Other names and spellings documents use for it, one per line "
            "(“PfP programme”, “Allied Maritime Command”). The name and acronym need not be repeated."
        ),
    )

    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("slug"),
        TranslatableField("acronym"),
        TranslatableField("description"),
        # The parent is the programme's translation in the same language (or the original, until translated).
        TranslatableField("parent"),
        TranslatableField("source"),
        TranslatableField("source_section"),
        TranslatableField("source_quote"),
        SynchronizedField("kind", overridable=False),
        SynchronizedField("aliases", overridable=False),
    ]

    search_fields = [
        *Translatable.search_fields,
        index.SearchField("acronym"),
        index.AutocompleteField("acronym"),
        index.SearchField("aliases"),
        index.AutocompleteField("aliases"),
    ]

    class Meta(Translatable.Meta):
        verbose_name = _("programme, fund or body")
        verbose_name_plural = _("programmes, funds and bodies")
        constraints = [unique_slug_per_locale("programme")]

    @property
    def alias_list(self):
        """The aliases as a list of strings, one per non-blank line, stripped, in the order written
        (a repeated alias, whatever its case and spacing, is kept once): ``["PfP", "PfP programme"]``."""
        aliases, seen = [], set()
        for line in self.aliases.splitlines():
            alias = normalise_space(line)
            if alias and alias.casefold() not in seen:
                seen.add(alias.casefold())
                aliases.append(alias)
        return aliases

    @property
    def names(self):
        """Every name a document may use for it: the name, the acronym (if any) and the aliases, each once."""
        names, seen = [], set()
        for name in (self.name, self.acronym, *self.alias_list):
            name = normalise_space(name or "")
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                names.append(name)
        return names

    def clean(self):
        super().clean()
        errors = self.clean_provenance(required=False)
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.pk == self.pk and self.pk is not None:
                errors["parent"] = gettext("A programme cannot belong to itself.")
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        if errors:
            raise ValidationError(errors)


class Partner(Translatable, Provenance):
    """A partner country, in one framework, with its areas of practical cooperation."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="partners")
    iso_code = models.CharField(
        _("ISO 3166 code"),
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use the two capital letters of ISO 3166-1 (JP, UA, …)."))],
    )
    areas = models.ManyToManyField(Area, blank=True, related_name="partners", verbose_name=_("areas of cooperation"))

    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("slug"),
        TranslatableField("framework"),
        TranslatableField("source"),
        TranslatableField("source_section"),
        TranslatableField("source_quote"),
        SynchronizedField("iso_code", overridable=False),
    ]

    class Meta(Translatable.Meta):
        constraints = [unique_slug_per_locale("partner")]

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.localise_areas()

    def localise_areas(self):
        """A translation's areas are its original's, each in the translation's language where translated.

        wagtail-localize copies no many-to-many relation (and ``areas`` is not parental): the areas
        follow the English partner's whenever the translation is saved (synchronised with it).
        """
        default = Locale.get_default()
        if not self.locale_id or self.locale_id == default.pk:
            return
        original = Partner.objects.filter(translation_key=self.translation_key, locale=default).first()
        if original is None:
            return
        areas = [in_locale(area, self.locale_id) for area in original.areas.all()]
        if {area.pk for area in areas} != set(self.areas.values_list("pk", flat=True)):
            self.areas.set(areas)

    def clean(self):
        super().clean()
        errors = self.clean_provenance(required=False)
        if problem := iso_3166_problem(self.iso_code):
            errors["iso_code"] = problem
        if errors:
            raise ValidationError(errors)


# The record's default order: the newest first, undated entries last (then as the document has them).
NEWEST_FIRST = (models.F("start_date").desc(nulls_last=True), "source_order", "pk")


class CooperationEntryQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def public(self):
        """Only what the public may see: published, live entries."""
        return self.filter(live=True)

    def chronological(self):
        return self.order_by(models.F("start_date").asc(nulls_last=True), "source_order", "pk")

    def overlapping_years(self, year_from=None, year_to=None):
        """Entries whose period touches [year_from, year_to]; an open end runs to today and beyond."""
        queryset = self.exclude(start_date__isnull=True) if (year_from or year_to) else self
        if year_to:
            queryset = queryset.filter(start_date__year__lte=year_to)
        if year_from:
            queryset = queryset.filter(Q(period_end__isnull=True) | Q(period_end__year__gte=year_from))
        return queryset


class CooperationEntry(
    SlugUniquePerLocale,
    EnglishOriginalRequired,
    RelationsFollowTranslation,
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    TranslatableMixin,
    Provenance,
    FixtureTracked,
    index.Indexed,
    ClusterableModel,
):
    """One fact of cooperation with one partner: a milestone, a contribution, a post, …

    Edited like a page: drafts, revisions, locking, scheduling and moderation.
    Its relations are ParentalManyToManyFields so that revisions and drafts
    carry them too.
    """

    class Kind(models.TextChoices):
        MILESTONE = "milestone", _("Milestone")
        PROGRAMME = "programme", _("Programme participation")
        CONTRIBUTION = "contribution", _("Financial contribution")
        POST = "post", _("Personnel post")
        EXERCISE = "exercise", _("Exercise or training")
        OPERATION = "operation", _("Support to operations")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(validators=[validate_text], max_length=255)
    slug = models.SlugField(max_length=120, help_text=_("Part of the entry's public URL; keep it stable."))
    description = models.TextField(validators=[validate_text], blank=True)

    start_date = models.DateField(
        null=True, blank=True, help_text=_("The first day of the period: 1990-01-01 for “the early 1990s”.")
    )
    start_precision = models.CharField(max_length=12, choices=Precision.choices, blank=True)
    end_date = models.DateField(
        null=True, blank=True, help_text=_("The first day of the last period: 2013-01-01 for “2009–2013”.")
    )
    end_precision = models.CharField(max_length=12, choices=Precision.choices, blank=True)
    ongoing = models.BooleanField(default=False, help_text=_("Open-ended, written “since …”."))
    # The last day the entry is known to cover, derived on save, so that SQL can
    # filter by year over whole periods; NULL when open-ended or undated.
    period_end = models.DateField(null=True, blank=True, editable=False)

    amount = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), _("An amount cannot be negative."))],
    )
    currency = models.CharField(
        validators=[validate_text], max_length=3, blank=True, help_text=_("ISO 4217 code, such as USD or EUR.")
    )

    areas = ParentalManyToManyField(Area, blank=True, related_name="entries")
    programmes = ParentalManyToManyField(
        Programme, blank=True, related_name="entries", verbose_name=_("programmes, funds and bodies")
    )
    places = ParentalManyToManyField(
        Place, blank=True, related_name="entries_here", help_text=_("Where it took place.")
    )
    beneficiaries = ParentalManyToManyField(
        Place,
        blank=True,
        related_name="entries_benefiting",
        verbose_name=_("beneficiary countries"),
        limit_choices_to={"kind": Place.Kind.COUNTRY},  # regions and seas are places, not beneficiaries
    )

    class Direction(models.TextChoices):
        PROVIDED = "provided", _("Provided by the partner")
        RECEIVED = "received", _("Received by the partner")

    direction = models.CharField(
        _("which way support flowed"),
        max_length=8,
        choices=Direction.choices,
        default=Direction.PROVIDED,
        help_text=_("“Received” when the partner was helped (by a trust fund, say) rather than giving the help."),
    )
    source_order = models.PositiveIntegerField(
        default=0, help_text=_("Position of the fact in its source document, to list entries in reading order.")
    )

    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="cooperation_entry",
        for_concrete_model=False,
    )
    revisions = GenericRelation(
        "wagtailcore.Revision",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="cooperation_entry",
        for_concrete_model=False,
    )

    objects = CooperationEntryQuerySet.as_manager()

    search_fields = [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.SearchField("description"),
        index.SearchField("source_quote"),
        index.FilterField("kind"),
        index.FilterField("live"),
        index.FilterField("partner_id"),
        index.FilterField("locale_id"),
        # A search may be narrowed to chosen entries first (the site search ranks a bounded set of them).
        index.FilterField("id"),
    ]

    # The API serves the public fields, as the exports do (partnership.serializers).
    api_fields = API_FIELDS

    translatable_fields = [
        TranslatableField("title"),
        TranslatableField("slug"),
        TranslatableField("description"),
        # The partner and the source are their translations (the French entry quotes the French document).
        TranslatableField("partner"),
        TranslatableField("source"),
        TranslatableField("source_section"),
        TranslatableField("source_quote"),
        *(
            SynchronizedField(name, overridable=False)
            for name in (
                "kind",
                "start_date",
                "start_precision",
                "end_date",
                "end_precision",
                "ongoing",
                "amount",
                "currency",
                "direction",
                "source_order",
            )
        ),
    ]
    # Ignored by wagtail-localize: mapped to their translations when the entry is saved.
    localised_relations = ("areas", "programmes", "places", "beneficiaries")

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("cooperation entry")
        verbose_name_plural = _("cooperation entries")
        ordering = ["source_order", "pk"]
        constraints = [unique_slug_per_locale("entry")]
        indexes = [
            models.Index(fields=["start_date"]),
            models.Index(fields=["kind"]),
            # The record's default order (newest first, as the record page, exports and API list them),
            # of the public entries only: a page of them, at any offset, is read from this index alone.
            models.Index(
                models.F("start_date").desc(nulls_last=True),
                models.F("source_order"),
                models.F("id"),
                models.F("locale"),  # so that one language's page is read from the index alone too
                name="entry_public_newest_first",
                condition=Q(live=True),
            ),
            # Whether a partner has public entries (the record's partner filter lists those that do): without
            # it PostgreSQL scans the table for each partner that has none.
            models.Index(fields=["partner"], condition=Q(live=True), name="entry_public_partner"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.period_end = self._derived_period_end()
        self.localise_relations()
        super().save(*args, **kwargs)

    def get_preview_template(self, request, mode_name):
        return "partnership/entry_detail.html"

    def get_preview_context(self, request, mode_name):
        """The public entry page as it will look, in the admin's preview panel.

        The page around an entry is the site's: each function registered with the Wagtail hook
        ``partnership_entry_preview_context`` (``(entry, request) -> dict``) adds what the
        template needs beyond the entry. With none registered, the preview has the entry alone.
        """
        context = super().get_preview_context(request, mode_name)
        for add_context in hooks.get_hooks("partnership_entry_preview_context"):
            context.update(add_context(self, request))
        return context

    @property
    def start(self):
        return _fuzzy_or_none(self.start_date, self.start_precision)

    @property
    def end(self):
        return _fuzzy_or_none(self.end_date, self.end_precision)

    @property
    def period_display(self):
        """The period as the document writes it: “April 2013”, “since 2014”, “2009–2013”; '' if undated."""
        return format_period(self.start, self.end, self.ongoing)

    @property
    def period_in_own_language(self):
        """``period_display`` in the entry's own language (“depuis 2014” for a French entry), whatever
        the active one: for outputs that list entries of several languages, such as the API. Reads
        ``locale``: select it with the entry where many are listed."""
        with translation.override(self.locale.language_code):
            return self.period_display

    @property
    def is_single_date(self):
        """Whether the period is one date (not a range, not open-ended): then it can be a <time>."""
        return bool(self.start_date) and not self.end_date and not self.ongoing

    @property
    def amount_display(self):
        """The amount for readers: “USD 5 billion”, “EUR 1.5 million”, “USD 12,500”."""
        if self.amount is None:
            return ""
        return format_amount(self.amount, self.currency)

    def clean(self):
        super().clean()
        errors = self.clean_provenance(required=True)
        errors.update(self._date_errors())
        if self.amount is not None and not self.currency:
            errors["currency"] = gettext("Give the currency of the amount (an ISO 4217 code such as USD).")
        if self.currency and self.currency not in ISO_4217_CODES:
            errors["currency"] = gettext("“%(code)s” is not an ISO 4217 currency code (such as USD, EUR, JPY).") % {
                "code": self.currency
            }
        elif self.currency and self.amount is None:
            errors["amount"] = gettext("A currency needs an amount.")
        if errors:
            raise ValidationError(errors)

    def _date_errors(self):
        errors = {}
        for prefix in ("start", "end"):
            date, precision = getattr(self, f"{prefix}_date"), getattr(self, f"{prefix}_precision")
            if date and not precision:
                errors[f"{prefix}_precision"] = gettext("Say how precise the date is (decade, year, month or day).")
            elif precision and not date:
                errors[f"{prefix}_date"] = gettext("A precision needs a date.")
            elif date and (problem := precision_problem(date, precision)):
                errors[f"{prefix}_date"] = problem
        if errors:
            return errors
        if self.end_date and not self.start_date:
            errors["end_date"] = gettext("An end needs a start.")
        elif self.ongoing and not self.start_date:
            errors["ongoing"] = gettext("An open-ended (“since …”) entry needs a start date.")
        elif self.ongoing and self.end_date:
            errors["ongoing"] = gettext("An entry cannot both be ongoing and have an end.")
        elif self.end and self.end.last_day < self.start.first_day:
            errors["end_date"] = gettext("The end (%(end)s) is before the start (%(start)s).") % {
                "end": self.end,
                "start": self.start,
            }
        return errors

    def _derived_period_end(self):
        if self.ongoing or not self.start_date or not self.start_precision:
            return None
        try:
            return (self.end or self.start).last_day
        except ValueError:  # an unvalidated, inconsistent date: leave it to clean() to report
            return None


def _fuzzy_or_none(date, precision):
    if not date or not precision:
        return None
    return FuzzyDate(date, precision)


# --- Imports of partner documents -------------------------------------------------------------------


class RecordVersion(models.Model):
    """The public record's version: a random token replaced, in the same transaction, by every write to
    entries or to the records they name (``partnership.facet_index.record_changed``). One row (pk 1),
    made by the first change; what each process's copy of the record's facet index is checked against."""

    token = models.BigIntegerField()

    class Meta:
        verbose_name = _("record version")

    def __str__(self):
        return f"{self._meta.verbose_name} {self.token}"


class DocumentImport(models.Model):
    """One partner document read by the importer (``partnership.importer``) and what it proposed.

    The document itself is ``source`` (its full text, as quoted); ``changes`` compares it, sentence
    by sentence, with the ``previous`` version of the same document: a list of
    ``{"status": "added" | "removed" | "changed", "old": str, "new": str}``, empty for a first import.
    """

    source = models.OneToOneField(SourceDocument, on_delete=models.CASCADE, related_name="document_import")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="document_imports")
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text=_("The earlier version.")
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The partner page proposed (or, for a newer version, the page that already existed)."),
    )
    filename = models.CharField(validators=[validate_text], max_length=255, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("document import")

    def __str__(self):
        return (
            f"{self.source.title} ({self.source.last_updated:%d %b %Y})"
            if self.source.last_updated
            else str(self.source)
        )


class ProposedEntry(models.Model):
    """A draft entry an import proposed, and what an editor decided about it.

    A rejected proposal keeps its title and quote after its draft entry is deleted, so that
    importing a newer version of the document does not propose the same fact again.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("To review")
        ACCEPTED = "accepted", _("Accepted: in moderation")
        REJECTED = "rejected", _("Rejected")

    document_import = models.ForeignKey(DocumentImport, on_delete=models.CASCADE, related_name="proposals")
    entry = models.OneToOneField(
        CooperationEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=CooperationEntry.Kind.choices)
    title = models.CharField(validators=[validate_text], max_length=255)
    quote = models.TextField(validators=[validate_text])
    sentences = models.JSONField(default=list, help_text=_("Positions of the quoted sentences in the document."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("proposed entry")
        verbose_name_plural = _("proposed entries")

    def __str__(self):
        return self.title

    def accept(self, user):
        """Submit the draft entry to its moderation workflow; raises ``ValidationError`` if it cannot be
        (decided already, deleted, published, no workflow, or its sentence changed in a newer version)."""
        entry = self._draft_entry()
        if newer := self.superseded_by:
            raise ValidationError(
                gettext(
                    "The sentence of “%(title)s” changed in the version last updated %(updated)s: "
                    "review that import instead, or edit the entry."
                )
                % {"title": entry.title, "updated": f"{newer.source.last_updated:%d %b %Y}"}
            )
        workflow = entry.get_workflow()
        if workflow is None:
            raise ValidationError(
                gettext(
                    "No moderation workflow is set for cooperation entries: an administrator must assign one "
                    "(Settings › Workflows) before proposals can be accepted."
                )
            )
        if entry.workflow_in_progress:
            raise ValidationError(gettext("“%(title)s” is already in moderation.") % {"title": entry.title})
        if entry.latest_revision is None or entry.latest_revision.user is None:
            # The import's revision is nobody's: the one moderators review is the person's who accepted it.
            entry.save_revision(user=user)
        workflow.start(entry, user)
        self._decide(self.Status.ACCEPTED, user)

    @property
    def edited(self):
        """Whether someone has saved the draft since the import made it (the import saved one revision)."""
        return self.entry is not None and self.entry.revisions.count() > 1

    @property
    def superseded_by(self):
        """The newer import whose document changed or removed this proposal's sentence, or None."""
        quote = normalise_quote(" ".join(self.quote.splitlines()))
        newer = DocumentImport.objects.filter(
            partner_id=self.document_import.partner_id,
            source__last_updated__gt=self.document_import.source.last_updated,
        ).order_by("source__last_updated")
        for document_import in newer:
            if any(change["old"] and normalise_quote(change["old"]) in quote for change in document_import.changes):
                return document_import
        return None

    def reject(self, user):
        """Delete the draft entry and remember the rejection; raises ``ValidationError`` if it is published
        or if someone has edited it since the import (their work would go with it)."""
        entry = self._draft_entry()
        if self.edited:
            raise ValidationError(
                gettext(
                    "“%(title)s” has been edited since the import: rejecting would delete that work. "
                    "Open the entry to see the changes; delete it from there if it should go."
                )
                % {"title": entry.title}
            )
        if entry.workflow_in_progress:
            entry.current_workflow_state.cancel(user=user)
        entry.delete()
        self.entry = None
        self._decide(self.Status.REJECTED, user)
        # The page the import made may show the fact's sentence through the entry: the site keeps it there
        # (cms.imports); each function registered with this Wagtail hook is given the proposal.
        for rejected in hooks.get_hooks("partnership_proposal_rejected"):
            rejected(self)

    def _draft_entry(self):
        if self.status != self.Status.PROPOSED:
            raise ValidationError(
                gettext("“%(title)s” was already %(status)s.")
                % {"title": self.title, "status": self.get_status_display().lower()}
            )
        entry = self.entry
        if entry is None:
            raise ValidationError(gettext("The draft entry “%(title)s” no longer exists.") % {"title": self.title})
        if entry.live:
            raise ValidationError(
                gettext("“%(title)s” has been published: edit it as any other entry.") % {"title": entry.title}
            )
        return entry

    def _decide(self, status, user):
        self.status, self.decided_at, self.decided_by = status, timezone.now(), user
        self.save()
