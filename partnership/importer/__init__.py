"""Import a partner's "Relations with …" document as a draft page and draft entries for review.

    document = read_document(data, "relations-with-australia.txt")   # DocumentError if it is not one
    proposal = propose(document)                                       # what it would create
    document_import = save_proposal(proposal, user=request.user)       # drafts, all or nothing

Nothing is published: each proposed entry is a draft to accept (which submits it to the moderation
workflow), edit or reject on the import's review screen; the page is a draft to publish as any
other. ``proposal.fixture`` is the same proposal in the project's fixture format
(``import_document --fixture``). The page is made by the site's page loader, found through the
Wagtail hook ``partnership_page_loader`` (``cms`` registers ``cms.page_fixtures.PageFixtures``).
"""

import yaml
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from wagtail import hooks

from ..loader import FixtureError, FixtureLoader
from ..models import CooperationEntry, DocumentImport, Partner, ProposedEntry, SourceDocument
from ..text import FORBIDDEN
from .documents import DocumentError, PartnerDocument, parse_document, read_document
from .proposal import Proposal, propose

__all__ = [
    "DocumentError",
    "PartnerDocument",
    "Proposal",
    "fixture_yaml",
    "parse_document",
    "propose",
    "read_document",
    "save_proposal",
]


def page_loader():
    """The site's page loader (see ``FixtureLoader``), or None when no app registers one."""
    loaders = hooks.get_hooks("partnership_page_loader")
    return loaders[-1]() if loaders else None


def save_proposal(proposal, user=None, filename=""):
    """Create the proposal's drafts and its ``DocumentImport``; all or nothing.

    Raises ``FixtureError`` (listing every problem) when a proposed record would not be valid; the
    database is then as it was.
    """
    try:
        return _save(proposal, user, filename)
    except IntegrityError:
        # Someone imported the same version a moment before (their import holds it): nothing of this one was kept.
        raise DocumentError(
            gettext(
                "“%(title)s” (last updated %(updated)s) was imported by someone else at the same moment: "
                "open Partnerships › Document imports to review it."
            )
            % {"title": proposal.document.title, "updated": f"{proposal.document.last_updated:%d %b %Y %H:%M}"}
        ) from None


def _save(proposal, user, filename):
    loader = FixtureLoader(draft=True, page_loader=page_loader())
    with transaction.atomic():
        loader.load_data(proposal.fixture, filename or proposal.source_slug)
        source = SourceDocument.objects.get(slug=proposal.source_slug)
        page = loader.pages.pages.get(proposal.page_slug) if loader.pages is not None else None
        if page is None and proposal.previous is not None:
            page = proposal.previous.page
        document_import = DocumentImport.objects.create(
            source=source,
            partner_id=_partner_id(proposal),
            previous=proposal.previous,
            page=page,
            filename=FORBIDDEN.sub("", filename)[:255],  # a file's name is the uploader's to choose
            imported_by=user if user is not None and user.is_authenticated else None,
            changes=proposal.changes,
        )
        entries = {
            entry.slug: entry
            for entry in CooperationEntry.objects.filter(slug__in=[fact.slug for fact in proposal.facts])
        }
        ProposedEntry.objects.bulk_create(
            ProposedEntry(
                document_import=document_import,
                entry=entries.get(fact.slug),
                position=position,
                kind=fact.kind,
                title=fact.title,
                quote="\n".join(fact.quote),
                sentences=fact.sentences,
            )
            for position, fact in enumerate(proposal.facts)
        )
    return document_import


def _partner_id(proposal):
    return Partner.objects.filter(slug=proposal.partner["slug"]).values_list("pk", flat=True).first()


def fixture_yaml(proposal):
    """The proposal as a fixture file's text (YAML), with a header saying where it came from."""
    header = (
        f"# Proposed by import_document from “{proposal.document.title}” "
        f"(last updated {proposal.document.last_updated:%d %b %Y %H:%M}): "
        f"{len(proposal.facts)} entries, as drafts to review.\n"
    )
    return header + yaml.dump(proposal.fixture, Dumper=_FixtureDumper, allow_unicode=True, sort_keys=False, width=110)


class _FixtureDumper(yaml.SafeDumper):
    """YAML as the project's fixtures are written: a document's text as a block, line for line."""


def _text(dumper, value):
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FixtureDumper.add_representer(str, _text)


__all__ += ["FixtureError"]
