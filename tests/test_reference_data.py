"""The organisation's reference data (fixtures/organisation.yaml): it loads with the other fixtures, its
codes and frameworks are sound, its aliases load, and partners without a page or an entry change nothing
the public sees.

The expectations are written from public knowledge of NATO's partnerships (2025), independently of the file.
"""

import json
from pathlib import Path

import pycountry
import pytest
import yaml
from bs4 import BeautifulSoup
from django.conf import settings
from wagtail.search.backends import get_search_backend

from partnership.facet_index import record_changed
from partnership.models import CooperationEntry, Framework, Partner, Place, Programme

pytestmark = pytest.mark.django_db

ORGANISATION = Path(settings.PARTNERSHIP_FIXTURES_DIR) / "organisation.yaml"

EXPECTED_PARTNERS = {
    "euro-atlantic-partnership-council": {
        "AM", "AT", "AZ", "BA", "GE", "IE", "KZ", "KG", "MT", "MD", "RS", "CH", "TJ", "TM", "UA", "UZ",
    },
    "mediterranean-dialogue": {"DZ", "EG", "IL", "JO", "MR", "MA", "TN"},
    "istanbul-cooperation-initiative": {"BH", "KW", "QA", "AE"},
    "partners-across-the-globe": {"AU", "CO", "IQ", "JP", "KR", "MN", "NZ", "PK"},
}  # fmt: skip

# Partners that have neither a page nor an entry in the fixtures: the public must not see them.
WITHOUT_PAGES = {"austria": "Austria", "republic-of-korea": "Republic of Korea", "qatar": "Qatar"}


def organisation_data():
    return yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))


def test_the_organisation_fixture_loads_with_the_others(loaded):
    for framework, codes in EXPECTED_PARTNERS.items():
        partners = Partner.objects.filter(framework__slug=framework)
        assert set(partners.values_list("iso_code", flat=True)) == codes, framework
    assert not Partner.objects.filter(slug__in=["afghanistan", "belarus", "russia"]).exists()
    korea = Partner.objects.get(slug="republic-of-korea")
    assert (korea.name, korea.iso_code, korea.framework.slug) == (
        "Republic of Korea",
        "KR",
        "partners-across-the-globe",
    )
    assert Partner.objects.get(slug="bosnia-and-herzegovina").name == "Bosnia and Herzegovina"
    # Reference records quote no document, which a partner and a programme allow.
    for partner in Partner.objects.exclude(slug="japan"):
        partner.full_clean()
        assert not partner.source_id and not partner.entries.exists()
    assert 30 <= len(organisation_data()["programmes"]) <= 50


def test_iso_codes_are_iso_3166_and_every_framework_exists():
    data = organisation_data()
    frameworks = {f["slug"] for f in data["frameworks"]}
    for partner in data["partners"]:
        assert pycountry.countries.get(alpha_2=partner["iso_code"]), partner
        assert partner["framework"] in frameworks, partner
    for place in data["places"]:
        if place["kind"] == "country":
            assert pycountry.countries.get(alpha_2=place["iso_code"]), place
        else:
            assert "iso_code" not in place, place


def test_slugs_are_not_repeated_across_files():
    """The loader refuses it too; this names the record to move."""
    seen = {}
    for path in sorted(Path(settings.PARTNERSHIP_FIXTURES_DIR).glob("*.yaml")):
        for section, records in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            for record in records:
                key = (section, record.get("slug"))
                assert key not in seen, f"{key} in {path.name} and {seen[key]}"
                seen[key] = path.name


def test_aliases_load_and_are_searchable(loaded):
    marcom = Programme.objects.get(slug="maritime-command")
    assert "Allied Maritime Command" in marcom.alias_list
    assert marcom.names[:2] == ["NATO Maritime Command", "MARCOM"]
    sps = Programme.objects.get(slug="science-for-peace-and-security-programme")
    assert "Science for Peace and Security (SPS) Programme" in sps.alias_list
    pfp = Programme.objects.get(slug="partnership-for-peace")
    assert pfp.alias_list == [
        "Partnership for Peace programme",
        "PfP programme",
        "Partnership for Peace (PfP) programme",
    ]
    assert "PfP Trust Fund" in Programme.objects.get(slug="trust-fund-projects").alias_list
    # Found by an alias through the search index, as the admin's list and choosers search it.
    search = get_search_backend().search
    assert marcom in search("Allied Maritime Command", Programme)
    assert Programme.objects.get(slug="nato-support-and-procurement-agency") in search("NAMSA", Programme)


# --- The public site ----------------------------------------------------------------------------


def public_text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


