"""Importing a partner document in the admin (Partnerships › Document imports) and reviewing its proposals.

The standard test database holds Japan and the organisation's other partners (``loaded``); these
tests import the Australia evaluation document (tests/partnership/import_documents/), and a newer
version of Japan's own page for the re-import path.
"""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse
from wagtail.models import Locale, Page

from partnership.importer.documents import MAX_DOCUMENT_BYTES
from partnership.models import CooperationEntry, DocumentImport, Partner, ProposedEntry, SourceDocument
from tests.conftest import SOURCE_TEXT

pytestmark = pytest.mark.django_db

DOCUMENTS = Path(__file__).resolve().parent / "import_documents"
AUSTRALIA = (DOCUMENTS / "relations-with-australia.txt").read_bytes()
IMPORT = "partnership_imports:add"
INDEX = "partnership_imports:index"


@pytest.fixture
def australia(loaded):
    """Australia, a partner of the organisation (fixtures/organisation.yaml) with no page or entries yet."""
    partner = Partner.objects.get(slug="australia", locale=Locale.get_default())
    assert not partner.entries.exists()
    return partner


@pytest.fixture
def users(loaded, django_user_model):
    """One user per role; the groups come from load_fixtures. ``nobody`` may reach the admin and no more."""
    from django.contrib.auth.models import Permission

    people = {}
    for role in ("editor", "moderator"):
        user = django_user_model.objects.create_user(role, password=f"{role}-password-1")
        user.groups.add(Group.objects.get(name=f"{role.title()}s"))
        people[role] = user
    people["superuser"] = django_user_model.objects.create_superuser("superuser", "", "superuser-password-1")
    nobody = django_user_model.objects.create_user("nobody", password="nobody-password-1")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    people["nobody"] = nobody
    return people


@pytest.fixture
def moderator(client, users):
    client.force_login(users["moderator"])
    return client


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def review_url(document_import):
    return reverse("partnership_imports:review", args=[document_import.pk])


def decision_url(name, proposal, document_import=None):
    document_import = document_import or proposal.document_import
    return reverse(f"partnership_imports:{name}", args=[document_import.pk, proposal.pk])


