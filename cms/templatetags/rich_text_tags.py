"""Rich text on its way out: only what the editor's toolbar can make, however the HTML reached the database."""

from django import template
from django.utils.safestring import mark_safe
from wagtail.whitelist import Whitelister

register = template.Library()


@register.filter
def clean_rich_text(html):
    """Keep paragraphs, lists, emphasis and links; drop scripts, event handlers, styles and javascript: URLs.

    Wagtail's editor whitelists what it saves, but ``|richtext`` trusts the database: rich text written
    by the fixture loader, the shell or SQL would otherwise reach the public pages as it is.
    Used by templates/wagtailcore/shared/richtext.html, through which every rich text is rendered.
    """
    return mark_safe(Whitelister().clean(str(html)))  # noqa: S308 - the whitelister's output is escaped
