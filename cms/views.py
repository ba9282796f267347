"""Site-wide views: search, sitemap and robots.txt."""

import re
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
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

# --- Site search ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the site"), max_length=MAX_QUERY_LENGTH, required=False, strip=True)


SEARCH_LIMIT = 200
SEARCH_PER_PAGE = 20


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


def search(request):
    """Pages and entries in the active language (/search/ or /fr/search/) through Wagtail search, paginated.

    Only the language's own pages and entries are found, each at its own URL; the search runs on
    the language's backend (``search_backend_alias``). Entries come by relevance on PostgreSQL and
    newest first on SQLite (``ranks_entries``), at most ``SEARCH_LIMIT``.
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
        entries = CooperationEntry.objects.public().filter(locale_id=locale.pk).select_related("partner")
        if link.entries_public:
            entries = backend.search(words, entries, order_by_relevance=ranks_entries())
        entries = entries[:SEARCH_LIMIT] if link.entries_public else []
        hits += [
            {
                "type": entry.get_kind_display(),
                "title": entry.title,
                "url": f"{entries_url}{entry.slug}/" if entries_url else None,
                "summary": f"{entry.partner.name}{' · ' + entry.period_display if entry.period_display else ''}",
            }
            for entry in entries
        ]
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

    def items(self):
        roots = self.get_wagtail_site().root_page.get_translations(inclusive=True)
        in_a_tree = Q()
        for path in roots.values_list("path", flat=True):
            in_a_tree |= Q(path__startswith=path)
        pages = without_view_restrictions(Page.objects.live().filter(in_a_tree))
        self.request.sitemap_translations = translations_by_key(pages)
        return pages.order_by("path").defer_streamfields().specific()


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


class EntrySitemap(SiteRootUrls, DjangoSitemap):
    """Every published entry at its URL in its own language (under that language's public record page),
    with its translations as alternates (Django's i18n sitemap: one item per translation_key)."""

    i18n = True
    alternates = True
    x_default = True

    def __init__(self, request, links):
        super().__init__(request)
        self.links = links  # cms.models.record_links()

    def items(self):
        public_locales = [locale_id for locale_id, link in self.links.items() if link.url]
        entries = (
            CooperationEntry.objects.public()
            .filter(locale_id__in=public_locales)
            .select_related("locale")
            .only("slug", "last_published_at", "translation_key", "locale")
            .order_by("pk")
        )
        groups = {}
        for entry in entries:
            groups.setdefault(entry.translation_key, {})[entry.locale.language_code] = entry
        return list(groups.values())

    def get_languages_for_item(self, item):
        return [code for code, _name in settings.LANGUAGES if code in item]

    def location(self, item):
        # Django calls this with each of the item's languages active.
        return entry_url(item[translation.get_language()], self.links)

    def lastmod(self, item):
        return max(entry.last_published_at for entry in item.values())


def sitemap(request):
    # Wagtail's page sitemap lists live, public pages at their full URL, on the Site record's root URL.
    sitemaps = {"pages": PageSitemap(request)}
    links = record_links()
    if any(link.url for link in links.values()):  # no entry is listed while its record is private
        sitemaps["entries"] = EntrySitemap(request, links)
    response = sitemap_view(request, sitemaps)
    # Addresses come from slugs, which cannot hold such characters; stored data is not trusted to.
    response.render()
    response.content = xml_safe(response.content.decode()).encode()
    return response


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
