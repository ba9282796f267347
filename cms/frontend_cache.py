"""The shared HTTP cache in front of the site (Varnish, a CDN): what it may store, and what a publication purges.

With ``FRONTEND_CACHE_URL`` set (cms/settings/base.py), public pages carry ``s-maxage`` so that the
front cache stores them (browsers still get ``max-age=0`` and revalidate), and every publication purges,
once its transaction is committed, exactly the URLs that show the published thing, through Wagtail's
``wagtail.contrib.frontend_cache`` (its HTTP backend sends one ``PURGE`` per URL; Wagtail's own
receivers purge a published page itself, ours add the pages that show it).

Two kinds of URL are sent (the repository's VCL, deploy/varnish/default.vcl, reads them so):

- ``https://host/cooperation/``: that path **with every query string** — a filtered view of the record
  (``?area=…&year_from=…``) is one of endless permutations that no list of URLs could name;
- ``https://host/cooperation/*``: every path under ``/cooperation/`` (a wildcard, as CloudFront's
  invalidation paths), for a change every entry page shows (the record's title, a reference record's
  name): one ban whatever the number of entries, instead of thousands of purges.

Never stored by the front cache (no ``s-maxage``; the VCL stores nothing else): what the page cache would
not store (cms.cache.is_cacheable_request/response: the admin, documents, requests with a session,
responses that set a cookie, errors and redirects, ``private`` ones, unknown query parameters) except
the streamed exports, which it does store; and the URLs no publication can name: search, the API and
the sitemap, which show any entry. A page's password form is ``private`` (cms.models.SitePage), a
login-restricted page a redirect.
"""

import re
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.cache import patch_cache_control
from django.utils.encoding import iri_to_uri
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.models import Page, ReferenceIndex, Site

from partnership.models import (
    Area,
    CooperationEntry,
    Framework,
    Partner,
    Place,
    Programme,
    SourceDocument,
)

from .cache import is_cacheable_request, is_cacheable_response
from .models import CooperationRecordPage, HomePage, OrganisationSettings, PartnerPage, PartnersIndexPage

EVERYTHING_UNDER = "*"


def enabled():
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def shared_cache_seconds():
    """How long the front cache may keep a public page (seconds): long, since publications purge it;
    0 when there is no front cache."""
    return getattr(settings, "FRONTEND_CACHE_SECONDS", 0) if enabled() else 0


@lru_cache(maxsize=1)
def _unpurgeable_paths():
    # Search, the API and the sitemap show any entry under URLs no purge can name (?q=…, offsets).
    languages = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
    return re.compile(rf"^/(?:(?:{languages})/)?(?:search/|api/|sitemap|robots\.txt)")


