"""The public pages: page-type rules, admin creation with real block data, the whole document on
/partners/japan/, live entry blocks, "Last updated", the fixture page tree, and constant query counts."""

import datetime
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from django.core.management import CommandError
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import CooperationRecordPage, HomePage, PartnerPage, PartnersIndexPage
from cms.placeholder import PLACEHOLDER_ALT
from partnership.facet_index import record_changed
from partnership.models import Area, CooperationEntry, Partner
from tests.conftest import SOURCE_TEXT, database_snapshot, run_load_fixtures

pytestmark = pytest.mark.django_db

CAPTION = "Joint press point by NATO Secretary General Jens Stoltenberg and the Prime Minister of Japan, Shinzo Abe"


def visible_text(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.body.get_text(" ").split())


def document_sentences():
    """Every heading, paragraph and bullet sentence of the document, in order (the date stamp apart)."""
    sentences = []
    for line in SOURCE_TEXT.splitlines():
        text = " ".join(line.strip().lstrip("•").split())
        if not text or text.startswith("Last updated"):
            continue
        sentences.extend(re.split(r"(?<=\.)\s+(?=[A-Z])", text))
    return sentences


def publish_change(entry, **changes):
    for name, value in changes.items():
        setattr(entry, name, value)
    entry.save_revision().publish()


# --- Page types --------------------------------------------------------------------------------


def test_page_type_rules():
    assert HomePage.allowed_parent_page_models() == [Page]
    assert HomePage.allowed_subpage_models() == [PartnersIndexPage, CooperationRecordPage]
    assert CooperationRecordPage.allowed_parent_page_models() == [HomePage]
    assert CooperationRecordPage.allowed_subpage_models() == []
    assert PartnersIndexPage.allowed_parent_page_models() == [HomePage]
    assert PartnersIndexPage.allowed_subpage_models() == [PartnerPage]
    assert PartnerPage.allowed_parent_page_models() == [PartnersIndexPage]
    assert PartnerPage.allowed_subpage_models() == []


def test_only_one_home_and_one_partners_index(loaded):
    home = HomePage.objects.get()
    assert not HomePage.can_create_at(Page.get_first_root_node())
    assert not PartnersIndexPage.can_create_at(home)
    assert PartnerPage.can_create_at(PartnersIndexPage.objects.get())


def test_two_pages_about_one_partner_in_one_language_are_refused(loaded):
    index = PartnersIndexPage.objects.get()
    twin = PartnerPage(title="Japan again", slug="japan-again", partner=Partner.objects.get(slug="japan"), lead="x")
    with pytest.raises(Exception) as error:
        index.add_child(instance=twin)
    assert "already about this partner" in str(error.value)


# --- Creating pages in the admin, with real block data ------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("editor-in-chief", "", "a-long-password-1"))
    return client


