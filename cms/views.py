"""Site-wide views: search, sitemap and robots.txt."""

import re
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.contrib.sitemaps.views import index as sitemap_index_view
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Max, Q, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.sitemaps import Sitemap as WagtailPageSitemap
from wagtail.models import Locale, Page, Site
from wagtail.search.backends import get_search_backend

from partnership.filters import MAX_QUERY_LENGTH
from partnership.models import CooperationEntry
from partnership.text import xml_safe

from .models import entry_url, record_link, record_links
from .record_views import page_number, without_view_restrictions
from .search_backend import first_matches

# --- Site search ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the site"), max_length=MAX_QUERY_LENGTH, required=False, strip=True)


SEARCH_LIMIT = 200
SEARCH_PER_PAGE = 20
# On PostgreSQL, the entries ranked for a search: the first this many matches (see ``search``).
SEARCH_CANDIDATES = 500
# The fields of an entry a search hit reads (its summary's partner and period).
SEARCH_HIT_FIELDS = [
    "title",
    "slug",
    "kind",
    "partner_id",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "ongoing",
]


def search_backend_alias(language_code):
    """The search backend for a language: the alias named after it in ``WAGTAILSEARCH_BACKENDS`` when
    there is one (``"fr"``: PostgreSQL's French stemming), else ``"default"``."""
    return language_code if language_code in settings.WAGTAILSEARCH_BACKENDS else "default"


def ranks_entries():
    """Whether /search/ lists the entries found by relevance (PostgreSQL) or newest first (SQLite).

    On SQLite, Wagtail's FTS5 backend ranks with one full-text query per match (a subquery per row):
    6 s for a common word at 10,000 entries, half a minute for a long query. Unranked, it is one
    full-text query, whatever the number of matches. PostgreSQL ranks every match in the same query
    (ts_rank), from the GIN index cms.0008 adds.
    """
    return connection.vendor == "postgresql"


def entry_hit(entry, kind_label, entries_url):
    """A found entry as the results list shows it: ``{"type", "title", "url", "summary"}`` (its partner and
    period; the period, worked out from five fields, once)."""
    period = entry.period_display
    return {
        "type": kind_label,
        "title": entry.title,
        "url": f"{entries_url}{entry.slug}/" if entries_url else None,
        "summary": f"{entry.partner.name} · {period}" if period else entry.partner.name,
    }


def search(request):
    """Pages and entries in the active language (/search/ or /fr/search/) through Wagtail search, paginated.

    Only the language's own pages and entries are found, each at its own URL; the search runs on
    the language's backend (``search_backend_alias``). Entries come by relevance on PostgreSQL and
    newest first on SQLite (``ranks_entries``), at most ``SEARCH_LIMIT``.

    On PostgreSQL, Wagtail ranks the first ``SEARCH_CANDIDATES`` matches the full-text index yields
    (``first_matches``), not every match. A search matching that many or fewer (a name, a place, two
    words together, any search of a record of ordinary size) is ranked over all its matches, as
    Wagtail ranks them. A word in thousands of entries (“training”) lists the most relevant of 500 of
    them, taken in the index's order, not the 200 most relevant of all: every one listed contains the
    words, the best of those 500 come first, and ranking all of them cost 0.3 s at 100,000 entries.
    """
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # Words only: quotes, brackets and operators mean syntax to the full-text engines, not text.
    # A word typed twice is searched once (a 200-character query of one repeated word ranked 22 terms).
    words = " ".join(dict.fromkeys(re.sub(r"[^\w\s]", " ", query).split()))
    hits = []
    if words:
        locale = Locale.get_active()
        backend = get_search_backend(search_backend_alias(locale.language_code))
        pages = Page.objects.live().public().filter(depth__gt=1, locale_id=locale.pk)
        pages = backend.search(words, pages)[:SEARCH_LIMIT]
        hits += [{"type": gettext("Page"), "title": page.title, "url": page.url, "summary": ""} for page in pages]
        # Entries are served under their language's record: while it is private, search shows none of them.
        link = record_link(locale.pk)
        entries_url = link.url
        # Only what a hit shows (title, link, kind, partner, period): 200 whole entries took longer to
        # build than to find.
        entries = CooperationEntry.objects.public().filter(locale_id=locale.pk).only(*SEARCH_HIT_FIELDS)
        if link.entries_public and ranks_entries():
            # Ranking reads every match's vectors: a common word's thousands cost 100s of ms. Ranked
            # instead are the first SEARCH_CANDIDATES matches the index gives (all of them when fewer).
            candidates = first_matches(backend, entries, words, SEARCH_CANDIDATES)
            entries = backend.search(words, entries.filter(pk__in=candidates))
        elif link.entries_public:
            entries = backend.search(words, entries, order_by_relevance=False)
        entries = list(entries[:SEARCH_LIMIT]) if link.entries_public else []
        # Partners in a query of their own: joined to the ranked entries, PostgreSQL (which expects a
        # handful of rows there) compared each match with every partner.
        prefetch_related_objects(entries, "partner")
        # Each kind's label once: get_kind_display() hashes every lazy label of the choices at each call
        # (60 ms for 200 entries on a busy machine).
        kinds = {value: str(label) for value, label in CooperationEntry.Kind.choices}
        hits += [entry_hit(entry, kinds.get(entry.kind, entry.kind), entries_url) for entry in entries]
    paginator = Paginator(hits, SEARCH_PER_PAGE)
    number, notice = page_number(request.GET.get("page"), paginator)
    return TemplateResponse(
        request,
        "cms/search.html",
        {
            "form": form,
            "query": query,
            "page_obj": paginator.page(number),
            "page_links": paginator.get_elided_page_range(number, on_each_side=2, on_ends=1),
            "notices": [notice] if notice else [],
            "querystring": urlencode({"q": query}),
        },
    )


