"""The one StreamBlock of sections every page body is made of.

Each block has its own template (templates/cms/blocks/) and an admin preview.
The "entries" and "timeline" blocks show structured cooperation entries live
from the database: the page hands them its partner's entries, loaded once per
request, so a corrected entry is corrected on every page and the number of
queries does not grow with the number of blocks.
"""

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from partnership.models import CooperationEntry

INLINE_FEATURES = ["bold", "italic", "link", "document-link"]
PARAGRAPH_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul"]


class OptionalCharBlock(blocks.CharBlock):
    """A CharBlock that may be left empty, whose empty value is always '' (never None).

    A StructBlock fills a child missing from its data with the child's default, which for a CharBlock is
    None; wagtail-localize cannot extract None (TypeError: `string` must be either a `StringValue` or a
    `str`). The default is '', and values stored as None before (by earlier fixture loads) read as ''.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "")
        super().__init__(*args, required=False, **kwargs)

    def to_python(self, value):
        return "" if value is None else super().to_python(value)

    def get_prep_value(self, value):
        return "" if value is None else super().get_prep_value(value)


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200, help_text=_("The section's title, as readers will see it."))
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Section (level 2)")), ("h3", _("Subsection (level 3)"))],
        default="h2",
        help_text=_("Level 2 starts a section and appears in the table of contents; level 3 is a subsection."),
    )
    anchor = OptionalCharBlock(
        max_length=80,
        help_text=_("The part of the link after # (made from the text if left empty). Keep it stable once published."),
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "cms/blocks/heading.html"
        preview_value = {"text": "Key areas of cooperation", "level": "h2"}
        description = _("A section or subsection title, with a link anchor for the table of contents.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        # The page resolves duplicates (PartnerPage.table_of_contents); elsewhere the text decides.
        context["anchor"] = value.get("resolved_anchor") or heading_anchor(value)
        return context


def heading_anchor(value):
    return slugify(value.get("anchor") or value.get("text") or "") or "section"


class ParagraphBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        label = _("Paragraph")
        template = "cms/blocks/paragraph.html"
        preview_value = "<p>Japan’s cooperation with NATO is mutually beneficial.</p>"
        description = _("Running text: paragraphs, links, emphasis and simple lists.")


class BulletListBlock(blocks.StructBlock):
    items = blocks.ListBlock(
        blocks.RichTextBlock(features=INLINE_FEATURES, label=_("Point")), min_num=1, label=_("Points")
    )

    class Meta:
        icon = "list-ul"
        label = _("Bullet list")
        template = "cms/blocks/bullet_list.html"
        preview_value = {"items": ["<p>First point.</p>", "<p>Second point.</p>"]}
        description = _("A list of short points.")


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(help_text=_("The words quoted, without quotation marks."))
    attribution = OptionalCharBlock(max_length=200, help_text=_("Who said or wrote it."))

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"
        preview_value = {"quote": "Cooperation is mutually beneficial.", "attribution": "NATO"}
        description = _("A quotation with its source.")


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = OptionalCharBlock(max_length=300, help_text=_("Shown under the image."))
    alt_text = OptionalCharBlock(
        max_length=300,
        help_text=_("What the image shows, for people who cannot see it. Leave empty to use the image's description."),
    )

    class Meta:
        icon = "image"
        label = _("Captioned image")
        template = "cms/blocks/captioned_image.html"
        description = _("An image with a caption.")

    def clean(self, value):
        """An image needs alt text: this block's, or the image's description. Raises StructBlockValidationError."""
        value = super().clean(value)
        image = value.get("image")
        if image is not None and not value.get("alt_text", "").strip() and not image.description.strip():
            raise StructBlockValidationError(
                block_errors={
                    "alt_text": ValidationError(
                        gettext(
                            "Write the image's alt text: what it shows, for people who cannot see it "
                            "(this image has no description to use instead)."
                        )
                    )
                }
            )
        return value


class KeyFactBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=100)
    value = blocks.CharBlock(max_length=200)


class KeyFactsBlock(blocks.StructBlock):
    title = OptionalCharBlock(max_length=100, default="Key facts")
    facts = blocks.ListBlock(KeyFactBlock(), min_num=1)

    class Meta:
        icon = "list-ol"
        label = _("Key facts")
        template = "cms/blocks/key_facts.html"
        preview_value = {"title": "Key facts", "facts": [{"label": "Partner since", "value": "the early 1990s"}]}
        description = _("A short list of labelled facts, such as dates and figures.")


class PartnerEntriesMixin:
    """Blocks that show the page's partner's live entries (given by the page in the context)."""

    @staticmethod
    def partner_entries(parent_context):
        return (parent_context or {}).get("partner_entries", [])

    def get_preview_context(self, value, parent_context=None):
        """In the admin's block preview there is no page: show the first partner's entries."""
        context = super().get_preview_context(value, parent_context)
        first = CooperationEntry.objects.public().order_by("partner__name").values("partner_id").first()
        entries = CooperationEntry.objects.public().filter(partner_id=first["partner_id"]) if first else []
        context["partner_entries"] = list(entries.prefetch_related("areas", "programmes")) if first else []
        return context


class EntriesBlock(PartnerEntriesMixin, blocks.StructBlock):
    area = SnippetChooserBlock(
        "partnership.Area", required=False, help_text=_("Show only entries in this area or theme.")
    )
    kind = blocks.ChoiceBlock(
        choices=CooperationEntry.Kind.choices, required=False, help_text=_("Show only entries of this kind.")
    )
    programme = SnippetChooserBlock(
        "partnership.Programme",
        required=False,
        help_text=_("Show only entries linked to this programme, fund or body."),
    )
    style = blocks.ChoiceBlock(
        choices=[
            (
                "prose",
                _("The document's sentences as paragraphs, each marked with the facts recorded from it, listed after"),
            ),
            ("list", _("A list of entries with their dates and descriptions")),
        ],
        default="list",
    )

    class Meta:
        icon = "table"
        label = _("Cooperation entries")
        template = "cms/blocks/entries.html"
        preview_value = {"style": "list", "kind": "milestone"}
        description = _("This partner's published entries of one area, kind or programme, always up to date.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        entries = [e for e in self.partner_entries(parent_context) if matches(e, value)]
        context["entries"] = entries
        prefix = value.get("resolved_anchor") or "recorded"
        context["recorded_id"] = prefix
        context["recorded_heading_level"] = value.get("resolved_heading_level") or "h2"
        context["passages"] = group_by_passage(entries, prefix) if value.get("style") == "prose" else []
        return context


HEADING_BELOW = {"": "h2", "h2": "h3", "h3": "h4"}


def resolve_entries_block(value, anchor, section_level):
    """Prepare an entries block's value for the page it is on (``PartnerPage.table_of_contents``).

    ``anchor``: a prefix unique on the page for the ids of its passages and facts (“wider-cooperation-recorded”);
    ``section_level``: the level of the heading it comes under ("h2", "h3", or "" before any), so that the
    heading of its list of facts is one level below (h2 … h4).
    """
    value["resolved_anchor"] = anchor
    value["resolved_heading_level"] = HEADING_BELOW.get(section_level, "h4")


class TimelineBlock(PartnerEntriesMixin, blocks.StructBlock):
    title = OptionalCharBlock(max_length=100, default="Milestones")
    kind = blocks.ChoiceBlock(
        choices=[("milestone", _("Milestones only")), ("dated", _("Every dated entry"))],
        default="milestone",
        help_text=_("Which entries appear on the timeline, in date order."),
    )

    class Meta:
        icon = "date"
        label = _("Timeline")
        template = "cms/blocks/timeline.html"
        preview_value = {"title": "Milestones", "kind": "milestone"}
        description = _("This partner's milestones (or every dated entry) on a timeline, always up to date.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        entries = [e for e in self.partner_entries(parent_context) if e.start_date]
        if value.get("kind") == "milestone":
            entries = [e for e in entries if e.kind == CooperationEntry.Kind.MILESTONE]
        context["events"] = sorted(entries, key=lambda e: (e.start_date, e.source_order))
        return context


def matches(entry, value):
    area, kind, programme = value.get("area"), value.get("kind"), value.get("programme")
    if kind and entry.kind != kind:
        return False
    if area and area.pk not in {a.pk for a in entry.areas.all()}:
        return False
    return not (programme and programme.pk not in {p.pk for p in entry.programmes.all()})


OPENING_WORDS = 8


class Passage:
    """The sentence(s) of the document some entries were taken from, and those entries.

    ``anchor``: the id of the passage's paragraph on the page; ``facts_anchor``: the id of the list of
    the facts recorded from it (its marker links there, and that list links back).
    """

    def __init__(self, quote, anchor="passage"):
        self.quote = quote
        self.anchor = anchor
        self.facts_anchor = f"{anchor}-facts"
        self.entries = []

    @cached_property
    def sentences(self):
        return [line.strip() for line in self.quote.splitlines() if line.strip()]

    @cached_property
    def text(self):
        """The passage as one paragraph of running text."""
        return " ".join(self.sentences)

    @cached_property
    def opening(self):
        """The passage's first words, to name it in the list of facts (“Japan has contributed to …”)."""
        words = self.text.split()
        if len(words) <= OPENING_WORDS:
            return self.text
        return " ".join(words[:OPENING_WORDS]).rstrip(",;:–—") + "…"


def group_by_passage(entries, prefix="recorded"):
    """Entries in reading order, those quoting the same passage together, so each sentence shows once.

    ``prefix``: unique on the page; passage ``n`` (from 1) gets the id ``<prefix>-<n>``.
    """
    passages = []
    for entry in sorted(entries, key=lambda e: e.source_order):
        if not passages or passages[-1].quote != entry.source_quote:
            passages.append(Passage(entry.source_quote, f"{prefix}-{len(passages) + 1}"))
        passages[-1].entries.append(entry)
    return passages


class SectionsBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock(features=PARAGRAPH_FEATURES)
    bullet_list = BulletListBlock()
    quote = QuoteBlock()
    image = CaptionedImageBlock()
    key_facts = KeyFactsBlock()
    entries = EntriesBlock()
    timeline = TimelineBlock()

    class Meta:
        block_counts = {}