def test_each_page_type_can_be_created_in_the_admin_with_its_blocks(admin_client, db):
    run_load_fixtures(
        "fixtures/organisation.yaml", "fixtures/reference.yaml", "fixtures/japan.yaml"
    )  # records, no pages
    root = Page.get_first_root_node()
    Page.objects.filter(depth=2).delete()  # an empty tree, as on a new site

    response = admin_client.post(
        f"/admin/pages/add/cms/homepage/{root.pk}/",
        nested_form_data(
            {
                "title": "Partnerships",
                "slug": "home",
                "intro": rich_text("<p>Welcome.</p>"),
                "action-publish": "publish",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    home = HomePage.objects.get()
    assert home.live and "Welcome.</p>" in home.intro
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)  # Settings › Sites

    response = admin_client.post(
        f"/admin/pages/add/cms/partnersindexpage/{home.pk}/",
        nested_form_data(
            {"title": "Partners", "slug": "partners", "intro": rich_text(""), "action-publish": "publish"}
        ),
    )
    assert response.status_code == 302
    index = PartnersIndexPage.objects.get()

    area = Area.objects.get(slug="maritime-security")
    data = {
        "title": "Relations with Japan",
        "slug": "japan",
        "partner": Partner.objects.get(slug="japan").pk,
        "lead": "NATO and Japan are strengthening relations.",
        "image": "",
        "image_caption": "",
        "highlights": streamfield([("highlight", rich_text("<p>Since 2014, an IPCP.</p>"))]),
        "body": streamfield(
            [
                ("heading", {"text": "Key areas of cooperation", "level": "h2", "anchor": ""}),
                ("paragraph", rich_text("<p>Japan’s cooperation with NATO is <b>mutually beneficial</b>.</p>")),
                ("bullet_list", {"items": streamfield([("item", rich_text("<p>First point.</p>"))])}),
                ("quote", {"quote": "Cooperation is mutually beneficial.", "attribution": "NATO"}),
                (
                    "key_facts",
                    {
                        "title": "Key facts",
                        "facts": streamfield([("item", {"label": "Since", "value": "the early 1990s"})]),
                    },
                ),
                ("entries", {"area": area.pk, "kind": "", "programme": "", "style": "list"}),
                ("timeline", {"title": "Milestones", "kind": "milestone"}),
            ]
        ),
        "action-publish": "publish",
    }
    response = admin_client.post(f"/admin/pages/add/cms/partnerpage/{index.pk}/", nested_form_data(data))
    assert response.status_code == 302, response.content.decode()[:3000]
    page = PartnerPage.objects.get()
    assert [block.block_type for block in page.body] == [
        "heading",
        "paragraph",
        "bullet_list",
        "quote",
        "key_facts",
        "entries",
        "timeline",
    ]
    assert page.body[0].value["text"] == "Key areas of cooperation"
    assert "<b>mutually beneficial</b>" in page.body[1].value.source
    assert "First point.</p>" in page.body[2].value["items"][0].source
    assert page.body[4].value["facts"][0]["value"] == "the early 1990s"
    assert page.body[5].value["area"] == area
    assert [h.block_type for h in page.highlights] == ["highlight"]
    assert "Since 2014, an IPCP.</p>" in page.highlights[0].value.source

    html = admin_client.get("/partners/japan/").content.decode()
    assert "Liaison officer to NATO’s Maritime Command" in html  # the entries block, live
    assert "Joint political declaration signed" in html  # the timeline block, live
    assert "First point." in html and "Cooperation is mutually beneficial." in html


PREVIEW_TEXT = {
    "heading": "Key areas of cooperation",
    "paragraph": "mutually beneficial",
    "bullet_list": "Second point.",
    "quote": "Cooperation is mutually beneficial.",
    "key_facts": "Partner since",
    "entries": "Joint political declaration signed",
    "timeline": "Initial contacts between NATO and Japan",
    "image": "",
}


@pytest.mark.parametrize("name", PREVIEW_TEXT)
def test_every_block_has_a_template_a_description_and_an_admin_preview(admin_client, loaded, name):
    block = PartnerPage._meta.get_field("body").stream_block.child_blocks[name]
    assert block.meta.template == f"cms/blocks/{block.meta.template.split('/')[-1]}"
    assert block.meta.description
    response = admin_client.get("/admin/block-preview/", {"id": block.definition_prefix})
    assert response.status_code == 200
    assert PREVIEW_TEXT[name] in response.content.decode()
    assert "css/site.css" in response.content.decode()


# --- The fixture page tree -----------------------------------------------------------------------


def test_the_welcome_page_and_localhost_site_are_replaced(loaded):
    home = HomePage.objects.get()
    site = Site.objects.get()
    assert site.root_page.specific == home and site.is_default_site
    assert list(Page.objects.filter(depth=2)) == [home.page_ptr]
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()


def test_pages_are_published_revisions_and_tied_to_their_partner(loaded):
    for page in Page.objects.filter(depth__gte=2).specific():
        assert page.live and not page.has_unpublished_changes
        assert page.revisions.count() == 1
        assert page.live_revision_id == page.latest_revision_id
    japan = PartnerPage.objects.get()
    assert japan.url_path.endswith("/partners/japan/")
    assert japan.partner.slug == "japan"


def test_a_second_load_leaves_pages_alone(loaded):
    before = database_snapshot()
    assert "pages: 4 unchanged" in run_load_fixtures()
    assert database_snapshot() == before


def test_an_editors_draft_of_a_page_is_kept_then_reset(loaded):
    page = PartnerPage.objects.get()
    page.title = "Relations with Japan (draft)"
    page.save_revision()
    output = run_load_fixtures()
    assert "kept page “japan”" in output
    assert PartnerPage.objects.get().get_latest_revision_as_object().title == "Relations with Japan (draft)"
    assert "1 editor change(s) overwritten" in run_load_fixtures(reset=True)
    page = PartnerPage.objects.get()
    assert page.title == "Relations with Japan" and not page.has_unpublished_changes


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: p["body"].append({"type": "carousel", "value": {}}), ["unknown block type “carousel”"]),
        (lambda p: p["body"].append({"type": "entries", "value": {"area": "astrology"}}), ["unknown area “astrology”"]),
        (lambda p: p.update(partner="atlantis"), ["field “partner”", "unknown partner “atlantis”"]),
        (lambda p: p.update(parent="nowhere"), ["field “parent”", "unknown page “nowhere”"]),
        (lambda p: p.pop("lead"), ["field “lead”", "missing required field"]),
        (lambda p: p.update(type="blog"), ["“blog” is not a page type"]),
        (lambda p: p.update(colour="red"), ["field “colour”", "unknown field"]),
        (
            lambda p: p["body"].append({"type": "heading", "value": {"level": "h2"}}),
            ["field “body”", "invalid block content"],
        ),
        (lambda p: p.update(published="yesterday"), ["field “published”"]),
    ],
    ids=[
        "unknown block",
        "unknown area",
        "unknown partner",
        "unknown parent",
        "no lead",
        "bad type",
        "bad field",
        "empty heading",
        "bad date",
    ],
)
@pytest.mark.parametrize("start", ["empty", "loaded"])
def test_a_bad_page_fixture_changes_nothing(db, fixture_copy, start, change, words):
    if start == "loaded":
        run_load_fixtures()
    path = fixture_copy / "japan-page.yaml"
    data = yaml.safe_load(path.read_text())
    change(data["pages"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    before = database_snapshot()
    with pytest.raises(CommandError) as error:
        run_load_fixtures(fixture_copy)
    for word in words:
        assert word in str(error.value)
    assert "japan-page.yaml: pages[0] (slug “japan”)" in str(error.value)
    assert database_snapshot() == before


def test_the_placeholder_photo_is_labelled_and_captioned(loaded):
    page = PartnerPage.objects.get()
    image = page.image
    assert image.title.startswith("Placeholder photo")
    # The alt text says what the picture is, a placeholder, not what the caption describes; each does its job.
    assert page.image_caption == CAPTION
    assert page.image_alt == "Placeholder image: the photo of this press point has not been added yet."
    assert image.description == PLACEHOLDER_ALT
    assert "placeholder" in image.description.lower() and image.description != CAPTION
    assert get_image_model().objects.count() == 1
    assert (image.width, image.height) == (1600, 900)


# --- What readers see ----------------------------------------------------------------------------


def test_the_japan_page_holds_the_whole_document_in_order(client, loaded):
    response = client.get("/partners/japan/")
    assert response.status_code == 200
    text = visible_text(response)
    position = 0
    for sentence in document_sentences():
        found = text.find(sentence, position)
        assert found >= 0, f"missing or out of order: {sentence}"
        position = found + len(sentence)
    assert len(document_sentences()) == 29


def test_the_japan_page_structure(client, loaded):
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.h1.get_text() == "Relations with Japan"
    assert [h.get_text() for h in soup.select("main h2:not(.visually-hidden):not(.toc__title)")] == [
        "Key areas of cooperation",
        "Milestones",
    ]
    assert [h.get_text() for h in soup.select("main h3:not(.card__title)")] == [
        "Building capabilities and interoperability",
        "Support for NATO-led operations and missions",
        "Wider cooperation",
    ]
    assert soup.select_one("figure figcaption").get_text() == CAPTION
    alt = soup.select_one("figure img")["alt"]
    assert alt.startswith("Placeholder image") and alt != CAPTION
    assert [li.get_text(" ", strip=True) for li in soup.select(".timeline li")] == [
        "The early 1990s Initial contacts between NATO and Japan",
        "July 2012 Tokyo Conference to mobilise international support for Afghanistan",
        "April 2013 Joint political declaration signed",
    ]
    assert soup.select_one(".timeline time")["datetime"] == "1990"
    # The sections, and under the first its subsections.
    assert [a["href"] for a in soup.select(".toc > ol > li > a")] == ["#key-areas-of-cooperation", "#milestones"]
    assert [a["href"] for a in soup.select(".toc > ol > li > ol a")] == [
        "#building-capabilities-and-interoperability",
        "#support-for-nato-led-operations-and-missions",
        "#wider-cooperation",
    ]
    for link in soup.select(".toc a"):
        assert soup.select_one(link["href"]), link["href"]
    assert soup.select_one("a.skip-link")["href"] == "#main" and soup.select_one("main#main")
    assert [a.get_text() for a in soup.select(".breadcrumbs a")] == ["Home", "Partners", "Relations with Japan"]
    assert soup.select_one('meta[name="description"]')["content"].startswith("NATO and Japan are currently")
    assert soup.select_one('meta[property="og:title"]')["content"] == "Relations with Japan"
    assert soup.select_one('link[media="print"]')
    assert soup.select_one(".page-header__meta").get_text(" ", strip=True) == "Last updated: 12 September 2018"
    assert len(soup.select(".recorded__facts li")) == 21  # every entry of the three sections, each once
    # Each passage is a paragraph of prose with one marker, linking to its facts, which link back.
    for passage in soup.select("p.passage"):
        (marker,) = passage.select("a")
        facts = soup.select_one(marker["href"])
        assert facts.select_one(".recorded__back")["href"] == f"#{passage['id']}"
        assert len(facts.select(".recorded__facts li")) == int(marker.get_text().split()[0])
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))


