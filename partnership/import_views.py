"""Importing a partner document in the admin, and reviewing what it proposed (Partnerships › Document imports).

The views are thin: reading, proposing and saving are ``partnership.importer``'s, accepting and
rejecting ``ProposedEntry.accept``/``reject``'s. Who may do what follows the cooperation entries'
own permissions (``partnership.roles``): whoever may add entries imports and reviews, whoever may
change them accepts (submits to moderation), whoever may delete them rejects (deletes the draft).
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView, View
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.menus import MenuItem as ListMenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .importer import DocumentError, FixtureError, parse_document, propose, read_document, save_proposal
from .importer.documents import EXPECTED, FORMATS, MAX_DOCUMENT_BYTES
from .loader import LoadFailed
from .models import CooperationEntry, DocumentImport, ProposedEntry, SourceDocument, normalise_quote

MAX_PASTED_CHARACTERS = 500_000  # a family's document is 3,000 to 10,000; any character is at most 4 bytes

PASTED = _("the pasted text")
ENTRY_PERMISSIONS = ModelPermissionPolicy(CooperationEntry)


class ImportForm(forms.Form):
    """A partner document: a file (.txt, .html or .docx) or its text pasted, exactly one of the two."""

    file = forms.FileField(
        required=False,
        allow_empty_file=True,  # the importer says what an empty file should have held
        label=_("Document file"),
        help_text=format_lazy(
            _(
                "A .txt, .html or .docx file of at most {megabytes} MB, "
                "such as the “Relations with …” page saved from the organisation's website."
            ),
            megabytes=MAX_DOCUMENT_BYTES // 1024 // 1024,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(FORMATS)}),
    )
    text = forms.CharField(
        required=False,
        strip=False,
        # Below what one request's form fields may hold (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB, in UTF-8
        # bytes): a longer paste would be refused before this form could say why. Larger: upload a file.
        max_length=MAX_PASTED_CHARACTERS,
        label=_("Or paste the document's text"),
        help_text=format_lazy(
            _(
                "At most {characters} characters (upload a file for more). "
                "The whole page as plain text: the title “Relations with <partner>” on the first line, then "
                "“Last updated: 12 Sep. 2018 12:49”, the lead paragraph, the photo's caption, the highlights "
                "as bullets and the sections with their headings."
            ),
            characters=f"{MAX_PASTED_CHARACTERS:,}",
        ),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        # Refused by its size, before a byte of it is read (a large upload waits in a temporary file).
        if upload and upload.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                gettext(
                    "“%(name)s” is %(size)s MB; a partner document is at most "
                    "%(limit)s MB (the family's documents are a few kB of text)."
                )
                % {
                    "name": upload.name,
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": MAX_DOCUMENT_BYTES // 1024 // 1024,
                }
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("file")) or "file" in self.errors
        has_text = bool(cleaned.get("text", "").strip()) or "text" in self.errors
        if has_file and has_text:
            raise ValidationError(gettext("Give either a file or the pasted text, not both."))
        if not has_file and not has_text:
            raise ValidationError(
                gettext("Choose a file or paste the document's text: expected %(expected)s.") % {"expected": EXPECTED}
            )
        return cleaned

    def read(self):
        """The ``PartnerDocument`` and its file name ('' when pasted); raises ``DocumentError``."""
        upload = self.cleaned_data.get("file")
        if upload:
            return read_document(upload.read(), upload.name), upload.name
        return parse_document(self.cleaned_data["text"], PASTED), ""


class ImportPermissionMixin(PermissionCheckedMixin):
    permission_policy = ENTRY_PERMISSIONS
    permission_required = "add"


class ImportView(ImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    """GET: the form. POST: read, propose and save as drafts, then the review screen; a refusal is HTTP 400."""

    form_class = ImportForm
    template_name = "partnership/imports/import.html"
    page_title = _("Import a partner document")
    header_icon = "upload"
    index_url_name = None
    review_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": "Document imports"},
            {"url": "", "label": self.page_title},
        ]

    def form_valid(self, form):
        try:
            document, filename = form.read()
            proposal = propose(document, filename=filename)
            document_import = save_proposal(proposal, user=self.request.user, filename=filename)
        except (DocumentError, FixtureError, LoadFailed) as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, success_message(document, proposal))
        return redirect(self.review_url_name, quote(document_import.pk))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def success_message(document, proposal):
    """“Relations with Australia” (last updated 14 Jun 2021): 24 entries proposed as drafts …"""
    count = len(proposal.facts)
    message = ngettext(
        "“%(title)s” (last updated %(updated)s): %(count)d entry proposed as a draft",
        "“%(title)s” (last updated %(updated)s): %(count)d entries proposed as drafts",
        count,
    ) % {"title": document.title, "updated": f"{document.last_updated:%d %b %Y}", "count": count}
    if proposal.changes:
        message += ngettext(
            " from %(count)d changed sentence since the earlier version;",
            " from %(count)d changed sentences since the earlier version;",
            len(proposal.changes),
        ) % {"count": len(proposal.changes)}
        message += ngettext(
            " %(count)d fact already here was not proposed again",
            " %(count)d facts already here were not proposed again",
            proposal.unchanged,
        ) % {"count": proposal.unchanged}
    return message + gettext(". Nothing is published: accept, edit or reject each below.")


class DocumentImportIndexView(IndexView):
    """Past imports, newest first, with how many of their proposals are still to review."""

    model = DocumentImport
    permission_policy = ENTRY_PERMISSIONS
    any_permission_required = ["add"]
    page_title = _("Document imports")
    header_icon = "doc-full"
    default_ordering = "-imported_at"
    paginate_by = 50
    review_url_name = None
    add_item_label = _("Import a partner document")

    def get_base_queryset(self):
        return DocumentImport.objects.select_related("partner", "imported_by", "source").annotate(
            source_title=F("source__title"),
            source_last_updated=F("source__last_updated"),
            partner_name=F("partner__name"),
            to_review=Count("proposals", filter=Q(proposals__status=ProposedEntry.Status.PROPOSED)),
            accepted=Count("proposals", filter=Q(proposals__status=ProposedEntry.Status.ACCEPTED)),
            rejected=Count("proposals", filter=Q(proposals__status=ProposedEntry.Status.REJECTED)),
        )

    def get_edit_url(self, instance):
        return reverse(self.review_url_name, args=[quote(instance.pk)])

    def get_list_more_buttons(self, instance):
        return [ListMenuItem(gettext("Review"), url=self.get_edit_url(instance), icon_name="tasks", priority=10)]

    @cached_property
    def columns(self):
        return [
            TitleColumn("source_title", label=_("Document"), sort_key="source__title", get_url=self.get_edit_url),
            DateColumn("source_last_updated", label=_("Last updated"), sort_key="source__last_updated"),
            Column("partner_name", label=_("Partner"), sort_key="partner__name"),
            UserColumn("imported_by", label=_("Imported by"), blank_display_name=_("the import_document command")),
            DateColumn("imported_at", label=_("Imported"), sort_key="imported_at"),
            Column("to_review", label=pgettext_lazy("number of proposals", "To review"), sort_key="to_review"),
            Column("accepted", label=pgettext_lazy("number of proposals", "Accepted"), sort_key="accepted"),
            Column("rejected", label=pgettext_lazy("number of proposals", "Rejected"), sort_key="rejected"),
        ]


class ReviewMixin(ImportPermissionMixin):
    """The import named in the URL (404 if none), and its proposal (404 if it is another import's)."""

    review_url_name = None

    @cached_property
    def document_import(self):
        return get_object_or_404(DocumentImport.objects.select_related("source", "partner"), pk=self.kwargs["pk"])

    def get_proposal(self):
        return get_object_or_404(
            ProposedEntry.objects.select_related("entry"),
            pk=self.kwargs["proposal_pk"],
            document_import=self.document_import,
        )

    def back(self, proposal=None):
        url = reverse(self.review_url_name, args=[quote(self.document_import.pk)])
        return redirect(f"{url}#proposal-{proposal.pk}" if proposal is not None else url)


class ReviewView(ReviewMixin, WagtailAdminTemplateMixin, TemplateView):
    """The document as read, each sentence marked by what it gave, beside the proposals to decide on."""

    template_name = "partnership/imports/review.html"
    header_icon = "doc-full"
    index_url_name = None
    add_url_name = None
    accept_url_name = None
    reject_url_name = None
    accept_all_url_name = None

    def get_page_title(self):
        return gettext("Review import")

    def get_page_subtitle(self):
        return str(self.document_import)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": "Document imports"},
            {"url": "", "label": str(self.document_import)},
        ]

    def get_context_data(self, **kwargs):
        document_import = self.document_import
        proposals = list(
            document_import.proposals.select_related("entry", "decided_by")
            .prefetch_related("entry__places", "entry__programmes", "entry__areas")
            .annotate(revision_count=Count("entry__revisions"))
        )
        newer = list(
            DocumentImport.objects.filter(
                partner_id=document_import.partner_id,
                source__last_updated__gt=document_import.source.last_updated,
            )
            .select_related("source")
            .order_by("source__last_updated")
        )
        changed_later = [
            (later, [normalise_quote(change["old"]) for change in later.changes if change.get("old")])
            for later in newer
        ]
        user = self.request.user
        entry_edit = CooperationEntry.snippet_viewset.get_url_name("edit")
        cards = []
        for number, proposal in enumerate(proposals, start=1):
            entry = proposal.entry
            quoted = normalise_quote(" ".join(proposal.quote.splitlines()))
            superseded_by = next((later for later, olds in changed_later if any(old in quoted for old in olds)), None)
            cards.append(
                {
                    "number": number,
                    "proposal": proposal,
                    "entry": entry,
                    "edit_url": reverse(entry_edit, args=[quote(entry.pk)]) if entry is not None else "",
                    "accept_url": reverse(self.accept_url_name, args=[document_import.pk, proposal.pk]),
                    "reject_url": reverse(self.reject_url_name, args=[document_import.pk, proposal.pk]),
                    "open": proposal.status == ProposedEntry.Status.PROPOSED and entry is not None,
                    # Saved by someone since the import: rejecting would delete their work (the model refuses it).
                    "edited": proposal.revision_count > 1,
                    "superseded_by": superseded_by,
                    "superseded_url": reverse(self.review_url_name, args=[superseded_by.pk]) if superseded_by else "",
                }
            )
        counts = dict.fromkeys(ProposedEntry.Status.values, 0)
        for proposal in proposals:
            counts[proposal.status] += 1
        page = document_import.page
        return super().get_context_data(
            document_import=document_import,
            document=read_back(document_import, cards),
            cards=cards,
            counts=counts,
            remaining=sum(card["open"] for card in cards),
            newer_import=newer[-1] if newer else None,
            newer_url=reverse(self.review_url_name, args=[newer[-1].pk]) if newer else "",
            changes=[
                {
                    **change,
                    "entries": [
                        (title, reverse(entry_edit, args=[quote(pk)])) for pk, title in change.get("entries", [])
                    ],
                }
                for change in document_import.changes
            ],
            previous_source=previous_version(document_import.source),
            page=page.specific if page is not None else None,
            page_edit_url=AdminURLFinder(user).get_edit_url(page) if page is not None else None,
            page_preview_url=reverse("wagtailadmin_pages:view_draft", args=[page.pk]) if page is not None else None,
            can_accept=ENTRY_PERMISSIONS.user_has_permission(user, "change"),
            can_reject=ENTRY_PERMISSIONS.user_has_permission(user, "delete"),
            accept_all_url=reverse(self.accept_all_url_name, args=[document_import.pk]),
            **kwargs,
        )