@pytest.mark.parametrize(
    "url",
    ["/", "/partners/", "/cooperation/", "/search/?q=austria", "/search/?q=korea", "/sitemap.xml"],
)
def test_partners_without_pages_or_entries_are_not_shown(client, loaded, url):
    text = public_text(client, url)
    if url.startswith("/search/"):
        soup = BeautifulSoup(text, "html.parser")
        assert "0 results" in soup.select_one(".results__title").get_text()
        for echo in soup.select("title, input[name=q], .results__title"):  # the words searched for
            echo.decompose()
        text = str(soup)
    for slug, name in WITHOUT_PAGES.items():
        assert name not in text and f"/{slug}" not in text and f'value="{slug}"' not in text, (url, slug)
    for framework in ("Mediterranean Dialogue", "Istanbul Cooperation Initiative", "Euro-Atlantic Partnership"):
        assert framework not in text, (url, framework)


def test_the_record_lists_only_partners_programmes_and_places_its_entries_name(client, loaded):
    soup = BeautifulSoup(public_text(client, "/cooperation/"), "html.parser")

    def offered(facet):
        return {box["value"] for box in soup.select(f'input[name="{facet}"]')}

    assert offered("partner") == {"japan"}
    named = CooperationEntry.objects.filter(live=True)
    assert offered("programme") == set(named.values_list("programmes__slug", flat=True)) - {None}
    assert "partnership-for-peace" not in offered("programme")
    assert offered("beneficiary") == set(named.values_list("beneficiaries__slug", flat=True)) - {None}
    partner_counts = [count.get_text() for count in soup.select("#filter-partner .facet__count")]
    assert partner_counts and not any(count.startswith("(0") for count in partner_counts)


def test_an_existing_partner_without_entries_filters_to_nothing_without_an_error(client, loaded):
    soup = BeautifulSoup(public_text(client, "/cooperation/?partner=austria"), "html.parser")
    assert soup.select(".results .fact__title") == []
    assert not soup.select(".field-error")
    chosen = soup.select_one('input[name="partner"][value="austria"]')
    assert chosen is not None and chosen.has_attr("checked")  # listed while chosen, so it can be unticked
    # With Japan too, Japan's entries.
    both = BeautifulSoup(public_text(client, "/cooperation/?partner=austria&partner=japan"), "html.parser")
    assert len(both.select(".results .fact__title")) == min(CooperationEntry.objects.filter(live=True).count(), 20)
    # The API, the exports and the partner's feed: empty, not an error.
    api = json.loads(public_text(client, "/api/v2/entries/?partner=austria"))
    assert api["meta"]["total_count"] == 0 and api["items"] == []
    assert json.loads(public_text(client, "/cooperation/export.json?partner=austria"))["entries"] == []
    assert public_text(client, "/cooperation/export.csv?partner=austria").count("\n") == 1  # the headings
    assert "<entry>" not in public_text(client, "/cooperation/feeds/austria.atom")
    # A slug that is no partner is still refused, as before.
    assert client.get("/api/v2/entries/?partner=atlantis").status_code == 400
    soup = BeautifulSoup(public_text(client, "/cooperation/?partner=atlantis"), "html.parser")
    assert "atlantis is not one of the available choices" in soup.get_text()
    assert client.get("/cooperation/feeds/atlantis.atom").status_code == 404


def test_a_partner_is_listed_once_a_published_entry_names_it(client, loaded):
    entry = CooperationEntry.objects.filter(live=True).first()
    # Written with update(), which sends no signal: said to the record, as bulk writers do (partnership.facet_index).
    CooperationEntry.objects.filter(pk=entry.pk).update(partner=Partner.objects.get(slug="austria"))
    record_changed()
    soup = BeautifulSoup(public_text(client, "/cooperation/"), "html.parser")
    assert {box["value"] for box in soup.select('input[name="partner"]')} == {"japan", "austria"}
    CooperationEntry.objects.filter(pk=entry.pk).update(live=False)
    record_changed()
    soup = BeautifulSoup(public_text(client, "/cooperation/"), "html.parser")
    assert {box["value"] for box in soup.select('input[name="partner"]')} == {"japan"}


def test_places_and_frameworks_of_the_organisation_are_loaded(loaded):
    assert (
        Framework.objects.filter(
            slug__in=["euro-atlantic-partnership-council", "mediterranean-dialogue", "istanbul-cooperation-initiative"]
        ).count()
        == 3
    )
    kinds = dict(
        Place.objects.filter(slug__in=["western-balkans", "black-sea", "gulf-of-aden"]).values_list("slug", "kind")
    )
    assert kinds == {"western-balkans": "region", "black-sea": "sea", "gulf-of-aden": "sea"}
