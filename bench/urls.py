"""The site's URLs plus the benchmark's baseline (cms.settings.bench only; never in production)."""

from django.http import HttpResponse
from django.urls import path

from cms.urls import urlpatterns as site_urlpatterns


def minimal(request):
    """The framework's ceiling: the whole middleware stack and a view that does nothing."""
    return HttpResponse("ok", content_type="text/plain")


# Before the site's own patterns: Wagtail's catch-all page route would answer first.
urlpatterns = [path("_bench/minimal/", minimal), *site_urlpatterns]
