from django import template

from partnership.text import isolate as text_isolate

register = template.Library()


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page):
    """The trail from the home page to ``page``: its ancestors below the tree's root (one query)."""
    ancestors = page.get_ancestors().filter(depth__gte=2)
    return {"ancestors": ancestors, "page": page, "request": context.get("request")}


@register.filter(is_safe=True)
def isolate(text):
    """Text whose bidi controls cannot spill into what follows (partnership.text.isolate), for the
    <title> and attributes, where <bdi> cannot go."""
    return text_isolate(text)
