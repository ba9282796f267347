"""What the site does when an editor decides on an imported proposal (partnership.importer)."""

from wagtail.models import Page

from partnership.importer import parse_document
from partnership.importer.proposal import sections_of, text_blocks
from partnership.models import ProposedEntry


def keep_rejected_sentences_on_the_page(proposal):
    """A rejected fact leaves the record, not the document: where the import's draft page shows the
    fact's section from its entries, the section's text is put back as the document writes it.

    Registered with the Wagtail hook ``partnership_proposal_rejected``. Only a page still as the import
    made it (a draft whose latest revision is the import's, by no one) is changed, with a new revision;
    a page someone has edited or published is theirs, and the reject confirmation tells them what to do.
    """
    document_import = proposal.document_import
    if document_import.page_id is None:
        return
    # Read afresh: the import's own page object (cached on it) knows nothing of later revisions.
    page = Page.objects.get(pk=document_import.page_id).specific
    latest = page.latest_revision
    if page.live or latest is None or latest.user_id is not None:
        return
    document = parse_document(document_import.source.text)
    kept = {
        position
        for sentences in document_import.proposals.exclude(status=ProposedEntry.Status.REJECTED).values_list(
            "sentences", flat=True
        )
        for position in sentences
    }
    sections = {heading.text: (content, sentences) for heading, content, sentences in sections_of(document)}
    draft = page.get_latest_revision_as_object()
    body, heading, changed = [], None, False
    for block in draft.body.raw_data:
        if block["type"] == "heading":
            heading = block["value"]["text"]
        elif block["type"] == "entries" and heading in sections:
            content, sentences = sections[heading]
            if not all(position in kept for position in sentences):
                body.extend(text_blocks(content))
                changed = True
                continue
        body.append(block)
    if changed:
        draft.body = body
        draft.save_revision()
