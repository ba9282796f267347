from django import template

from cms.compare import compare_url_for

register = template.Library()


@register.simple_tag(takes_context=True)
def compare_url(context):
    """The comparison of the context's partner page with others (cms.compare.compare_url_for), or ''.
    No query: the partner page's partner is the one its template shows already."""
    page = context.get("page")
    if page is None or not getattr(page, "partner_id", None):
        return ""
    return compare_url_for(page, context.get("request"))
