"""Publishing through a real HTTP cache: Varnish (Debian's package) with the repository's VCL
(deploy/varnish/default.vcl) in front of gunicorn, purged by the app (cms/frontend_cache.py) through
wagtail.contrib.frontend_cache.

Everything runs as in production, in separate processes: gunicorn serves a copy of an SQLite file
loaded with the fixtures (both languages) and a demo partner; Varnish stores what the app marks
``s-maxage``; publications are made by ``manage.py shell`` with the app's own code path (a revision
published), whose purges reach Varnish when the change commits. Each response says ``X-Cache: HIT`` when
Varnish answered from its store.

Needs varnishd (apt-get install varnish); without it the tests are skipped with the reason, except in CI
(REQUIRE_SERVICES=1), where that is a failure.
"""

import http.client
import json
import os
import secrets
import subprocess
import sys
from types import SimpleNamespace

import pytest

from .conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "bench"))

import server  # noqa: E402

HOST = "localhost"  # the fixtures' default site: the host Wagtail's purges name

# What the test needs to know about the loaded site, printed as JSON by the server's own code.
DESCRIBE = """
import json
from cms.models import PartnerPage, latest_entries
from wagtail.models import Locale
from partnership.models import CooperationEntry
english = Locale.objects.get(language_code="en")
entry = (
    CooperationEntry.objects.public().filter(partner__slug="japan", locale=english).exclude(start_date=None)
    .order_by("-start_date", "-pk").first()
)
japan = PartnerPage.objects.live().get(partner=entry.partner)
other = PartnerPage.objects.live().filter(locale=english).exclude(partner=entry.partner).first()
area = entry.areas.order_by("pk").first()
print(json.dumps({
    "entry_pk": entry.pk, "entry_title": entry.title, "entry_url": f"/cooperation/{entry.slug}/",
    "entry_filtered": f"/cooperation/?partner={entry.partner.slug}&kind={entry.kind}&year_from={entry.start_date.year}",
    "partner_slug": entry.partner.slug, "partner_page": japan.url, "partner_page_pk": japan.pk,
    "partner_page_fr": japan.get_translation(Locale.objects.get(language_code="fr")).url,
    "other_page": other.url, "other_page_pk": other.pk, "other_lead": other.lead[:40],
    "on_home": entry in latest_entries(limit=6, locale_id=english.pk),
    "area_pk": area.pk, "area_name": area.name, "image_pk": japan.image_id,
}))
"""


def varnish_missing():
    if server.varnishd_path() is None:
        return "varnishd not found (apt-get install varnish)"
    return None


def run_manage(env, *args, code=None):
    command = [sys.executable, str(PROJECT_DIR / "manage.py"), *args]
    if code is not None:
        command += ["-c", code]
    result = subprocess.run(command, env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """gunicorn (2 workers) on its own SQLite file, Varnish in front of it, and the app told where Varnish is."""
    reason = varnish_missing()
    if reason and os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"Varnish is required (REQUIRE_SERVICES is set) but {reason}")
    if reason:
        pytest.skip(f"Front-cache tests skipped: {reason}")
    folder = tmp_path_factory.mktemp("front-cache")
    varnish_port = server.free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": f"sqlite:///{folder / 'site.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "FRONTEND_CACHE_URL": f"http://127.0.0.1:{varnish_port}",
    }
    env.pop("REDIS_URL", None)  # the test settings' per-process cache: Varnish is the only shared one here
    run_manage(env, "migrate", "--noinput", "-v0")
    run_manage(env, "load_fixtures", "-v0")  # English and French
    run_manage(env, "generate_demo_data", "--partners", "1", "--entries", "10", "--seed", "3", "-v0")
    site = json.loads(run_manage(env, "shell", "-v0", code=DESCRIBE))
    with server.gunicorn(env) as app, server.varnish(app.port, varnish_port) as varnish:
        yield SimpleNamespace(env=env, port=varnish.port, **site)