# --- Sitemap and robots.txt ------------------------------------------------------------------------


class SiteRootUrls:
    """Every <loc> on the Wagtail Site record's root URL (scheme, host and port), not the request's host:
    the site's configured address is the one search engines should index, for pages and entries alike."""

    def __init__(self, request):
        self.request = request

    def site(self):
        return Site.find_for_request(self.request) or Site.objects.get(is_default_site=True)

    def get_urls(self, page=1, site=None, protocol=None):
        root = urlsplit(self.site().root_url)
        return super().get_urls(page=page, site=_Domain(root.netloc), protocol=root.scheme)


class _Domain:
    """What Django's Sitemap.get_domain reads from a site: its domain."""

    def __init__(self, domain):
        self.domain = domain


class PageSitemap(SiteRootUrls, WagtailPageSitemap):
    """Every live, public page of the site in every language (Wagtail's lists the default language's
    tree only, the Site's root page being the English home page), each with its translations as
    ``<xhtml:link rel="alternate" hreflang>`` (``SitePage.get_sitemap_urls``)."""

    @cached_property
    def _in_a_tree(self):
        roots = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        in_a_tree = Q()
        for path in roots.values_list("path", flat=True):
            in_a_tree |= Q(path__startswith=path)
        return in_a_tree

    def pages(self):
        """The listed pages (unordered): the Site's root page's trees in every language, less the private."""
        return without_view_restrictions(Page.objects.live().filter(self._in_a_tree))

    def items(self):
        return self.pages().order_by("path").defer_streamfields().specific()

    def get_urls(self, page=1, site=None, protocol=None):
        # The translations are looked up (one query) only when URLs are listed, not when the index counts them.
        self.request.sitemap_translations = translations_by_key(self.pages())
        return super().get_urls(page=page, site=site, protocol=protocol)

    def get_latest_lastmod(self):
        """The latest publication of any listed page (one query), for the index."""
        return self.pages().aggregate(latest=Max(Coalesce("last_published_at", "latest_revision_created_at")))["latest"]


def translations_by_key(pages):
    """``{translation_key: [(language_code, url), …]}`` of ``pages``, in LANGUAGES order (one query)."""
    order = [code for code, _name in settings.LANGUAGES]
    found = {}
    for page in pages.select_related("locale").only("url_path", "path", "depth", "translation_key", "locale"):
        url = page.get_full_url()
        if url:
            found.setdefault(page.translation_key, []).append((page.locale.language_code, url))
    for translations in found.values():
        translations.sort(key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))
    return found


class _ListedEntry:
    """An entry as the sitemap reads it (no model instance: a section's page lists thousands)."""

    __slots__ = ("pk", "slug", "locale_id", "language_code", "translation_key", "last_published_at")

    def __init__(self, values):
        self.pk, self.slug, self.locale_id, self.language_code, self.translation_key, self.last_published_at = values


class _EntriesWithTranslations:
    """The listed entries for Django's Paginator: ``count()`` is one COUNT, a slice is two queries (its
    entries, then their listed translations), each item ``(entry, {language_code: entry})``."""

    COLUMNS = ("pk", "slug", "locale_id", "locale__language_code", "translation_key", "last_published_at")

    def __init__(self, entries):
        self.entries = entries

    @cached_property
    def _count(self):
        return self.entries.count()

    def count(self):
        return self._count

    def __len__(self):
        return self._count

    def __getitem__(self, window):
        if not isinstance(window, slice):
            raise TypeError("only slices of the listed entries are read")
        page = [_ListedEntry(values) for values in self.entries.values_list(*self.COLUMNS)[window]]
        translations = {}
        keys = {entry.translation_key for entry in page}
        for values in self.entries.filter(translation_key__in=keys).order_by().values_list(*self.COLUMNS):
            entry = _ListedEntry(values)
            translations.setdefault(entry.translation_key, {})[entry.language_code] = entry
        return [(entry, translations[entry.translation_key]) for entry in page]


