from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views
from .api import api_router

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("sitemap.xml", views.sitemap),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap_section"),
    path("robots.txt", views.robots_txt),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

if settings.SERVE_MEDIA:
    # Uploaded images from Django itself: development and tests only (static() is a no-op without DEBUG).
    urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

# English pages carry no prefix; French ones live under /fr/.
urlpatterns += i18n_patterns(
    # Files under the record page (/cooperation/export.csv, …): Wagtail's serve pattern takes no
    # dots, so these paths go to the same view, which routes them to the record page's own routes.
    re_path(r"^((?:[\w-]+/)+(?:export\.csv|export\.json|feed\.atom|feeds/[\w-]+\.atom))$", wagtail_views.serve),
    path("search/", views.search, name="search"),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
