"""The site's pages: the home page, the partners index, and one relation page per partner."""

import json
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch
from django.db.models.functions import Length, Substr
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Page, PageViewRestriction
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField, TranslatableField

from partnership.models import Area, CooperationEntry, FixtureTracked, Partner, Place, Programme
from partnership.text import validate_text

from . import charts, compare, exports, feeds, record_views
from .blocks import INLINE_FEATURES, SectionsBlock, heading_anchor, resolve_entries_block
from .forms import PageAdminForm


def strings_in(value):
    """Every string in a value (a string, or StreamField data: lists, dicts, strings), iteratively."""
    stack, found = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


class SitePage(FixtureTracked, Page):
    """What every page of the site shares: a checksum for the fixture loader, and a meta description."""

    # A schedule that has run (publish_scheduled) never blocks the next save (cms/forms.py).
    base_form_class = PageAdminForm

    # What a translator translates (wagtail-localize): the texts and the French slug. Everything else
    # a translation keeps as it was copied from the original.
    translatable_fields = [
        TranslatableField("title"),
        TranslatableField("slug"),
        TranslatableField("seo_title"),
        TranslatableField("search_description"),
    ]

    class Meta:
        abstract = True

    def get_meta_description(self):
        return self.search_description

    def serve_password_required_response(self, request, form, action_url):
        """Wagtail's password form for a protected page, marked ``private``: no shared cache (the page cache,
        Varnish, a CDN) may store it and hand it, with one reader's CSRF token, to another."""
        response = super().serve_password_required_response(request, form, action_url)
        patch_cache_control(response, private=True, no_cache=True)
        return response

    def clean(self):
        super().clean()
        if errors := self.invisible_character_errors():
            raise ValidationError(errors)

    def invisible_character_errors(self):
        """Each text field (title, SEO fields, rich text, every text inside StreamField blocks) that
        holds a character partnership.text refuses, with the message naming it."""
        errors = {}
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField | StreamField):
                continue
            value = field.value_from_object(self)
            if isinstance(field, StreamField):
                value = field.get_prep_value(value)
                value = json.loads(value) if isinstance(value, str) else value
            texts = strings_in(value)
            for text in texts:
                try:
                    validate_text(text)
                except ValidationError as error:
                    errors[field.name] = error.messages[0]
                    break
        return errors

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["canonical_url"] = request.build_absolute_uri(self.url)
        return context

    def route(self, request, path_components):
        """Wagtail's routing (``Page.route``), except that a child is read in one query as its own type, with
        what its page shows (``routed_child``), instead of as a Page and then as its specific page."""
        if path_components:
            child = self.routed_child(path_components[0])
            if child is not None:
                return child.route(request, path_components[1:])
        return super().route(request, path_components)

    def routed_child(self, slug):
        """The child page at ``slug`` as its own type, or None (then Wagtail's routing decides: a 404, or a
        child of a type ``subpage_types`` does not name, as the admin's rule is not the tree's).

        One query: the Page joined to the row of each type this page allows (Django follows a child
        model's parent link back from Page), and to what that type's ``routed_with`` names.
        """
        allowed = self.allowed_subpage_models()
        if not allowed:
            return None
        related = []
        for model in allowed:
            name = model._meta.model_name  # the reverse name of the child model's link to Page
            related += [name, *(f"{name}__{field}" for field in getattr(model, "routed_with", ()))]
        found = Page.objects.child_of(self).filter(slug=slug).select_related(*related).first()
        if found is None or found.specific_class not in allowed:
            return None
        return getattr(found, found.specific_class._meta.model_name)

    def get_sitemap_urls(self, request=None):
        """Wagtail's entry for the sitemap, with the page's live, public translations (itself included)
        as ``alternates`` (``[{"lang_code": "fr", "location": "http://…/fr/…/"}, …]``, plus ``x-default``,
        the default language's) when it has any. The sitemap (cms.views.PageSitemap) looks them up for
        every page at once and leaves them on the request as ``sitemap_translations``."""
        urls = super().get_sitemap_urls(request)
        translations = getattr(request, "sitemap_translations", {}).get(self.translation_key, [])
        if len(translations) > 1:
            alternates = [{"lang_code": code, "location": url} for code, url in translations]
            default = dict(translations).get(settings.LANGUAGE_CODE)
            if default:
                alternates.append({"lang_code": "x-default", "location": default})
            for url in urls:
                url["alternates"] = alternates
        return urls