class EntrySitemap(SiteRootUrls, DjangoSitemap):
    """Every published entry at its URL in its own language (under that language's public record page),
    with its listed translations as alternates (their languages in LANGUAGES order, then x-default: the
    default language's), as Django's i18n sitemap gives them; ``lastmod`` is the latest publication of
    the entry or its translations. Each page of the section costs the same queries whatever the count:
    one COUNT, one page of entries (``LIMIT``/``OFFSET`` in pk order), their translations."""

    # URLs a section's page lists: a tenth of the protocol's 50,000. Each URL is about 500 bytes with its
    # alternates and costs about 80 µs to render, so a page of 50,000 was 24 MB and 4 s of a worker (a
    # crawler's every fetch after a publication); one of 5,000 is 2.4 MB and about 0.4 s.
    limit = 5_000

    def __init__(self, request, links):
        super().__init__(request)
        self.links = links  # cms.models.record_links()

    def entries(self):
        public_locales = [locale_id for locale_id, link in self.links.items() if link.url]
        return CooperationEntry.objects.public().filter(locale_id__in=public_locales).order_by("pk")

    @cached_property
    def listed(self):
        return _EntriesWithTranslations(self.entries())  # counted once, however often Django asks

    def items(self):
        return self.listed

    def location(self, item):
        return entry_url(item[0], self.links)

    def lastmod(self, item):
        return max(entry.last_published_at for entry in item[1].values())

    def get_latest_lastmod(self):
        """The latest publication of any listed entry (one query), for the index."""
        return self.entries().aggregate(latest=Max("last_published_at"))["latest"]

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        root = self.site().root_url
        for url in urls:
            translations = url["item"][1]
            languages = [code for code, _name in settings.LANGUAGES if code in translations]
            url["alternates"] = [
                {"lang_code": code, "location": f"{root}{entry_url(translations[code], self.links)}"}
                for code in languages
            ]
            if settings.LANGUAGE_CODE in translations:
                default = entry_url(translations[settings.LANGUAGE_CODE], self.links)
                url["alternates"].append({"lang_code": "x-default", "location": f"{root}{default}"})
        return urls


def site_sitemaps(request):
    """``{section: Sitemap}``: the pages, and the entries while a record page is public."""
    sitemaps = {"pages": PageSitemap(request)}
    links = record_links()
    if any(link.url for link in links.values()):  # no entry is listed while its record is private
        sitemaps["entries"] = EntrySitemap(request, links)
    return sitemaps


def _xml_safe(response):
    # Addresses come from slugs, which cannot hold such characters; stored data is not trusted to.
    response.render()
    response.content = xml_safe(response.content.decode()).encode()
    return response


def sitemap(request):
    """/sitemap.xml: every URL in one sitemap while they fit in one (``Sitemap.limit``: the entries'
    ``EntrySitemap.limit``, 5,000), else a sitemap index of the sections' pages (``sitemap_section``).

    Search engines read either at the same address (robots.txt names it), so a small site keeps a
    single file, fetched once, and a large one is split only when it must be. ?p= pages a plain
    sitemap as Django's view does: a page that does not exist is a 404.
    """
    sitemaps = site_sitemaps(request)
    sections = list(sitemaps.values())
    if sum(section.paginator.count for section in sections) <= min(section.limit for section in sections):
        return _xml_safe(sitemap_view(request, sitemaps))
    response = sitemap_index_view(request, sitemaps, sitemap_url_name="sitemap_section")
    # Each section's address on the Site record's root URL, as every <loc> (Django's index uses the request's host).
    root = sections[0].site().root_url
    for item in response.context_data["sitemaps"]:
        parts = urlsplit(item.location)
        item.location = root + parts.path + (f"?{parts.query}" if parts.query else "")
    return _xml_safe(response)


def sitemap_section(request, section):
    """/sitemap-<section>.xml?p=<n>: one page (up to ``Sitemap.limit`` URLs) of one section of the
    sitemap index. An unknown section or page is a 404."""
    return _xml_safe(sitemap_view(request, site_sitemaps(request), section=section))


def robots_txt(request):
    """Keep crawlers out of the admin, search, the API and the record's exports; point them to the sitemap.

    Addresses come from the URL configuration and the page tree, in every language (robots.txt has
    none of its own).
    """
    search_urls = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            search_urls.append(reverse("search"))
    api_url = reverse("wagtailapi:entries:listing").removesuffix("entries/")  # the API's root, /api/v2/
    record_urls = sorted({link.url for link in record_links().values() if link.url})
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('wagtailadmin_home')}",
        *(f"Disallow: {url}" for url in search_urls),
        f"Disallow: {api_url}",
        *(f"Disallow: {url}export." for url in record_urls),
        "",
        f"Sitemap: {request.build_absolute_uri(reverse(sitemap))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
