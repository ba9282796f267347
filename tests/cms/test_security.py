"""Security headers on every response: a strict Content-Security-Policy with nothing inline on the
public site, a looser one for the Wagtail admin (which frames its own previews), and the rest."""

import json
import os
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from cms.models import PartnerPage
from partnership.models import CooperationEntry
from tests.conftest import PROJECT_DIR
from tests.test_editors import entry_form, page_form

pytestmark = pytest.mark.django_db

SLUG = "japan-liaison-officer-maritime-command"
PUBLIC_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Every public page type, and the other things the public site serves.
PUBLIC_HTML = [
    "/",
    "/partners/",
    "/partners/japan/",
    "/cooperation/",
    "/cooperation/?kind=post&sort=title&page=2",
    f"/cooperation/{SLUG}/",
    "/search/?q=maritime",
    "/partners/atlantis/",  # the 404 page
]
PUBLIC_OTHER = [
    "/cooperation/export.csv",
    "/cooperation/export.json",
    "/cooperation/feed.atom",
    "/cooperation/feeds/japan.atom",
    "/api/v2/entries/",
    "/api/v2/pages/",
    "/sitemap.xml",
    "/robots.txt",
]


def policy(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def assert_common_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"] == "camera=(), geolocation=(), microphone=(), payment=(), usb=()"
    assert "Strict-Transport-Security" not in response  # production only (over HTTPS)


@pytest.mark.parametrize("url", PUBLIC_HTML + PUBLIC_OTHER)
def test_public_responses_carry_the_strict_policy(client, loaded, url):
    response = client.get(url)
    assert response.status_code in (200, 404), url
    assert_common_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    directives = policy(response)
    for name, value in PUBLIC_POLICY.items():
        assert directives[name] == value, (url, name)
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header and "nonce-" not in header


def test_the_policy_is_the_same_for_every_request_so_pages_can_be_cached(client, loaded, settings):
    settings.PAGE_CACHE_SECONDS = 60  # the page cache on: the second answer may come from it
    first, second = client.get("/partners/japan/"), client.get("/partners/japan/")
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY" and second["X-Content-Type-Options"] == "nosniff"


def inline_code(html):
    """Everything a strict policy would block in ``html``: inline scripts and styles, style and on* attributes."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for script in soup.find_all("script"):
        if not script.get("src") and script.get("type") not in ("application/json", "application/ld+json"):
            found.append(str(script)[:80])
    found += [str(style)[:80] for style in soup.find_all("style")]
    for tag in soup.find_all(True):
        for attribute in tag.attrs:
            if attribute == "style" or attribute.startswith("on"):
                found.append(f"<{tag.name} {attribute}=…>")
        if tag.name == "a" and str(tag.get("href", "")).strip().lower().startswith("javascript:"):
            found.append(f"<a href={tag['href']!r}>")
    return found


@pytest.mark.parametrize("url", PUBLIC_HTML)
def test_public_pages_have_nothing_inline(client, loaded, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")
    assert inline_code(response.content.decode()) == []


def test_the_error_pages_and_the_lockout_page_have_nothing_inline(loaded):
    assert inline_code(render_to_string("500.html")) == []
    request = RequestFactory().get("/admin/login/")
    from cms.security import lockout_response

    assert inline_code(lockout_response(request, None, {"username": "someone"}).content.decode()) == []


def test_the_500_page_links_its_stylesheet_without_the_manifest():
    html = render_to_string("500.html")
    assert '<link rel="stylesheet" href="/static/css/error.css">' in html
    assert (PROJECT_DIR / "static" / "css" / "error.css").exists()


# --- The admin -----------------------------------------------------------------------------------------


@pytest.fixture
def editor(loaded, django_user_model):
    user = django_user_model.objects.create_user("editor", password="editor-password-1")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def assert_admin_policy(response):
    assert_common_headers(response)
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    directives = policy(response)
    assert directives["frame-ancestors"] == "'self'" and directives["frame-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "'unsafe-inline'" in directives["script-src"]  # Wagtail's admin needs it


@pytest.mark.parametrize(
    "url", ["/admin/login/", "/admin/", "/admin/pages/", "/admin/snippets/partnership/cooperationentry/"]
)
def test_the_admin_has_its_own_policy(client, editor, url):
    if url != "/admin/login/":
        client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert_admin_policy(response)


def test_page_preview_works_in_the_admin_frame(client, editor):
    """The editor's preview panel frames the preview URL: same origin, so both headers allow it."""
    client.force_login(editor)
    page = PartnerPage.objects.get()
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    assert preview_url in edit.content.decode()
    assert_admin_policy(edit)
    posted = client.post(preview_url, page_form(page, title="Previewed Japan"))
    assert posted.status_code == 200 and posted.json()["is_valid"]
    preview = client.get(preview_url)
    assert preview.status_code == 200 and "Previewed Japan" in preview.content.decode()
    assert_admin_policy(preview)
    # What the frame shows is the public page: it needs nothing inline either.
    assert inline_code(preview.content.decode()) == []


def test_entry_preview_works_in_the_admin_frame(client, editor):
    client.force_login(editor)
    entry = CooperationEntry.objects.get(slug=SLUG)
    url = reverse("wagtailsnippets_partnership_cooperationentry:preview_on_edit", args=[entry.pk])
    assert client.post(url, entry_form(entry, title="Previewed entry")).json()["is_valid"]
    preview = client.get(url)
    assert preview.status_code == 200 and "Previewed entry" in preview.content.decode()
    assert_admin_policy(preview)


def test_the_lockout_page_is_sent_with_the_admin_headers(client, loaded):
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "nobody", "password": "wrong"}, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 429
    assert_admin_policy(response)


# --- Production ----------------------------------------------------------------------------------------

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({k: getattr(settings, k, None) for k in ("
    "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'CONTENT_SECURITY_POLICY', "
    "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'AXES_FAILURE_LIMIT', 'MIDDLEWARE')}))"
)


def read_settings(module):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="partners.example.org",
        DATABASE_URL="postgres://cms@db.internal:5432/partnership",
        WAGTAILADMIN_BASE_URL="https://partners.example.org",
    )
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_adds_hsts_and_keeps_every_other_header():
    production = read_settings("cms.settings.production")
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600 and production["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert (
        production["SECURE_SSL_REDIRECT"] and production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    )
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] and production["X_FRAME_OPTIONS"] == "DENY"
    assert production["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert production["CONTENT_SECURITY_POLICY"] == read_settings("cms.settings.dev")["CONTENT_SECURITY_POLICY"]
    assert production["AXES_FAILURE_LIMIT"] == 5
    middleware = production["MIDDLEWARE"]
    # The policy goes on every answer, cached or not: its middleware is outside the page cache.
    assert middleware[0] == "django.middleware.security.SecurityMiddleware"
    assert middleware.index("cms.security.ContentSecurityPolicyMiddleware") < middleware.index(
        "cms.cache.AnonymousPageCacheMiddleware"
    )
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