def previous_version(source):
    """The version of the same document before ``source`` (the newest earlier one), or None."""
    if source.last_updated is None:
        return None
    return (
        SourceDocument.objects.filter(title__iexact=source.title, last_updated__lt=source.last_updated)
        .order_by("-last_updated")
        .first()
    )


def read_back(document_import, cards):
    """The import's document as the reviewer reads it, each sentence with the proposals it gave.

    Returns ``{"title", "last_updated", "lead", "caption", "blocks", "error"}``; each block is a heading
    or paragraph ``{"kind", "level", "text", "sentences"}`` or a list of consecutive bullets ``{"kind":
    "list", "items": [sentences]}``; each sentence ``{"position", "text", "cards", "fresh"}``: ``position`` is its
    place in ``document.sentences()``, as ``ProposedEntry.sentences`` holds it, ``cards`` the proposals it gave. ``fresh`` is whether a
    newer version added or changed the sentence (always True for a first import): an unchanged one
    gave its facts to the earlier import. If the stored text no longer reads (edited since), ``error``
    says why and the blocks are empty.
    """
    source = document_import.source
    try:
        document = parse_document(source.text, source.title)
    except DocumentError as error:
        return {"title": source.title, "error": str(error), "blocks": []}
    by_sentence = {}
    for card in cards:
        for position in card["proposal"].sentences or []:
            by_sentence.setdefault(position, []).append(card)
    changed = {change.get("new") for change in document_import.changes if change.get("status") != "removed"}
    blocks, position = [], 0
    for block in document.blocks:
        sentences = []
        for text in block.sentences:
            sentences.append(
                {
                    "position": position,
                    "text": text,
                    "cards": by_sentence.get(position, []),
                    "fresh": not document_import.changes or text in changed,
                }
            )
            position += 1
        if block.kind == "bullet" and blocks and blocks[-1]["kind"] == "list":
            blocks[-1]["items"].append(sentences)  # consecutive bullets are one list
        elif block.kind == "bullet":
            blocks.append({"kind": "list", "items": [sentences]})
        else:
            blocks.append({"kind": block.kind, "level": block.level, "text": block.text, "sentences": sentences})
    return {
        "title": document.title,
        "last_updated": document.last_updated,
        "lead": document.lead,
        "caption": document.caption,
        "blocks": blocks,
        "error": "",
    }