def import_australia(client):
    response = client.post(reverse(IMPORT), {"file": upload("relations-with-australia.txt", AUSTRALIA)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return DocumentImport.objects.get(source__title="Relations with Australia"), response


def test_a_good_document_is_imported_as_drafts(moderator, australia):
    document_import, response = import_australia(moderator)
    assert response["Location"] == review_url(document_import)
    proposals = list(document_import.proposals.all())
    assert len(proposals) > 5
    entries = CooperationEntry.objects.filter(proposal__document_import=document_import)
    assert entries.count() == len(proposals)
    assert not entries.filter(live=True).exists()
    assert document_import.page is not None and not document_import.page.live
    assert not Page.objects.get(pk=document_import.page.pk).live
    assert document_import.imported_by.username == "moderator"
    assert document_import.filename == "relations-with-australia.txt"
    review = moderator.get(response["Location"])
    assert review.status_code == 200
    assert f"{len(proposals)} entries proposed as drafts" in text(review)


def test_pasted_text_is_imported_as_drafts(moderator, australia):
    response = moderator.post(reverse(IMPORT), {"text": AUSTRALIA.decode()})
    assert response.status_code == 302
    document_import = DocumentImport.objects.get(source__title="Relations with Australia")
    assert response["Location"] == review_url(document_import)
    assert document_import.filename == ""
    assert document_import.proposals.count() > 5


def test_a_newer_version_proposes_what_changed(moderator):
    """Japan's page is loaded; a later “Last updated” with one sentence added is a newer version."""
    added = "In 2019, Japan opened a new mission to NATO in Brussels."
    newer = SOURCE_TEXT.replace("12 Sep. 2018 12:49", "3 Mar. 2020 10:00").replace(
        "with which NATO is developing relations.", f"with which NATO is developing relations. {added}"
    )
    assert newer.count(added) == 1
    response = moderator.post(reverse(IMPORT), {"file": upload("relations-with-japan.txt", newer.encode())})
    assert response.status_code == 302, text(response)[:2000]
    document_import = DocumentImport.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    assert document_import.changes == [{"status": "added", "old": "", "new": added}]
    assert [proposal.quote for proposal in document_import.proposals.all()] == [added]
    review = moderator.get(response["Location"])
    assert "What changed since the version of 12 September 2018 Added: " + added in text(review)
    document = BeautifulSoup(review.content, "html.parser").select_one(".import-review__document article")
    sentence = document.find(string=re.compile("Japan opened a new mission")).find_parent(class_="import-sentence")
    assert sentence.select_one("a.import-marker").get_text(" ", strip=True) == "Proposal 1"
    unchanged = document.find(string=re.compile("signalled their commitment")).find_parent(class_="import-sentence")
    assert unchanged.select_one(".import-none").get_text() == "Unchanged"


# --- Refusals: the form again, HTTP 400, nothing created ----------------------------------------------


def database_counts():
    """How many rows every partnership model, the pages, revisions and workflow states have."""
    from wagtail.models import Revision, WorkflowState

    counts = {model.__name__: model._base_manager.count() for model in apps.get_app_config("partnership").get_models()}
    counts.update(page=Page.objects.count(), revision=Revision.objects.count(), workflow=WorkflowState.objects.count())
    return counts


BAD = DOCUMENTS / "bad"
BAD_INPUTS = {
    "an empty file": ({"file": ("empty.txt", b"")}, "“empty.txt” is empty"),
    "a binary file": ({"file": ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)}, "is a binary file"),
    "a non-UTF-8 file": ({"file": ("latin1.txt", (BAD / "latin1.txt").read_bytes())}, "is not UTF-8 text"),
    "a PDF": ({"file": ("relations-with-australia.pdf", AUSTRALIA)}, "expected a .txt, .html or .docx file"),
    "an essay": (
        {"file": ("not-the-family.txt", (BAD / "not-the-family.txt").read_bytes())},
        "does not start with a title “Relations with <partner>”",
    ),
    "an unknown partner": (
        {"file": ("unknown-partner.txt", (BAD / "unknown-partner.txt").read_bytes())},
        "“Relations with Atlantis” names no partner of the organisation",
    ),
    "pasted text without the family's title": (
        {"text": (BAD / "not-the-family.txt").read_text(encoding="utf-8")},
        "“the pasted text” does not start with a title",
    ),
    "a version not newer than the one here": (
        {"file": ("relations-with-japan.txt", SOURCE_TEXT.encode())},
        "is not newer than the version already here",
    ),
    "both a file and text": (
        {"file": ("relations-with-australia.txt", AUSTRALIA), "text": AUSTRALIA.decode()},
        "Give either a file or the pasted text, not both.",
    ),
    "neither": ({"text": "   \n "}, "Choose a file or paste the document's text"),
    "an oversized file": (
        {"file": ("huge.txt", b"a" * (MAX_DOCUMENT_BYTES + 1))},
        "“huge.txt” is 5.0 MB; a partner document is at most 5 MB",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_inputs_are_refused_and_create_nothing(moderator, australia, case):
    fields, message = BAD_INPUTS[case]
    data = {name: upload(*value) if name == "file" else value for name, value in fields.items()}
    before = database_counts()
    response = moderator.post(reverse(IMPORT), data)
    assert response.status_code == 400
    assert message in text(response)
    assert response.context["form"].errors
    assert database_counts() == before


def test_an_oversized_file_is_refused_before_it_is_read(moderator, monkeypatch):
    def read_document(*args):
        raise AssertionError("the oversized file was read")

    monkeypatch.setattr("partnership.import_views.read_document", read_document)
    monkeypatch.setattr(TemporaryUploadedFile, "read", read_document, raising=False)
    big = upload("huge.txt", b"a" * (MAX_DOCUMENT_BYTES + 1024))
    response = moderator.post(reverse(IMPORT), {"file": big})
    assert response.status_code == 400
    assert "a partner document is at most 5 MB" in text(response)


# --- The review screen --------------------------------------------------------------------------------


def test_the_review_screen_marks_each_sentence(moderator, australia):
    document_import, _ = import_australia(moderator)
    soup = BeautifulSoup(moderator.get(review_url(document_import)).content, "html.parser")
    document = soup.select_one(".import-review__document article")
    proposals = list(document_import.proposals.all())
    markers = document.select("a.import-marker")
    # Every proposal is marked on each sentence it quotes, linking to its card on the right.
    assert len(markers) == sum(len(proposal.sentences) for proposal in proposals)
    for proposal in proposals:
        assert document.select(f'a.import-marker[href="#proposal-{proposal.pk}"]')
        assert soup.select_one(f"#proposal-{proposal.pk}")
    assert markers[0].get_text(" ", strip=True) == "Proposal 1"
    no_fact = document.find(string=re.compile("Australia is one of NATO’s “partners across the globe”"))
    assert no_fact.find_parent(class_="import-sentence").select_one(".import-none").get_text() == "No fact proposed"
    first = soup.select_one(f"#proposal-{proposals[0].pk}")
    assert "Accept" in first.get_text() and "Reject" in first.get_text()
    entry = proposals[0].entry
    assert first.select_one(
        f'a[href="{reverse("wagtailsnippets_partnership_cooperationentry:edit", args=[entry.pk])}"]'
    )
    assert entry.period_display in first.get_text()
    # The reject button is behind a <details>: a confirmation that needs no script.
    assert first.select_one("details form button").get_text(" ", strip=True).startswith("Yes, reject")
    for form in soup.select("main form[method=post]"):
        assert form.select_one("input[name=csrfmiddlewaretoken]")
    amount = CooperationEntry.objects.get(proposal__document_import=document_import, amount__isnull=False)
    assert amount.amount_display in text(moderator.get(review_url(document_import)))


def test_accept_submits_the_entry_for_moderation(moderator, australia, users):
    document_import, _ = import_australia(moderator)
    proposal = document_import.proposals.first()
    response = moderator.post(decision_url("accept", proposal))
    assert response.status_code == 302
    assert response["Location"] == f"{review_url(document_import)}#proposal-{proposal.pk}"
    proposal.refresh_from_db()
    assert proposal.status == ProposedEntry.Status.ACCEPTED and proposal.decided_by == users["moderator"]
    assert proposal.entry.workflow_in_progress and not proposal.entry.live
    page = text(moderator.get(response["Location"]))
    assert f"Submitted “{proposal.entry.title}” for moderation" in page
    assert "Accepted: in moderation by moderator on" in page
    # A second accept is refused with a message, not a server error.
    again = moderator.post(decision_url("accept", proposal), follow=True)
    assert again.status_code == 200
    assert f"“{proposal.title}” was already accepted: in moderation." in text(again)


def test_reject_deletes_the_draft_and_keeps_the_proposal(moderator, australia):
    document_import, _ = import_australia(moderator)
    proposal = document_import.proposals.first()
    entry_pk = proposal.entry.pk
    response = moderator.post(decision_url("reject", proposal), follow=True)
    assert response.status_code == 200
    assert f"Rejected “{proposal.title}”" in text(response)
    proposal.refresh_from_db()
    assert proposal.status == ProposedEntry.Status.REJECTED and proposal.entry is None
    assert not CooperationEntry.objects.filter(pk=entry_pk).exists()
    again = moderator.post(decision_url("reject", proposal), follow=True)
    assert "was already rejected" in text(again)


def test_accept_all_remaining(moderator, australia):
    document_import, _ = import_australia(moderator)
    rejected = document_import.proposals.first()
    moderator.post(decision_url("reject", rejected))
    response = moderator.post(reverse("partnership_imports:accept_all", args=[document_import.pk]), follow=True)
    remaining = document_import.proposals.count() - 1
    assert f"Submitted {remaining} entries for moderation." in text(response)
    statuses = set(document_import.proposals.exclude(pk=rejected.pk).values_list("status", flat=True))
    assert statuses == {ProposedEntry.Status.ACCEPTED}
    assert "Accept all remaining" not in text(response)


def test_without_a_moderation_workflow_accepting_says_so(moderator, australia):
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import WorkflowContentType

    document_import, _ = import_australia(moderator)
    WorkflowContentType.objects.filter(content_type=ContentType.objects.get_for_model(CooperationEntry)).delete()
    proposal = document_import.proposals.first()
    message = "No moderation workflow is set for cooperation entries"
    response = moderator.post(decision_url("accept", proposal), follow=True)
    assert response.status_code == 200 and message in text(response)
    response = moderator.post(reverse("partnership_imports:accept_all", args=[document_import.pk]), follow=True)
    assert response.status_code == 200 and text(response).count(message) == 1
    assert "Submitted" not in text(response)
    assert set(document_import.proposals.values_list("status", flat=True)) == {ProposedEntry.Status.PROPOSED}


def test_decisions_are_posts_on_this_imports_proposals(moderator, australia):
    document_import, _ = import_australia(moderator)
    proposal = document_import.proposals.first()
    for name in ("accept", "reject"):
        assert moderator.get(decision_url(name, proposal)).status_code == 405
    assert moderator.get(reverse("partnership_imports:accept_all", args=[document_import.pk])).status_code == 405
    other = DocumentImport.objects.create(
        source=SourceDocument.objects.get(title="Relations with Japan"), partner=Partner.objects.get(slug="japan")
    )
    for name in ("accept", "reject"):
        assert moderator.post(decision_url(name, proposal, other)).status_code == 404
    assert moderator.get(reverse("partnership_imports:review", args=[other.pk + 1000])).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == ProposedEntry.Status.PROPOSED and proposal.entry is not None


# --- Who may do what --------------------------------------------------------------------------------


def test_editors_import_and_accept_but_only_moderators_reject(client, users, australia):
    client.force_login(users["editor"])
    document_import, _ = import_australia(client)
    first, second = document_import.proposals.all()[:2]
    assert client.post(decision_url("accept", first)).status_code == 302
    assert denied(client.post(decision_url("reject", second)))
    second.refresh_from_db()
    assert second.status == ProposedEntry.Status.PROPOSED and second.entry is not None
    review = BeautifulSoup(client.get(review_url(document_import)).content, "html.parser")
    assert not review.select("details.import-card__reject")  # no button that would only be refused


def test_others_are_refused(client, users, australia):
    client.force_login(users["moderator"])
    document_import, _ = import_australia(client)
    proposal = document_import.proposals.first()
    client.force_login(users["nobody"])
    before = database_counts()
    assert denied(client.get(reverse(INDEX)))
    assert denied(client.get(reverse(IMPORT)))
    assert denied(client.post(reverse(IMPORT), {"text": AUSTRALIA.decode()}))
    assert denied(client.get(review_url(document_import)))
    for name in ("accept", "reject"):
        assert denied(client.post(decision_url(name, proposal)))
    assert database_counts() == before
    assert reverse(INDEX) not in client.get(reverse("wagtailadmin_home")).content.decode()
    client.logout()
    response = client.get(reverse(IMPORT))
    assert response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))


def test_the_listing_shows_past_imports_in_the_partnerships_menu(moderator, australia):
    document_import, _ = import_australia(moderator)
    moderator.post(decision_url("accept", document_import.proposals.first()))
    assert reverse(INDEX) in moderator.get(reverse("wagtailadmin_home")).content.decode()
    soup = BeautifulSoup(moderator.get(reverse(INDEX)).content, "html.parser")
    row = soup.select_one("main table tbody tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
    assert "Relations with Australia" in cells[0] or "Relations with Australia" in " ".join(cells)
    assert row.select_one(f'a[href="{review_url(document_import)}"]')
    total = document_import.proposals.count()
    assert [str(total - 1), "1", "0"] == cells[-3:] or [str(total - 1), "1", "0"] == cells[-4:-1]
    assert soup.select_one(f'a[href="{reverse(IMPORT)}"]')


def text(response):
    """The response's text (no markup), runs of white space made one space."""
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def denied(response):
    """Refused: a 403, or Wagtail's redirect to the dashboard (with its “no permission” message)."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def test_an_edited_draft_offers_no_reject_and_a_superseded_one_no_accept(moderator, australia, django_user_model):
    document_import, _ = import_australia(moderator)
    fund = document_import.proposals.get(quote__contains="AUD 10 million")
    edited = document_import.proposals.exclude(pk=fund.pk).first()
    edited.entry.description = "An editor's careful rewording."
    edited.entry.save_revision(user=django_user_model.objects.get(username="moderator"))
    newer = AUSTRALIA.replace(b"14 Jun. 2021 09:30", b"2 Feb. 2023 10:00").replace(b"AUD 10 million", b"AUD 12 million")
    assert (
        moderator.post(reverse(IMPORT), {"file": upload("relations-with-australia-2023.txt", newer)}).status_code == 302
    )

    page = BeautifulSoup(moderator.get(review_url(document_import)).content, "html.parser")
    assert "A newer version of this document, last updated 2 February 2023" in text_of(page)
    fund_card = page.find(id=f"proposal-{fund.pk}")
    assert "Its sentence changed" in text_of(fund_card)
    assert not fund_card.find("button", string=re.compile("^Accept"))
    edited_card = page.find(id=f"proposal-{edited.pk}")
    assert "Edited since the import." in text_of(edited_card)
    assert not edited_card.find("summary", string=re.compile("Reject"))
    # Forged, the decisions are refused with a message, and nothing changes.
    moderator.post(decision_url("accept", fund))
    moderator.post(decision_url("reject", edited))
    fund.refresh_from_db()
    edited.refresh_from_db()
    assert (fund.status, edited.status) == ("proposed", "proposed") and edited.entry is not None


def text_of(element):
    return " ".join(element.get_text(" ").split())


def test_a_proposed_entry_s_edit_form_points_back_to_its_review(moderator, australia):
    document_import, _ = import_australia(moderator)
    proposal = document_import.proposals.first()
    edit = reverse(CooperationEntry.snippet_viewset.get_url_name("edit"), args=[proposal.entry.pk])
    page = BeautifulSoup(moderator.get(edit).content, "html.parser")
    link = page.find("a", string="back to its review")
    assert link["href"] == f"{review_url(document_import)}#proposal-{proposal.pk}"
    moderator.post(decision_url("accept", proposal))
    assert "back to its review" not in moderator.get(edit).content.decode()  # decided: an entry like any other