def get(front, path, cookie=None):
    """GET through Varnish as a reader of the site: ``(status, headers, body)`` (headers' names lower-cased)."""
    connection = http.client.HTTPConnection("127.0.0.1", front.port, timeout=60)
    headers = {"Host": HOST}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    return response.status, {name.lower(): value for name, value in response.getheaders()}, body


def cached(front, *paths):
    """Each path requested until Varnish answers it from its store (two requests); fails if it does not."""
    for path in paths:
        get(front, path)
        status, headers, _body = get(front, path)
        assert (status, headers["x-cache"]) == (200, "HIT"), (path, status, headers)


def x_cache(front, path, cookie=None):
    return get(front, path, cookie)[1]["x-cache"]


def shell(front, code):
    return run_manage(front.env, "shell", "-v0", code=code)


def test_an_entry_publication_purges_every_url_that_shows_it_and_no_other(front):
    showing = [
        front.entry_url,
        front.partner_page,
        "/cooperation/",
        front.entry_filtered,  # one of the record's endless filtered views
        "/cooperation/feed.atom",
        f"/cooperation/feeds/{front.partner_slug}.atom",
        "/cooperation/export.csv",
        "/cooperation/export.json",
        f"/cooperation/export.csv?partner={front.partner_slug}",
        "/",
        f"/partners/compare/?partner={front.partner_slug}",
    ]
    not_showing = [front.other_page, "/fr/"]
    cached(front, *showing, *not_showing)

    title = f"{front.entry_title} (corrected {secrets.token_hex(3)})"
    shell(
        front,
        "from partnership.models import CooperationEntry\n"
        f"entry = CooperationEntry.objects.get(pk={front.entry_pk})\n"
        f"entry.title = {title!r}\n"
        "entry.save_revision().publish()\n",
    )
    # The publishing process has ended: its purges were sent when its transaction committed.
    for path in showing:
        status, headers, body = get(front, path)
        assert (status, headers["x-cache"]) == (200, "MISS"), (path, headers)
        listed = path not in ("/cooperation/", f"/partners/compare/?partner={front.partner_slug}") and (
            path != "/" or front.on_home
        )  # the record's first page and the comparison need not list this entry, the home page lists the latest
        if listed:
            assert title in body.replace("&#x27;", "'").replace("&#39;", "'"), path
    for path in not_showing:
        assert x_cache(front, path) == "HIT", path


def test_a_page_publication_purges_the_page_the_pages_that_list_it_and_its_translation(front):
    showing = [front.partner_page, "/partners/", "/", front.partner_page_fr]
    cached(front, *showing, front.other_page, "/cooperation/")
    title = f"Relations with Japan {secrets.token_hex(3)}"
    shell(
        front,
        "from wagtail.models import Page\n"
        f"page = Page.objects.get(pk={front.partner_page_pk}).specific\n"
        f"page.title = {title!r}\n"
        "page.save_revision().publish()\n",
    )
    for path in showing:
        status, headers, body = get(front, path)
        assert (status, headers["x-cache"]) == (200, "MISS"), (path, headers)
    for path in showing[:3]:
        assert title in get(front, path)[2], path
    assert x_cache(front, front.other_page) == "HIT"
    assert x_cache(front, "/cooperation/") == "HIT"


def test_a_reference_record_change_purges_the_record_its_entries_and_partner_pages(front):
    showing = ["/cooperation/", front.entry_url, "/cooperation/export.csv", front.partner_page]
    cached(front, *showing, front.other_page, "/fr/")
    name = f"{front.area_name} {secrets.token_hex(3)}"
    shell(
        front,
        "from partnership.models import Area\n"
        f"area = Area.objects.get(pk={front.area_pk})\n"
        f"area.name = {name!r}\n"
        "area.save()\n",
    )
    for path in showing:
        status, headers, body = get(front, path)
        assert (status, headers["x-cache"]) == (200, "MISS"), (path, headers)
        if path in ("/cooperation/", front.entry_url):  # facets, the entry's areas (the CSV has slugs, pages sections)
            assert name in body, path
    assert x_cache(front, "/fr/") == "HIT"  # another language's pages show another record