class DecisionView(ReviewMixin, View):
    """A POST that decides on proposals, then back to the review screen; a refusal is an error message."""

    http_method_names = ["post"]

    def decide(self, proposal, action):
        """Run ``action`` (accept or reject) on ``proposal``, all or nothing; the error's message, or ''."""
        try:
            with transaction.atomic():
                action(proposal)
        except ValidationError as error:
            return " ".join(error.messages)
        return ""


class AcceptView(DecisionView):
    permission_required = "change"

    def post(self, request, *args, **kwargs):
        proposal = self.get_proposal()
        error = self.decide(proposal, lambda p: p.accept(request.user))
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request, gettext("Submitted “%(title)s” for moderation.") % {"title": proposal.entry.title}
            )
        return self.back(proposal)


class RejectView(DecisionView):
    permission_required = "delete"

    def post(self, request, *args, **kwargs):
        proposal = self.get_proposal()
        error = self.decide(proposal, lambda p: p.reject(request.user))
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request, gettext("Rejected “%(title)s”: its draft entry is deleted.") % {"title": proposal.title}
            )
        return self.back(proposal)


class AcceptAllView(DecisionView):
    """Accepts every proposal still to review; each on its own, so one refusal does not stop the others."""

    permission_required = "change"

    def post(self, request, *args, **kwargs):
        remaining = self.document_import.proposals.filter(
            status=ProposedEntry.Status.PROPOSED, entry__isnull=False
        ).select_related("entry")
        accepted, errors = 0, {}
        for proposal in remaining:
            if error := self.decide(proposal, lambda p: p.accept(request.user)):
                errors[error] = None  # each message once (a missing workflow refuses them all alike)
            else:
                accepted += 1
        for error in errors:
            messages.error(request, error)
        if accepted:
            messages.success(
                request,
                ngettext(
                    "Submitted %(count)d entry for moderation.", "Submitted %(count)d entries for moderation.", accepted
                )
                % {"count": accepted},
            )
        elif not errors:
            messages.info(request, gettext("Nothing is left to accept."))
        return self.back()


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return ENTRY_PERMISSIONS.user_has_permission(request.user, "add")


