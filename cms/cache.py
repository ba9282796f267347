"""Whole responses cached for anonymous readers, and thrown away when published content changes.

Why whole responses, and why one version number for the whole site: a partner page shows
entries, the home page shows the latest entries, the record shows every entry, feeds and the
API show them again. Tracking which cached URL shows which entry would be fragile; publication
is rare next to reading. So every publication, unpublication or deletion of a page or an entry,
and every change to the reference data pages show, moves the site's *content version* on, and
the cache keys carry that version: everything cached before is never read again and expires.

The version is the time of the last change (nanoseconds), so it is also each response's
``Last-Modified``. It lives in the shared cache (Redis in production), so every app server sees
the same one; without a shared cache (``PAGE_CACHE_SECONDS = 0``) nothing is cached.

Never cached: anything but GET/HEAD, requests with a session cookie (editors: their pages carry
the user bar and previews), the admin, uploads and static files, streamed responses (exports),
responses that set a cookie, are not 200, or say ``private``/``no-store``.
"""

import hashlib
import time
from email.utils import formatdate
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

CONTENT_VERSION_KEY = "partnership:content-version"
API_PREFIXES = ("/api/",)
NEVER_CACHED_PREFIXES = ("/admin/", "/documents/", "/static/", "/media/", "/django-admin/")
# Headers worth keeping with a cached body; Django's middleware re-adds the rest on the way out.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Content-Disposition",
    "Vary",
    "X-Robots-Tag",
    "Link",
    "Allow",
)


def content_version():
    """The current content version; started (as now) if the cache has none."""
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:
        cache.add(CONTENT_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(CONTENT_VERSION_KEY) or time.time_ns()
    return version


def content_changed(**kwargs):
    """Move the content version on once the change is committed (a rolled-back change changes nothing,
    and a reader can never cache the old content under the new version)."""
    transaction.on_commit(lambda: cache.set(CONTENT_VERSION_KEY, time.time_ns(), timeout=None))


def page_cache_seconds():
    return getattr(settings, "PAGE_CACHE_SECONDS", 0)


def is_cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(NEVER_CACHED_PREFIXES)
        and normalised_query(request) is not None
    )


# The query strings worth a cache entry: at most this long, with only parameters some view reads.
# Anything else (tracking tags, random cache-busters, parameters no view knows) is answered but not
# stored, so that a client varying them cannot fill the cache with copies of the same page.
MAX_CACHED_QUERY_LENGTH = 1000


@lru_cache(maxsize=1)
def known_query_parameters():
    """Every query parameter a public view or the API reads (its value may change the response)."""
    from wagtail.images import get_image_model
    from wagtail.models import Page

    from partnership.filters import CooperationEntryFilter
    from partnership.models import CooperationEntry

    from .api import BoundedImagesAPIViewSet, EntriesAPIViewSet, PagesAPIViewSet

    names = {"q", "page", "sort", "partner", *CooperationEntryFilter.base_filters}
    for viewset in (PagesAPIViewSet, BoundedImagesAPIViewSet, EntriesAPIViewSet):
        names |= viewset.known_query_parameters | viewset.find_query_parameters
    for model in (Page, get_image_model(), CooperationEntry):
        names |= {field.name for field in model._meta.concrete_fields} | {"tags"}
    return frozenset(names)


def normalised_query(request):
    """The query string in one canonical order (parameters sorted by name, repeated values kept in
    order), or None when it is not worth caching (too long, or a parameter no view reads)."""
    raw = request.META.get("QUERY_STRING", "")
    if not raw:
        return ""
    if len(raw) > MAX_CACHED_QUERY_LENGTH:
        return None
    names = sorted(request.GET)
    if not set(names) <= known_query_parameters():
        return None
    return urlencode([(name, value) for name in names for value in request.GET.getlist(name)])


def accepted_representation(request):
    """What the Accept header can change: only the API answers HTML (DRF's browsable API) or JSON by
    it; every other view serves one representation whatever the header says.

    Returns ``""`` outside the API; there, ``"json"`` or ``"html"`` by the client's first preference
    the API can serve (``*/*`` and anything else mean JSON, the API's first renderer), so that any
    number of distinct Accept headers make at most two keys.
    """
    if not request.path.startswith(API_PREFIXES):
        return ""
    if request.GET.get("format") in ("json", "api"):
        return request.GET["format"]
    for media_type in request.accepted_types:
        if media_type.match("application/json"):
            return "json"
        if media_type.match("text/html"):
            return "html"
    return "json"


# Request headers a stored response may vary on: the key holds Accept (normalised), and only requests without
# cookies are served from the cache; the language comes from the path.
VARY_ALLOWED = {"accept", "cookie", "accept-language"}


def is_cacheable_response(response):
    cache_control = response.get("Cache-Control", "")
    varies = {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}
    return (
        response.status_code == 200
        and varies <= VARY_ALLOWED
        and not response.streaming
        and not response.cookies
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
    )


def cache_key(request, version):
    """The key of a stored response: what can change it, and nothing else.

    The scheme and host (absolute links, several Sites), the path, the query string in canonical
    order (filters, the API's parameters) and, for the API, the representation Accept asks for;
    HEAD is answered from the GET's entry. Raw headers are not in it: a client varying them
    does not multiply entries.
    """
    location = f"{request.scheme}://{request.get_host()}{request.path} {normalised_query(request)} {accepted_representation(request)}"
    return f"partnership:page:{version}:{hashlib.sha256(location.encode()).hexdigest()}"


def mark_public(response, version):
    """ETag, Last-Modified and Cache-Control on a response any reader may be given.

    Last-Modified only when the version is shared by every process (the page cache is on):
    a version private to one process could predate a change made by another.
    """
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    if version is not None:
        response["Last-Modified"] = formatdate(version / 1e9, usegmt=True)
    # Readers revalidate every time (a correction must show at once); a 304 makes that cheap.
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)


class AnonymousPageCacheMiddleware:
    """Serve anonymous GETs of public URLs from the shared cache; store what may be stored.

    Sits before the session, locale and authentication middleware, so a cached answer costs no
    SQL query at all; Django's ConditionalGetMiddleware, outside it, turns a matching
    ``If-None-Match`` / ``If-Modified-Since`` into a 304.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = page_cache_seconds()
        if not is_cacheable_request(request):
            response = self.get_response(request)
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                # An editor's view of a page (user bar, drafts) is nobody else's.
                patch_cache_control(response, private=True, no_cache=True)
                patch_vary_headers(response, ["Cookie"])
            return response

        if not seconds:
            response = self.get_response(request)
            if is_cacheable_response(response):
                mark_public(response, None)
            return response

        version = content_version()
        key = cache_key(request, version)
        stored = cache.get(key)
        if stored is not None:
            return self.rebuild(stored)
        response = self.get_response(request)
        if is_cacheable_response(response):
            mark_public(response, version)
            cache.set(key, self.stored(response), seconds)
        return response

    @staticmethod
    def stored(response):
        headers = {name: response.get(name) for name in (*KEPT_HEADERS, "ETag", "Last-Modified", "Cache-Control")}
        return (response.content, {name: value for name, value in headers.items() if value is not None})

    @staticmethod
    def rebuild(stored):
        content, headers = stored
        response = HttpResponse(content)
        response["Content-Length"] = str(len(content))
        for name, value in headers.items():
            response[name] = value
        return response
