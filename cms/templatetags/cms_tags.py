from django import template

register = template.Library()


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page):
    """The trail from the home page to ``page`` (one query)."""
    ancestors = page.get_ancestors().filter(depth__gte=2).specific(defer=True) if page.depth > 2 else []
    return {"ancestors": ancestors, "page": page, "request": context.get("request")}