class IntroPage(SitePage):
    """A page whose own text is a short introduction; what it lists comes from elsewhere."""

    intro = RichTextField(features=INLINE_FEATURES, blank=True, help_text=_("A few sentences introducing the page."))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    translatable_fields = [*SitePage.translatable_fields, TranslatableField("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    class Meta:
        abstract = True


def live_partner_pages():
    """Live, public partner pages with their partner and framework, for lists of them: without their bodies
    (a page of JSON each, which no list shows). Public as ``record_views.without_view_restrictions`` says,
    in the list's own query (Wagtail's ``public()`` reads every view restriction first, in one more)."""
    pages = PartnerPage.objects.live().select_related("partner__framework").defer_streamfields()
    return record_views.without_view_restrictions(pages)


class HomePage(IntroPage):
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.PartnersIndexPage", "cms.CooperationRecordPage"]
    max_count_per_parent = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["partner_pages"] = live_partner_pages().descendant_of(self).order_by("partner__name")
        link = record_link(self.locale_id)
        context["record_url"] = link.url
        # Entries are the record's: none while it is private. The page's language's only.
        context["latest_entries"] = latest_entries(limit=6, locale_id=self.locale_id) if link.entries_public else []
        return context


class PartnersIndexPage(RoutablePageMixin, IntroPage):
    """/partners/: the partner pages grouped by framework; two to four of them side by side under
    /partners/compare/ (a route: cms.compare)."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.PartnerPage"]
    max_count_per_parent = 1
    show_in_menus_default = True  # in the site's main navigation (cms.templatetags.cms_tags.site_header)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["partner_pages"] = (
            live_partner_pages().child_of(self).order_by("partner__framework__name", "partner__name")
        )
        context["compare_url"] = self.get_url(request) + self.reverse_subpage("compare")
        return context

    def get_cached_paths(self):
        """What a front cache purges when the index changes (wagtail.contrib.frontend_cache): the index and
        its comparison of partners (with any query string: see cms.frontend_cache)."""
        return ["/", f"/{compare.ROUTE.strip('/')}/"]

    def comparable_pages(self):
        """The partner pages a reader may compare: live and public, under this index (so in its
        language), with their partner and framework, by partner name (one query when evaluated). Their bodies
        are not read: the comparison shows partners' names and links, and each body is a page of JSON."""
        pages = PartnerPage.objects.live().child_of(self).select_related("partner__framework").defer_streamfields()
        return record_views.without_view_restrictions(pages).order_by("partner__name", "pk")

    # Found before the child pages: a partner page with the slug "compare" would be hidden by it.
    @path(compare.ROUTE, name="compare")
    def compare_partners(self, request):
        # The context every page has, without the partner pages listed by the index (a query it needs not).
        context = super().get_context(request)
        return compare.compare_view(request, self, context, self.comparable_pages(), record_link(self.locale_id))


class PartnerPage(SitePage):
    """“Relations with Japan”: the narrative of one partner, tied to its record, showing its entries live."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="pages",
        help_text=_("The partner this page is about; its entries appear in the page's entry and timeline blocks."),
    )
    lead = models.TextField(help_text=_("The opening paragraph, in one or two sentences."))
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    image_alt = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the photo shows, for people who cannot see it: screen readers read it instead of the photo. "
            "Required when the page has a photo. Say what is in the picture; the caption says the rest."
        ),
    )
    image_caption = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Shown under the photo to every reader: who, where, when. Do not repeat the alt text."),
    )
    highlights = StreamField(
        [("highlight", blocks.RichTextBlock(features=INLINE_FEATURES, label="Highlight"))],
        blank=True,
        help_text=_("The short bullet summary at the top of the page."),
    )
    body = StreamField(SectionsBlock(), blank=True, help_text=_("The page's sections, in reading order."))

    parent_page_types = ["cms.PartnersIndexPage"]
    subpage_types = []
    # Read with the page when its parent routes to it (SitePage.routed_child): the page shows all three.
    routed_with = ("partner__framework", "image")

    translatable_fields = [
        *SitePage.translatable_fields,
        TranslatableField("lead"),
        TranslatableField("image_alt"),
        TranslatableField("image_caption"),
        TranslatableField("highlights"),
        TranslatableField("body"),
        # The French page is about the French partner record, and shows its French entries.
        TranslatableField("partner"),
        SynchronizedField("image", overridable=False),
    ]

    content_panels = [
        *Page.content_panels,
        FieldPanel("partner"),
        FieldPanel("lead"),
        MultiFieldPanel(
            [FieldPanel("image"), FieldPanel("image_alt"), FieldPanel("image_caption")], heading=_("Photo")
        ),
        FieldPanel("highlights"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("lead"),
        index.SearchField("highlights"),
        index.SearchField("body"),
    ]

    def clean(self):
        super().clean()
        errors = {}
        if self.image_id and not self.image_alt.strip():
            errors["image_alt"] = gettext(
                "Write the photo's alt text: what the photo shows, for people who cannot see it. "
                "A page with a photo needs it (or remove the photo)."
            )
        if self.partner_id:
            others = PartnerPage.objects.filter(partner_id=self.partner_id, locale_id=self.locale_id)
            if self.pk:
                others = others.exclude(pk=self.pk)
            if others.exists():
                errors["partner"] = gettext("Another page in this language is already about this partner.")
        # The partners index serves its comparison at compare/ (a route, found before its child pages).
        if self.slug == compare.ROUTE.strip("/"):
            errors["slug"] = gettext(
                "“%(slug)s” is the address of the comparison of partners; choose another slug."
            ) % {"slug": self.slug}
        if errors:
            raise ValidationError(errors)

    @property
    def highlights_anchor(self):
        """The highlights section's id: its heading in the active language, as a slug (“highlights”,
        French “points-forts”), like every section's, so that an entry whose section is “Highlights”
        (“Points forts”) links to it as it links to the others (``section_anchor``, cms.record_views)."""
        return slugify(gettext("Highlights"))

    def copy_refused_because(self):
        """Why this page cannot be copied (a copy keeps its partner and language, which ``clean`` refuses)."""
        return gettext(
            "“%(title)s” cannot be copied: a partner has one page per language, and a copy would be a "
            "second page about %(partner)s. Edit this page instead, or add a new page for another partner."
        ) % {"title": self.title, "partner": self.partner}

    def get_meta_description(self):
        return self.search_description or self.lead

    @cached_property
    def lead_sentence(self):
        first, _, _ = self.lead.partition(". ")
        return first if first.endswith(".") else f"{first}."

    def partner_entries(self):
        """This partner's published entries, loaded once with everything the blocks show."""
        return list(
            CooperationEntry.objects.public()
            .filter(partner_id=self.partner_id, locale_id=self.locale_id)
            .prefetch_related(*ENTRY_RELATIONS)
            .order_by("source_order", "pk")
        )

    def last_updated(self, entries):
        """The latest publication of the page or of any entry it shows."""
        dates = [self.last_published_at, *(entry.last_published_at for entry in entries)]
        return max((date for date in dates if date), default=None)

    def table_of_contents(self):
        """The sections, each with its subsections: ``[{"text": str, "anchor": str, "children": [{"text",
        "anchor"}, …]}, …]``. A level-3 heading before any level-2 one is listed at the top level.

        Anchors are made unique on the page (two “Overview”s: overview, overview-2), in body order, so
        they are stable while the headings are. Each heading's value keeps its resolved anchor, so the
        heading block renders the same id. Each entries block is resolved too (``resolve_entries_block``):
        the ids of its passages and facts, and the level of its list's heading.
        """
        used = {self.highlights_anchor, "highlights-title", "toc-title", "main"}  # ids the page template uses

        def unique(base):
            anchor, number = base, 1
            while anchor in used:
                number += 1
                anchor = f"{base}-{number}"
            used.add(anchor)
            return anchor

        contents, section_anchor, section_level = [], "", ""
        for block in self.body:
            if block.block_type == "entries":
                resolve_entries_block(block.value, unique(f"{section_anchor or 'entries'}-recorded"), section_level)
                continue
            if block.block_type != "heading":
                continue
            anchor = unique(heading_anchor(block.value))
            block.value["resolved_anchor"] = anchor
            section_anchor, section_level = anchor, block.value["level"]
            item = {"text": block.value["text"], "anchor": anchor, "children": []}
            if block.value["level"] == "h3" and contents:
                contents[-1]["children"].append(item)
            else:
                contents.append(item)
        return contents

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        link = record_link(self.locale_id)
        context["record_url"] = link.url
        # Entries are the record's: while it is private, the page shows none of them.
        entries = self.partner_entries() if link.entries_public else []
        context["partner_entries"] = entries
        context["last_updated"] = self.last_updated(entries)
        context["table_of_contents"] = self.table_of_contents()
        # The partner's record at a glance, drawn from the entries already loaded (no query).
        context["at_a_glance"] = charts.at_a_glance(entries) if entries else None
        return context


ENTRY_RELATIONS = (
    Prefetch("areas", queryset=Area.objects.order_by("name")),
    Prefetch("programmes", queryset=Programme.objects.order_by("name")),
    Prefetch("places", queryset=Place.objects.order_by("name")),
)


def latest_entries(limit, locale_id):
    """The ``limit`` most recent published, dated entries in the language ``locale_id``."""
    return list(
        CooperationEntry.objects.public()
        .filter(locale_id=locale_id)
        .exclude(start_date=None)
        .select_related("partner")
        .order_by("-start_date", "-pk")[:limit]
    )


class CooperationRecordPage(RoutablePageMixin, IntroPage):
    """/cooperation/: the public record of entries. Editors own its title and introduction;
    the listing, each entry, the exports and the feeds are routes under it."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count_per_parent = 1
    show_in_menus_default = True  # in the site's main navigation (cms.templatetags.cms_tags.site_header)

    def get_cached_paths(self):
        """What a front cache purges when the record page changes (wagtail.contrib.frontend_cache): everything
        under it (a wildcard: its title heads every entry, its listing, exports and feeds; see cms.frontend_cache)."""
        return ["/*"]

    @path("")
    def listing(self, request):
        return record_views.record(request, self)

    # The files below have dots in their names: cms/urls.py hands such paths to Wagtail's own serve
    # view (its default pattern takes none), which routes them here like any page URL.
    @re_path(r"^export\.csv/$")
    def export_csv(self, request):
        return exports.export_csv(request, self)

    @re_path(r"^export\.json/$")
    def export_json(self, request):
        return exports.export_json(request, self)

    @re_path(r"^feed\.atom/$")
    def feed(self, request):
        return feeds.EntriesFeed()(request, record_page=self)

    @re_path(r"^feeds/(?P<partner_slug>[-\w]+)\.atom/$")
    def partner_feed(self, request, partner_slug):
        return feeds.EntriesFeed()(request, record_page=self, partner_slug=partner_slug)

    @re_path(r"^(?P<slug>[-\w]+)/$")
    def entry(self, request, slug):
        return record_views.entry_detail(request, self, slug)


def entry_preview_context(entry, request):
    """What the admin's preview of an entry shows around it: the public entry page under the record.

    Registered with the hook partnership_entry_preview_context in cms/wagtail_hooks.py (see
    CooperationEntry.get_preview_context).
    """
    # The record page in the entry's own language: its URL is the one the entry is published at.
    record_page = CooperationRecordPage.objects.live().filter(locale_id=entry.locale_id).first()
    return {**record_views.entry_context(entry, record_page.url if record_page else None), "page": record_page}


class RecordLink(NamedTuple):
    url: str | None  # the record's URL for links to entries, None when there is no public record
    entries_public: bool  # False while the record page is private: then no public surface shows entries


def _record_pages():
    covering = PageViewRestriction.objects.filter(page__path=Substr(OuterRef("path"), 1, Length("page__path")))
    return (
        CooperationRecordPage.objects.live()
        .annotate(restricted=Exists(covering))
        .only("url_path", "path", "depth", "locale_id")
        .order_by("path")
    )


def _link(record):
    if record is None:
        return RecordLink(None, True)
    if record.restricted:
        return RecordLink(None, False)
    return RecordLink(record.url, True)


def record_link(locale_id=None):
    """Where the entries of one language are served, and whether the public may see them (one small query).

    ``locale_id``: the language's Locale id; None for the active language (``Locale.get_active()``,
    one query more). Entries are served under the record page of their own language, so its privacy
    is theirs: while it is restricted (a Wagtail view restriction on it or above it), no public
    surface shows that language's entries (home page, partner pages, search, sitemap, API). Without
    a live record page in that language, entries are shown unlinked.
    """
    if locale_id is None:
        locale_id = Locale.get_active().pk
    return _link(_record_pages().filter(locale_id=locale_id).first())


def record_links():
    """``{locale_id: RecordLink}`` for every language with a live record page (one query), for the
    surfaces that list entries of every language (the sitemap, the API)."""
    links = {}
    for record in _record_pages():
        links.setdefault(record.locale_id, _link(record))
    return links


def entry_url(entry, links):
    """The entry's URL in its own language (``/fr/<record>/<slug>/``), or None when it cannot be opened there
    (no live, public record page in its language). ``links``: ``record_links()``."""
    link = links.get(entry.locale_id)
    return f"{link.url}{entry.slug}/" if link and link.url else None


def record_url(locale_id=None):
    """The public record's URL in a language (the active one by default), for links from pages to
    entries; None while there is none."""
    return record_link(locale_id).url


@register_setting(icon="site")
class OrganisationSettings(BaseSiteSetting):
    """The organisation that publishes a site: its name and logo in the header, the footer, each page's
    <title> and the links shared on social media (``settings.cms.OrganisationSettings`` in templates).

    "Partnership CMS" is the software's name, in the admin only; the public sees the organisation's.
    The defaults are the fixtures' organisation, the publisher of the source document.
    """

    name = models.CharField(
        max_length=200, default="NATO", help_text=_("The organisation's name, as the public knows it.")
    )
    short_name = models.CharField(
        max_length=50,
        default="NATO",
        blank=True,
        help_text=_("A short form for narrow places, such as the end of each page's title in a browser tab."),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Shown in the header beside the name (optional)."),
    )

    names_in_other_languages = models.TextField(
        blank=True,
        default="fr: OTAN",
        help_text=_(
            "The name as readers of the site's other languages know it, one language per line as "
            "“code: name”, such as “fr: OTAN”. A language not listed shows the name above."
        ),
    )

    panels = [FieldPanel("name"), FieldPanel("short_name"), FieldPanel("names_in_other_languages"), FieldPanel("logo")]

    class Meta:
        verbose_name = _("organisation")

    def __str__(self):
        return self.name

    def other_names(self):
        """``{language code: name}`` from ``names_in_other_languages``; lines that do not parse are left out
        (``clean`` refuses them when an editor saves)."""
        names = {}
        for line in self.names_in_other_languages.splitlines():
            code, separator, name = line.partition(":")
            if separator and code.strip() and name.strip():
                names[code.strip().lower()] = " ".join(name.split())
        return names

    def clean(self):
        super().clean()
        codes = {code for code, _name in settings.LANGUAGES}
        for number, line in enumerate(self.names_in_other_languages.splitlines(), start=1):
            if not line.strip():
                continue
            code, separator, name = line.partition(":")
            if not separator or not name.strip() or code.strip().lower() not in codes:
                raise ValidationError(
                    {
                        "names_in_other_languages": gettext(
                            "Line %(number)s, “%(line)s”: write “code: name”, with one of the site's languages "
                            "(%(codes)s)."
                        )
                        % {"number": number, "line": line.strip(), "codes": ", ".join(sorted(codes))}
                    }
                )

    @property
    def public_name(self):
        """The name in the active language: its line in ``names_in_other_languages``, or ``name``."""
        return self.other_names().get(translation.get_language(), self.name)

    @property
    def title_suffix(self):
        """The name that ends each page's <title>: in a language with a name of its own, that name;
        otherwise the short name, or the full one."""
        return self.other_names().get(translation.get_language()) or self.short_name or self.name