class DocumentImportViewSet(ViewSet):
    """Partnerships › Document imports: the listing, the import form and each import's review screen.

    URL names (namespace ``partnership_imports``): ``index``, ``index_results``, ``add`` (the import
    form), ``review`` (pk), ``accept_all`` (pk), ``accept`` and ``reject`` (pk, proposal_pk).
    """

    name = "partnership_imports"
    url_prefix = "partnership/imports"
    icon = "upload"
    menu_label = _("Document imports")
    menu_item_class = ImportMenuItem

    def url_names(self):
        return {
            f"{name}_url_name": self.get_url_name(name)
            for name in ("index", "index_results", "add", "review", "accept", "reject", "accept_all")
        }

    def get_urlpatterns(self):
        from django.urls import path

        names = self.url_names()
        index = {
            "index_url_name": names["index_url_name"],
            "index_results_url_name": names["index_results_url_name"],
            "add_url_name": names["add_url_name"],
            "review_url_name": names["review_url_name"],
        }
        return [
            path("", self.construct_view(DocumentImportIndexView, **index), name="index"),
            path(
                "results/",
                self.construct_view(DocumentImportIndexView, results_only=True, **index),
                name="index_results",
            ),
            path("import/", self.construct_view(ImportView, **names), name="add"),
            path("<int:pk>/", self.construct_view(ReviewView, **names), name="review"),
            path("<int:pk>/accept-all/", self.construct_view(AcceptAllView, **names), name="accept_all"),
            path(
                "<int:pk>/proposals/<int:proposal_pk>/accept/",
                self.construct_view(AcceptView, **names),
                name="accept",
            ),
            path(
                "<int:pk>/proposals/<int:proposal_pk>/reject/",
                self.construct_view(RejectView, **names),
                name="reject",
            ),
        ]


def point_back_to_the_review(request, instance):
    """On an entry an import proposed and nobody has decided on yet: where its review is (hook ``before_edit_snippet``)."""
    if request.method != "GET" or not isinstance(instance, CooperationEntry):
        return
    proposal = ProposedEntry.objects.filter(entry=instance, status=ProposedEntry.Status.PROPOSED).first()
    if proposal is None:
        return
    url = reverse("partnership_imports:review", args=[quote(proposal.document_import_id)])
    messages.info(
        request,
        format_html(
            gettext('Proposed by an import, and not yet accepted: <a href="{}#proposal-{}">back to its review</a>.'),
            url,
            proposal.pk,
        ),
    )