class SharedCacheControlMiddleware:
    """Adds ``s-maxage`` to the public responses a publication purges, when there is a front cache.

    Sits just outside cms.cache.AnonymousPageCacheMiddleware, so it sees the pages that cache answers
    as well as the rendered ones, and streamed exports (the CSV and JSON of the record) too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        seconds = shared_cache_seconds()
        if (
            seconds
            and is_cacheable_request(request)
            and not _unpurgeable_paths().match(request.path)
            and (is_cacheable_response(response) or (response.streaming and response.status_code == 200))
            and not any(word in response.get("Cache-Control", "") for word in ("private", "no-store", "no-cache"))
            and not response.cookies
        ):
            patch_cache_control(response, public=True, max_age=0, s_maxage=seconds)
        return response


# What a publication purges ------------------------------------------------------------------------------


class Purge:
    """The URLs to purge for one change, collected inside its transaction and sent once it commits
    (a rolled-back change purges nothing, and the front cache cannot store the old content again
    between the purge and the commit)."""

    def __init__(self):
        self.batch = PurgeBatch()

    def add_url(self, url):
        if url:
            self.batch.add_url(iri_to_uri(url))

    def add_page(self, page):
        """A live page: its URLs (its ``get_cached_paths``)."""
        # Wagtail's own batch gives a page's URLs; each is sent as a URI (a French slug may not be ASCII).
        urls = PurgeBatch(cache_object=self.batch)
        urls.add_page(page)
        for url in urls.urls:
            self.add_url(url)

    def add_pages(self, pages):
        for page in pages:
            self.add_page(page)

    def add_under(self, page):
        """Every URL under a page (its routes: the record's entries, exports, feeds)."""
        url = page.get_full_url(self.batch)
        if url:
            self.add_url(url + EVERYTHING_UNDER)

    def add_site(self, site):
        self.add_url(site.root_url + "/" + EVERYTHING_UNDER)

    def send_on_commit(self):
        if self.batch.urls:
            transaction.on_commit(self.batch.purge)


def record_routes(record, partner_slugs=(), cache_object=None):
    """The record's listing, exports and feeds (each with every query string): what shows any entry.
    ``cache_object``: any object Wagtail may keep the sites' root paths on between calls."""
    base = record.get_full_url(cache_object)
    if not base:
        return []
    routes = ["", "export.csv", "export.json", "feed.atom", *(f"feeds/{slug}.atom" for slug in partner_slugs)]
    return [base + route for route in routes]


def add_entry(purge, entry):
    """An entry: its URL, the record of its language (listing, exports, feeds: each with every query string),
    its partner's page, the home page and the comparison of partners (both list entries); and its translations'
    URLs, whose language switchers link to it. (A translation is published on its own, and purged then.)"""
    translations = list(CooperationEntry.objects.filter(translation_key=entry.translation_key).exclude(pk=entry.pk))
    records = {
        record.locale_id: record
        for record in CooperationRecordPage.objects.live().filter(
            locale_id__in={entry.locale_id, *(translation.locale_id for translation in translations)}
        )
    }
    record = records.get(entry.locale_id)
    if record:
        for url in record_routes(record, [entry.partner.slug], purge.batch):
            purge.add_url(url)
    for shown in (entry, *translations):
        if shown.locale_id in records:
            purge.add_url(f"{records[shown.locale_id].get_full_url(purge.batch)}{shown.slug}/")
    old_slug = getattr(entry, "_front_cache_old_slug", None)
    if record and old_slug and old_slug != entry.slug:  # its old URL no longer shows it
        purge.add_url(f"{record.get_full_url(purge.batch)}{old_slug}/")
    purge.add_pages(PartnerPage.objects.live().filter(partner_id=entry.partner_id))
    purge.add_pages(HomePage.objects.live().filter(locale_id=entry.locale_id))
    purge.add_pages(PartnersIndexPage.objects.live().filter(locale_id=entry.locale_id))  # and its comparison


def add_page(purge, page):
    """A page, the pages that list it (its ancestors: the home page, the partners index) and its translations
    (their language switchers link to it)."""
    page = page.specific_deferred
    purge.add_page(page)
    purge.add_pages(page.get_ancestors().live().filter(depth__gt=1).specific(defer=True))
    purge.add_pages(page.get_translations().live().specific(defer=True))
    if isinstance(page, CooperationRecordPage):
        # Its title and introduction head every entry; whether entries are public follows it (record_link):
        # every page that shows entries in its language.
        purge.add_under(page)
        purge.add_pages(PartnerPage.objects.live().filter(locale_id=page.locale_id))


# Which partners' pages show a reference record.
PARTNER_PAGES_SHOWING = {
    Partner: lambda record: Q(partner=record),
    Framework: lambda record: Q(partner__framework=record),
    Area: lambda record: Q(partner__areas=record) | Q(partner__entries__areas=record),
    Programme: lambda record: Q(partner__entries__programmes=record),
    Place: lambda record: Q(partner__entries__places=record) | Q(partner__entries__beneficiaries=record),
    SourceDocument: lambda record: Q(partner__entries__source=record),
}


def add_reference_record(purge, record):
    """A partner, framework, area, programme, place or source document: everything under the record of its
    language (the entries naming it may be thousands: one wildcard), the partner pages that show it, the
    home page (its latest entries) and the partners index and comparison."""
    locale_id = record.locale_id
    for page in CooperationRecordPage.objects.live().filter(locale_id=locale_id):
        purge.add_under(page)
    showing = PARTNER_PAGES_SHOWING[type(record)](record)
    purge.add_pages(PartnerPage.objects.live().filter(showing, locale_id=locale_id).distinct())
    purge.add_pages(HomePage.objects.live().filter(locale_id=locale_id))
    purge.add_pages(PartnersIndexPage.objects.live().filter(locale_id=locale_id))


def add_referenced(purge, instance):
    """An image or a document: the pages and entries that show it, by Wagtail's reference index; every page
    when the organisation's settings do (its logo is in every page's header)."""
    page_ids, entry_ids = set(), set()
    for reference in ReferenceIndex.get_references_to(instance).select_related("base_content_type"):
        model = reference.base_content_type.model_class()
        if model is not None and issubclass(model, Page):
            page_ids.add(int(reference.object_id))
        elif model is CooperationEntry:
            entry_ids.add(int(reference.object_id))
        elif model is OrganisationSettings:
            for site in Site.objects.all():
                purge.add_site(site)
    for page in Page.objects.live().filter(pk__in=page_ids).specific(defer=True):
        add_page(purge, page)
    for entry in CooperationEntry.objects.filter(pk__in=entry_ids):
        add_entry(purge, entry)


# Receivers (connected in cms.signals, beside the page cache's content_changed) --------------------------


def _purge(add, instance):
    if not enabled():
        return
    purge = Purge()
    add(purge, instance)
    purge.send_on_commit()


def remember_entry_slug(sender, instance, raw=False, **kwargs):
    """Before an entry is saved (a publication writes the revision into the row): its slug until now, so that
    a publication that changes it purges the old URL too (one query, only with a front cache)."""
    if raw or not enabled() or instance.pk is None:
        return
    instance._front_cache_old_slug = sender.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()


def entry_changed(sender, instance, **kwargs):
    _purge(add_entry, instance)


def page_changed(sender, instance, **kwargs):
    _purge(add_page, instance)


def reference_record_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _purge(add_reference_record, instance)


def file_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _purge(add_referenced, instance)


def site_wide_change(sender, instance=None, raw=False, **kwargs):
    """A change every page may show (the organisation's name and logo, a page made private or public again,
    a site's root): every URL of every site."""
    if raw or not enabled():
        return
    purge = Purge()
    for site in Site.objects.all():
        purge.add_site(site)
    purge.send_on_commit()


def redirect_changed(sender, instance, raw=False, **kwargs):
    """A redirect answers its old path (with any query string)."""
    if raw or not enabled():
        return
    purge = Purge()
    sites = [instance.site] if instance.site_id else Site.objects.all()
    for site in sites:
        purge.add_url(site.root_url + instance.old_path)
    purge.send_on_commit()


def records_reordered(sender, **kwargs):
    """The fixture loader reordered entries without saving them one by one: every record's listing."""
    if not enabled():
        return
    purge = Purge()
    for record in CooperationRecordPage.objects.live():
        purge.add_under(record)
    purge.send_on_commit()