def test_an_image_or_document_change_purges_the_pages_that_show_it(front):
    assert front.image_pk, "the fixtures' partner page has a photo"
    cached(front, front.partner_page, front.other_page)
    shell(
        front,
        "from wagtail.images import get_image_model\n"
        f"image = get_image_model().objects.get(pk={front.image_pk})\n"
        "image.title = image.title + ' (retitled)'\n"
        "image.save()\n",
    )
    assert x_cache(front, front.partner_page) == "MISS"
    assert x_cache(front, front.other_page) == "HIT"

    # A document linked from the other partner's page: a new file there changes the link.
    document_pk = shell(
        front,
        "from django.core.files.base import ContentFile\n"
        "from wagtail.documents import get_document_model\n"
        "from wagtail.models import Page\n"
        "document = get_document_model()(title='Annual report')\n"
        "document.file.save('annual-report.txt', ContentFile(b'report'))\n"
        f"page = Page.objects.get(pk={front.other_page_pk}).specific\n"
        "page.lead = page.lead\n"
        "page.highlights.append(('highlight', __import__('wagtail.rich_text', fromlist=['RichText']).RichText("
        'f\'<p><a linktype="document" id="{document.pk}">The annual report</a></p>\')))\n'
        "page.save_revision().publish()\n"
        "print(document.pk)\n",
    ).strip()
    cached(front, front.other_page, front.partner_page)
    assert "annual-report.txt" in get(front, front.other_page)[2]
    shell(
        front,
        "from django.core.files.base import ContentFile\n"
        "from wagtail.documents import get_document_model\n"
        f"document = get_document_model().objects.get(pk={document_pk})\n"
        "document.file.save('annual-report-2025.txt', ContentFile(b'report 2025'))\n",
    )
    status, headers, body = get(front, front.other_page)
    assert headers["x-cache"] == "MISS"
    assert "annual-report-2025.txt" in body
    assert x_cache(front, front.partner_page) == "HIT"


def test_nothing_private_draft_or_per_user_is_stored(front):
    cached(front, "/")
    # Irrelevant cookies (analytics) do not stop a reader from getting the stored page.
    assert x_cache(front, "/", cookie="_ga=GA1.1.123; consent=yes") == "HIT"
    # A signed-in reader or editor (a session), or a form's CSRF token: never from the store, never into it.
    for cookie in ("sessionid=abc123", "csrftoken=xyz; _ga=1"):
        for _ in range(2):
            status, headers, _body = get(front, "/", cookie=cookie)
            assert headers["x-cache"] == "MISS", cookie
            assert "s-maxage" not in headers.get("cache-control", ""), headers
    assert "private" in get(front, "/", cookie="sessionid=abc123")[1]["cache-control"]
    # The admin and previews (which live under it).
    for path in ("/admin/", "/admin/login/", f"/admin/pages/{front.partner_page_pk}/edit/preview/"):
        assert [x_cache(front, path) for _ in range(2)] == ["MISS", "MISS"], path
    # A page behind a password: its form each time, marked private; the page itself never served.
    shell(
        front,
        "from wagtail.models import Page, PageViewRestriction\n"
        f"page = Page.objects.get(pk={front.other_page_pk})\n"
        "PageViewRestriction.objects.create(page=page, restriction_type='password', password='secret')\n",
    )
    for _ in range(2):
        status, headers, body = get(front, front.other_page)
        assert (status, headers["x-cache"]) == (200, "MISS"), headers
        assert "private" in headers["cache-control"], headers
        assert front.other_lead not in body
        assert 'name="password"' in body
    # A page behind a login: a redirect to it, never stored.
    shell(
        front,
        "from wagtail.models import PageViewRestriction\n"
        f"PageViewRestriction.objects.filter(page_id={front.other_page_pk}).update(restriction_type='login')\n",
    )
    for _ in range(2):
        status, headers, _body = get(front, front.other_page)
        assert (status, headers["x-cache"]) == (302, "MISS"), headers
