"""The anonymous page cache (cms/cache.py): hits cost no query, conditional GETs answer 304, and
every publication, unpublication or deletion a page shows throws the cached copies away.

The page cache is off in the other tests; here it is on. Publications take effect when their
transaction commits, so changes run inside django_capture_on_commit_callbacks(execute=True).
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms.cache import cache_key, content_version, is_cacheable_request, is_cacheable_response
from cms.models import PartnerPage
from partnership.models import Area, CooperationEntry

pytestmark = pytest.mark.django_db

ENTRY = "japan-liaison-officer-maritime-command"
# Every public URL that shows this entry's title. (Not the home page: the entry is undated, and the
# home page lists only the latest dated entries.)
SHOWING_THE_ENTRY = [
    "/partners/japan/",
    "/cooperation/",
    "/cooperation/?area=maritime-security",
    f"/cooperation/{ENTRY}/",
    "/cooperation/feed.atom",
    "/cooperation/feeds/japan.atom",
    "/api/v2/entries/?area=maritime-security&fields=title",
    "/search/?q=liaison",
]


@pytest.fixture
def page_cache(settings, loaded):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def entry(loaded):
    return CooperationEntry.objects.get(slug=ENTRY)


def queries_for(client, url, **headers):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, **headers)
    return response, len(context.captured_queries)


def test_the_entry_under_test_is_shown_by_every_listed_url(client, loaded, entry):
    """Guards the list above: if a URL stopped showing the entry, the invalidation tests would prove nothing."""
    assert entry.start_date is None and entry.title not in client.get("/").content.decode()
    for url in SHOWING_THE_ENTRY:
        assert entry.title in client.get(url).content.decode(), url


@pytest.mark.parametrize("url", ["/", "/partners/", "/partners/japan/", "/cooperation/", f"/cooperation/{ENTRY}/"])
def test_a_cached_page_costs_no_query_and_is_the_same_page(client, page_cache, url):
    first, first_queries = queries_for(client, url)
    second, second_queries = queries_for(client, url)
    assert first.status_code == second.status_code == 200
    assert first_queries > 0
    assert second_queries == 0
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["ETag"] == first["ETag"]
    # Security headers are added on the way out of a cached answer too.
    assert second["X-Content-Type-Options"] == "nosniff"
    assert second.has_header("X-Frame-Options")


def test_public_answers_say_how_to_revalidate(client, page_cache):
    response = client.get("/partners/japan/")
    assert response["ETag"].startswith('"')
    assert response.has_header("Last-Modified")
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "must-revalidate"} <= cache_control


@pytest.mark.parametrize("cached", [True, False], ids=["page cache on", "page cache off"])
def test_conditional_get_answers_304_without_a_body(client, loaded, settings, cached):
    settings.PAGE_CACHE_SECONDS = 600 if cached else 0
    first = client.get("/partners/japan/")
    again = client.get("/partners/japan/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    changed = client.get("/partners/japan/", HTTP_IF_NONE_MATCH='"something-else"')
    assert changed.status_code == 200
    if cached:
        since = client.get("/partners/japan/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304


def test_publishing_an_entry_refreshes_every_cached_page_that_shows_it(
    client, page_cache, entry, django_capture_on_commit_callbacks
):
    before = {url: client.get(url) for url in SHOWING_THE_ENTRY}
    old_title = entry.title
    with django_capture_on_commit_callbacks(execute=True):
        entry.title = "Liaison officer at the Maritime Command, renamed"
        entry.save_revision().publish()
    for url in SHOWING_THE_ENTRY:
        after = client.get(url)
        assert old_title in before[url].content.decode(), url
        assert "renamed" in after.content.decode(), url
        assert after["ETag"] != before[url]["ETag"], url


def test_a_draft_is_not_shown_and_does_not_empty_the_cache_needlessly(
    client, page_cache, entry, django_capture_on_commit_callbacks
):
    client.get("/partners/japan/")
    with django_capture_on_commit_callbacks(execute=True):
        entry.title = "A draft title nobody may read"
        entry.save_revision()
    response, queries = queries_for(client, "/partners/japan/")
    assert "A draft title nobody may read" not in response.content.decode()
    assert queries == 0, "saving a draft threw the cached pages away"


@pytest.mark.parametrize("how", ["unpublish", "delete"])
def test_unpublishing_or_deleting_an_entry_removes_it_from_cached_pages(
    client, page_cache, entry, django_capture_on_commit_callbacks, how
):
    urls = ["/partners/japan/", "/cooperation/", "/cooperation/feed.atom"]
    for url in urls:
        assert entry.title in client.get(url).content.decode()
    assert client.get(f"/cooperation/{ENTRY}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        entry.unpublish() if how == "unpublish" else entry.delete()
    for url in urls:
        assert entry.title not in client.get(url).content.decode(), url
    assert client.get(f"/cooperation/{ENTRY}/").status_code == 404


def test_publishing_a_page_refreshes_it(client, page_cache, django_capture_on_commit_callbacks):
    page = PartnerPage.objects.get(slug="japan")
    client.get("/partners/japan/")
    client.get("/partners/")
    with django_capture_on_commit_callbacks(execute=True):
        page.title = "Relations with Japan, revised"
        page.save_revision().publish()
    assert "Relations with Japan, revised" in client.get("/partners/japan/").content.decode()
    assert "Relations with Japan, revised" in client.get("/partners/").content.decode()


def test_renaming_an_area_refreshes_the_pages_that_name_it(client, page_cache, django_capture_on_commit_callbacks):
    client.get("/cooperation/")
    with django_capture_on_commit_callbacks(execute=True):
        area = Area.objects.get(slug="maritime-security")
        area.name = "Maritime security and freedom of navigation"
        area.save()
    assert "Maritime security and freedom of navigation" in client.get("/cooperation/").content.decode()


def test_a_change_rolled_back_keeps_the_cache(client, page_cache, entry):
    """A failed publication must not cost every reader a cold cache (nor show anything)."""
    from django.db import transaction

    client.get("/partners/japan/")
    with pytest.raises(RuntimeError), transaction.atomic():
        entry.title = "Never committed"
        entry.save_revision().publish()
        raise RuntimeError("the publication fails")
    response, queries = queries_for(client, "/partners/japan/")
    assert queries == 0
    assert "Never committed" not in response.content.decode()


def test_editors_are_never_served_the_cached_page(client, page_cache, entry, django_capture_on_commit_callbacks):
    anonymous = client.get("/partners/japan/")
    editor = User.objects.create_user("editor", password=None)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    response, queries = queries_for(client, "/partners/japan/")
    assert queries > 0, "a logged-in editor's page was served from the anonymous cache"
    assert "private" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]
    # …and what an editor is served is never stored for the public.
    client.logout()
    again, _ = queries_for(client, "/partners/japan/")
    assert again.content == anonymous.content


def test_admin_views_of_drafts_are_never_stored(admin_client, page_cache, entry):
    """Previews and revisions live under /admin/: whatever they show is never put in the page cache."""
    entry.title = "Previewed title"
    revision = entry.save_revision()
    url = f"/admin/snippets/partnership/cooperationentry/history/{entry.pk}/revisions/{revision.pk}/view/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Previewed title" in response.content.decode()
    request = RequestFactory().get(url)
    assert cache.get(cache_key(request, content_version())) is None
    assert "Previewed title" not in Client().get(f"/cooperation/{ENTRY}/").content.decode()


def test_streamed_exports_are_not_cached_but_stay_correct(
    client, page_cache, entry, django_capture_on_commit_callbacks
):
    assert entry.title in b"".join(client.get("/cooperation/export.csv").streaming_content).decode()
    with django_capture_on_commit_callbacks(execute=True):
        entry.unpublish()
    assert entry.title not in b"".join(client.get("/cooperation/export.csv").streaming_content).decode()


@pytest.mark.parametrize(
    "make_response",
    [
        lambda: _response_with_cookie(),
        lambda: HttpResponse("private", headers={"Cache-Control": "private"}),
        lambda: HttpResponse("not found", status=404),
        lambda: StreamingHttpResponse(iter([b"a", b"b"])),
        lambda: HttpResponse("negotiated", headers={"Vary": "User-Agent"}),
    ],
    ids=["sets a cookie", "private", "404", "streamed", "varies on a header the key does not hold"],
)
def test_what_may_not_be_stored_is_not(make_response):
    assert not is_cacheable_response(make_response())
    assert is_cacheable_response(HttpResponse("a public page"))


def _response_with_cookie():
    response = HttpResponse("with a cookie")
    response.set_cookie("csrftoken", "x")
    return response


def test_admin_urls_and_editors_requests_are_never_looked_up_or_stored():
    factory = RequestFactory()
    assert is_cacheable_request(factory.get("/partners/japan/"))
    assert not is_cacheable_request(factory.get("/admin/snippets/partnership/cooperationentry/preview/1/"))
    assert not is_cacheable_request(factory.get("/admin/login/"))
    editor = factory.get("/partners/japan/")
    editor.COOKIES[settings.SESSION_COOKIE_NAME] = "a-session"
    assert not is_cacheable_request(editor)
    assert not is_cacheable_request(factory.post("/partners/japan/"))


def test_making_a_page_private_takes_it_out_of_the_cache_at_once(
    client, page_cache, django_capture_on_commit_callbacks
):
    assert client.get("/partners/japan/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=PartnerPage.objects.get(slug="japan"), restriction_type=PageViewRestriction.LOGIN
        )
    response = client.get("/partners/japan/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_scheme_and_the_accepted_format_are_part_of_the_key():
    factory = RequestFactory()
    plain = cache_key(factory.get("/cooperation/"), 1)
    assert cache_key(factory.get("/cooperation/", secure=True), 1) != plain
    # Only the API answers by Accept; the record page is the same HTML whatever the header says.
    api = cache_key(factory.get("/api/v2/entries/"), 1)
    assert cache_key(factory.get("/api/v2/entries/", HTTP_ACCEPT="text/html"), 1) != api
    assert cache_key(factory.get("/cooperation/?area=x"), 1) != plain
    assert cache_key(factory.get("/cooperation/", HTTP_HOST="localhost"), 1) != plain
    assert cache_key(factory.get("/cooperation/"), 2) != plain


def test_renaming_the_organisation_refreshes_every_cached_page(client, page_cache, django_capture_on_commit_callbacks):
    from cms.models import OrganisationSettings

    assert ">NATO</a>" in client.get("/partners/").content.decode()
    settings = OrganisationSettings.objects.get()
    settings.name = "The Alliance"
    with django_capture_on_commit_callbacks(execute=True):
        settings.save()
    assert ">The Alliance</a>" in client.get("/partners/").content.decode()