def test_a_corrected_entry_is_corrected_on_the_page(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-liaison-officer-maritime-command")
    publish_change(entry, title="Liaison officer at MARCOM, Northwood")
    milestone = CooperationEntry.objects.get(slug="japan-joint-political-declaration")
    publish_change(milestone, start_date=datetime.date(2013, 5, 1))
    text = visible_text(client.get("/partners/japan/"))
    assert "Liaison officer at MARCOM, Northwood" in text
    assert "Liaison officer to NATO’s Maritime Command Personnel post" not in text
    assert "May 2013 Joint political declaration signed" in text


def test_unpublished_entries_leave_the_page(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-tokyo-conference-on-afghanistan")
    entry.unpublish()
    text = visible_text(client.get("/partners/japan/"))
    assert "Tokyo Conference to mobilise international support for Afghanistan" not in text
    # Its sentence still stands for the pledge recorded from it.
    assert "organising the Tokyo Conference in July 2012" in text


def test_drafts_of_entries_are_not_shown(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-tokyo-conference-on-afghanistan")
    entry.title = "A draft title nobody approved"
    entry.save_revision()
    assert "A draft title nobody approved" not in visible_text(client.get("/partners/japan/"))


def test_last_updated_moves_when_an_entry_is_published(client, loaded):
    entry = CooperationEntry.objects.get(slug="japan-liaison-officer-maritime-command")
    publish_change(entry, description="Updated.")
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    today = timezone.now().date()
    assert soup.select_one(".page-header__meta time")["datetime"].startswith(today.isoformat())


def test_last_updated_moves_when_the_page_is_published(client, loaded):
    page = PartnerPage.objects.get()
    page.lead = page.lead + " More to come."
    page.save_revision().publish()
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    assert soup.select_one(".page-header__meta time")["datetime"].startswith(timezone.now().date().isoformat())


def test_home_page_lists_partners_and_latest_entries(client, loaded):
    soup = BeautifulSoup(client.get("/").content, "html.parser")
    assert soup.h1.get_text() == "Partnerships"
    assert soup.select_one(".card__title a")["href"] == "/partners/japan/"
    latest = [li.get_text(" ", strip=True) for li in soup.select(".entry-list li")]
    assert len(latest) == 6
    # The title first, then its partner, then its kind and period as plain text.
    assert latest[0] == "Participation in the Interoperability Platform (Japan) Programme participation , since 2014"
    assert latest[-1].endswith("(Japan) the early 1990s") or "1990s" in latest[-1]


def test_partners_index_groups_partners_by_framework(client, loaded):
    soup = BeautifulSoup(client.get("/partners/").content, "html.parser")
    assert soup.select_one("main h2").get_text() == "Partners across the globe"
    card = soup.select_one(".framework .card")
    assert card.select_one("a")["href"] == "/partners/japan/"
    assert (
        card.select_one("p").get_text()
        == "NATO and Japan are currently strengthening relations to address shared security challenges."
    )


def test_friendly_404(client, loaded):
    response = client.get("/partners/atlantis/")
    assert response.status_code == 404
    text = visible_text(response)
    assert "Page not found" in text and "Go to the home page" in text


def test_500_page_needs_nothing_from_the_database():
    html = render_to_string("500.html")
    assert "Something went wrong" in html and '<html lang="en">' in html


def test_print_stylesheet_hides_navigation_and_keeps_content():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/print.css")).read_text()
    assert ".site-header" in css and "display: none" in css
    assert 'content: " (" attr(href) ")"' in css


# --- Speed: a constant number of queries ---------------------------------------------------------


def add_entries(count, offset=0):
    partner = Partner.objects.get(slug="japan")
    area = Area.objects.get(slug="wider-cooperation")
    source = CooperationEntry.objects.first().source
    entries = CooperationEntry.objects.bulk_create(
        CooperationEntry(
            partner=partner,
            locale=partner.locale,
            kind="milestone" if n % 10 == 0 else "contribution",
            title=f"Generated entry {n}",
            slug=f"generated-{n}",
            description="A generated entry to measure speed.",
            start_date=datetime.date(2000 + n % 20, 1, 1),
            start_precision="year",
            source=source,
            source_section="Wider cooperation",
            source_quote="Japan has designated a liaison officer to NATO’s Maritime Command.",
            source_order=100 + n,
            live=True,
        )
        for n in range(offset, offset + count)
    )
    through = CooperationEntry.areas.through
    through.objects.bulk_create(through(cooperationentry_id=e.pk, area_id=area.pk) for e in entries)
    record_changed()  # bulk inserts send no signal: say so, as the demo data generator does


@pytest.mark.parametrize("url", ["/", "/partners/", "/partners/japan/"])
def test_query_counts_do_not_grow_with_entries(client, loaded, django_assert_num_queries, url):
    client.get(url)  # warm Wagtail's site cache, as any running server has
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_entries(1000)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    if url == "/partners/japan/":
        assert "Generated entry 999" in response.content.decode()


def test_headings_with_the_same_text_get_distinct_anchors(client, loaded):
    page = PartnerPage.objects.get()
    page.body = [
        ("heading", {"text": "Overview", "level": "h2", "anchor": ""}),
        ("heading", {"text": "Overview", "level": "h2", "anchor": ""}),
        ("heading", {"text": "Highlights", "level": "h3", "anchor": ""}),
    ]
    page.save_revision().publish()
    soup = BeautifulSoup(client.get("/partners/japan/").content, "html.parser")
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert [a["href"] for a in soup.select(".toc a")] == ["#overview", "#overview-2", "#highlights-2"]
    assert [h["id"] for h in soup.select(".body h2, .body h3")] == ["overview", "overview-2", "highlights-2"]
