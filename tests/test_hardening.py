"""Edge cases found in review: unknown API parameters, huge offsets, HTML in feeds, private record
files, pages an editor unpublished, numeric slugs, the configured site, French URLs, admin filters."""

import io

import pytest
import yaml
from django.core.management import call_command
from wagtail.models import Page, PageViewRestriction, Site

from cms.models import CooperationRecordPage, PartnerPage
from partnership.models import CooperationEntry

from .conftest import run_load_fixtures

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [{"slug": "x"}, {"search": "japan"}, {"order": "-title"}, {"offset": "9" * 30}, {"offset": "-1"}, {"limit": "abc"}],
)
def test_the_entries_api_refuses_what_it_does_not_do(client, loaded, query):
    response = client.get("/api/v2/entries/", query)
    assert response.status_code == 400
    assert "message" in response.json()


def test_feed_summaries_are_text_not_html(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-initial-contacts")
    entry.description = "<img src=x onerror=alert(1)>"
    entry.save_revision().publish()
    xml = client.get("/cooperation/feed.atom").content.decode()
    assert "&amp;lt;img src=x" in xml  # escaped twice: once as text, once for XML
    assert "&lt;img src=x" not in xml.replace("&amp;lt;img", "")


def test_private_record_files_stay_private(client, loaded):
    record = CooperationRecordPage.objects.get()
    PageViewRestriction.objects.create(page=record, restriction_type="password", password="a-long-password-9")
    assert "csv" not in client.get("/cooperation/export.csv")["Content-Type"]
    assert "japan-initial-contacts" not in client.get("/cooperation/export.json").content.decode()
    assert client.get("/cooperation/anything/export.csv").status_code == 404


def test_a_page_an_editor_unpublished_is_not_republished_by_a_load(loaded, fixture_copy):
    PartnerPage.objects.get().unpublish()
    path = fixture_copy / "japan-page.yaml"
    data = yaml.safe_load(path.read_text())
    data["pages"][0]["lead"] += " And more."
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "kept page “japan”" in run_load_fixtures(fixture_copy)
    assert not PartnerPage.objects.get().live


def test_numeric_slugs_load_again_without_trouble(loaded, tmp_path):
    fixture = tmp_path / "numbers.yaml"
    fixture.write_text("places:\n  - {slug: 2014, name: A numbered place, kind: region}\n")
    assert "1 created" in run_load_fixtures(fixture)
    assert "Nothing to do" in run_load_fixtures(fixture)


def test_the_first_load_keeps_the_configured_site(db):
    site = Site.objects.get()
    site.hostname, site.port, site.site_name = "partners.example.org", 443, "Partners"
    site.save()
    run_load_fixtures()
    site = Site.objects.get()
    assert (site.hostname, site.port, site.site_name) == ("partners.example.org", 443, "Partners")
    assert site.root_page.specific.__class__.__name__ == "HomePage"
    assert Page.objects.filter(depth=2).count() == 1


@pytest.mark.parametrize("url", ["/fr/", "/fr/partners/japan/", "/fr/cooperation/", "/fr/cooperation/export.csv"])
def test_untranslated_pages_are_not_served_under_french_urls(client, loaded, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("year", ["1e30", "99999999999999999999", "2014.5", "abc"])
def test_the_admin_year_filter_refuses_what_is_not_a_year(client, loaded, django_user_model, year):
    client.force_login(django_user_model.objects.create_superuser("root", "", "a-long-password-8"))
    response = client.get("/admin/snippets/partnership/cooperationentry/", {"year": year})
    assert response.status_code == 200


def test_the_public_year_filter_wants_a_whole_year(client, loaded):
    html = client.get("/cooperation/", {"year_from": "2000.5"}).content.decode()
    assert "Enter a whole number" in html


def test_publish_scheduled_runs_clean_on_the_fixtures(loaded):
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    assert CooperationEntry.objects.filter(live=True).count() == 24
