from django import template

register = template.Library()


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page):
    """The trail from the home page to ``page`` (no query when the page was routed by HomePage.route)."""
    ancestors = page.breadcrumb_ancestors()
    return {"ancestors": ancestors, "page": page, "request": context.get("request")}
