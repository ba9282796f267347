"""Site-wide views: search, sitemap and robots.txt."""

import re
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.sitemaps import Sitemap as PageSitemap
from wagtail.models import Page, Site

from partnership.filters import MAX_QUERY_LENGTH
from partnership.models import CooperationEntry
from partnership.text import xml_safe

from .models import record_link, record_url
from .record_views import page_number

# --- Site search ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the site"), max_length=MAX_QUERY_LENGTH, required=False, strip=True)


SEARCH_LIMIT = 200
SEARCH_PER_PAGE = 20


def search(request):
    """Pages and entries through Wagtail search (its database backend by default), paginated."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # Words only: quotes, brackets and operators mean syntax to the full-text engines, not text.
    words = " ".join(re.sub(r"[^\w\s]", " ", query).split())
    hits = []
    if words:
        pages = Page.objects.live().public().filter(depth__gt=1).search(words)[:SEARCH_LIMIT]
        hits += [{"type": gettext("Page"), "title": page.title, "url": page.url, "summary": ""} for page in pages]
        # Entries are served under the record: while it is private, search shows none of them.
        link = record_link()
        entries_url = link.url
        entries = CooperationEntry.objects.public().select_related("partner")
        entries = entries.search(words)[:SEARCH_LIMIT] if link.entries_public else []
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


class EntrySitemap(SiteRootUrls, DjangoSitemap):
    """Every published entry's page under the record (only while the record is public)."""

    def __init__(self, request, record_path):
        super().__init__(request)
        self.record_path = record_path

    def items(self):
        return CooperationEntry.objects.public().only("slug", "last_published_at").order_by("pk")

    def location(self, item):
        return f"{self.record_path}{item.slug}/"

    def lastmod(self, item):
        return item.last_published_at


def sitemap(request):
    # Wagtail's page sitemap lists live, public pages at their full URL, on the Site record's root URL.
    sitemaps = {"pages": PageSitemap(request)}
    if entries_url := record_url():  # None while the record is private: then no entry is listed
        sitemaps["entries"] = EntrySitemap(request, entries_url)
    response = sitemap_view(request, sitemaps)
    # Addresses come from slugs, which cannot hold such characters; stored data is not trusted to.
    response.render()
    response.content = xml_safe(response.content.decode()).encode()
    return response


def robots_txt(request):
    """Keep crawlers out of the admin, search, the API and the record's exports; point them to the sitemap.

    Addresses come from the URL configuration and the page tree, in the default language (robots.txt
    has none of its own).
    """
    with translation.override(settings.LANGUAGE_CODE):
        search_url = reverse("search")
    api_url = reverse("wagtailapi:entries:listing").removesuffix("entries/")  # the API's root, /api/v2/
    entries_url = record_url()
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('wagtailadmin_home')}",
        f"Disallow: {search_url}",
        f"Disallow: {api_url}",
        *([f"Disallow: {entries_url}export."] if entries_url else []),
        "",
        f"Sitemap: {request.build_absolute_uri(reverse(sitemap))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
