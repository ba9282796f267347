"""The front cache's side in the app (cms/frontend_cache.py), in process: which URLs a publication purges, that
they are sent once it commits and after the page cache's version moved on, and which responses say
``s-maxage``. (Through a real Varnish: tests/test_frontend_cache.py.)"""

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.models import PageViewRestriction

from cms import frontend_cache
from cms.cache import CONTENT_VERSION_KEY
from cms.models import PartnerPage
from partnership.models import Area, CooperationEntry

pytestmark = pytest.mark.django_db

ENTRY = "japan-liaison-officer-maritime-command"
FRONT_CACHE = {
    "varnish": {"BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend", "LOCATION": "http://127.0.0.1:9"}
}


@pytest.fixture
def front_cache(settings, loaded):
    settings.WAGTAILFRONTENDCACHE = FRONT_CACHE
    settings.FRONTEND_CACHE_SECONDS = 3600


@pytest.fixture
def purged(monkeypatch):
    """The URLs each purge sends, in order: ``[{url, …}, …]``, and the content version each saw."""
    sent = []

    def purge(batch, backend_settings=None, backends=None):
        sent.append((set(batch.urls), cache.get(CONTENT_VERSION_KEY)))

    monkeypatch.setattr(PurgeBatch, "purge", purge)
    return sent


def urls(sent):
    return set().union(*(batch for batch, _version in sent))


def test_an_entry_purges_its_url_record_feeds_exports_partner_page_home_and_comparison(
    front_cache, purged, django_capture_on_commit_callbacks
):
    entry = CooperationEntry.objects.get(slug=ENTRY)
    with django_capture_on_commit_callbacks(execute=True):
        entry.save_revision().publish()
    root = "http://localhost/"
    english = {url for url in urls(purged) if not url.startswith(f"{root}fr/")}
    assert english == {
        f"{root}cooperation/{ENTRY}/",
        f"{root}cooperation/",
        f"{root}cooperation/export.csv",
        f"{root}cooperation/export.json",
        f"{root}cooperation/feed.atom",
        f"{root}cooperation/feeds/japan.atom",
        f"{root}partners/japan/",
        f"{root}",
        f"{root}partners/",
        f"{root}partners/compare/",
    }


def test_an_entry_whose_slug_changes_purges_its_old_url(front_cache, purged, django_capture_on_commit_callbacks):
    entry = CooperationEntry.objects.get(slug=ENTRY)
    entry.slug = "japan-liaison-officer"
    with django_capture_on_commit_callbacks(execute=True):
        entry.save_revision().publish()
    assert {
        f"http://localhost/cooperation/{ENTRY}/",
        "http://localhost/cooperation/japan-liaison-officer/",
    } <= urls(purged)


def test_purges_wait_for_the_commit_and_follow_the_page_caches_version(
    front_cache, purged, django_capture_on_commit_callbacks
):
    entry = CooperationEntry.objects.get(slug=ENTRY)
    cache.set(CONTENT_VERSION_KEY, 1, timeout=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry.save_revision().publish()
    assert purged == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert purged and all(version != 1 for _urls, version in purged)


def test_a_reference_record_purges_the_record_of_its_language_and_the_partner_pages_showing_it(
    front_cache, purged, django_capture_on_commit_callbacks
):
    area = Area.objects.get(slug="maritime-security")
    with django_capture_on_commit_callbacks(execute=True):
        area.save()
    assert "http://localhost/cooperation/*" in urls(purged)
    assert "http://localhost/partners/japan/" in urls(purged)


def test_a_page_made_private_purges_the_whole_site(front_cache, purged, django_capture_on_commit_callbacks):
    page = PartnerPage.objects.get(slug="japan")
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(page=page, restriction_type="password", password="secret")
    assert "http://localhost/*" in urls(purged)


def test_without_a_front_cache_nothing_is_purged(loaded, purged, django_capture_on_commit_callbacks):
    entry = CooperationEntry.objects.get(slug=ENTRY)
    with django_capture_on_commit_callbacks(execute=True):
        entry.save_revision().publish()
    assert purged == []


@pytest.mark.parametrize(
    "url", ["/", "/partners/japan/", "/cooperation/?area=maritime-security", "/cooperation/export.csv"]
)
def test_public_pages_say_s_maxage_to_the_front_cache(front_cache, client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "s-maxage=3600" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/search/?q=japan", "/api/v2/entries/", "/sitemap.xml", "/cooperation/?utm_source=x"])
def test_what_no_purge_can_name_is_not_for_the_front_cache(front_cache, client, url):
    assert "s-maxage" not in client.get(url).get("Cache-Control", "")


def test_without_a_front_cache_no_s_maxage(loaded, client):
    assert "s-maxage" not in client.get("/").get("Cache-Control", "")


def test_a_password_form_is_private(loaded, client):
    page = PartnerPage.objects.get(slug="japan")
    PageViewRestriction.objects.create(page=page, restriction_type="password", password="secret")
    response = client.get("/partners/japan/")
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_what_an_entry_purges_costs_the_same_queries_however_many_entries_exist(front_cache, django_assert_num_queries):
    frontend_cache.add_entry(
        frontend_cache.Purge(), CooperationEntry.objects.get(slug=ENTRY)
    )  # the sites' paths cached
    entry = CooperationEntry.objects.get(slug=ENTRY)
    with CaptureQueriesContext(connection) as before:
        frontend_cache.add_entry(frontend_cache.Purge(), entry)
    for number in range(5):
        copy = CooperationEntry.objects.get(pk=entry.pk)
        copy.pk = None
        copy.translation_key = uuid.uuid4()
        copy.slug = f"{ENTRY}-{number}"
        copy.save()
    entry = CooperationEntry.objects.get(slug=ENTRY)
    with django_assert_num_queries(len(before.captured_queries)):
        frontend_cache.add_entry(frontend_cache.Purge(), entry)
