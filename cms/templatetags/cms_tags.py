from typing import NamedTuple

from django import template
from django.urls import reverse
from wagtail.models import Site

from cms.models import PartnersIndexPage, record_url
from partnership.text import isolate as text_isolate

register = template.Library()


@register.inclusion_tag("cms/includes/breadcrumbs.html", takes_context=True)
def breadcrumbs(context, page, current_title=None, current_url=None):
    """The trail from the home page to ``page``: its ancestors below the tree's root (one query).

    With ``current_title`` and ``current_url``, the trail ends one step further, at something the page
    serves itself (an entry of the record): ``page`` is then a link like its ancestors.
    """
    ancestors = page.get_ancestors().filter(depth__gte=2)
    return {
        "ancestors": ancestors,
        "page": page,
        "current_title": current_title,
        "current_url": current_url,
        "request": context.get("request"),
    }


class NavItem(NamedTuple):
    title: str
    url: str
    current: bool  # the reader is on this item's page or below it


@register.inclusion_tag("includes/site_header.html", takes_context=True)
def site_header(context):
    """The header: the organisation's name (and logo) linking to the home page, and the main navigation: the live children of the site's home page that editors show in menus
    (Wagtail's "Show in menus", on by default for the partners index and the record), then search.

    One query, the menu's pages (Wagtail finds the Site with its home page once per request).
    """
    request = context.get("request")
    site = Site.find_for_request(request)
    items = []
    home_url = reverse("wagtail_serve", args=[""])
    if site is not None:
        home = site.root_page
        home_url = home.get_url(request) or home_url
        for menu_page in home.get_children().live().in_menu().only("title", "url_path", "path", "depth"):
            url = menu_page.get_url(request)
            if url:
                items.append(NavItem(menu_page.title, url, request.path.startswith(url)))
    search_url = reverse("search")
    items.append(NavItem("Search", search_url, request.path == search_url))
    return {"home_url": home_url, "nav_items": items, "organisation": context.get("organisation")}


@register.simple_tag(takes_context=True)
def partners_index_url(context):
    """The URL of the site's live partners index (the page found by its type), or "" when there is none."""
    request = context.get("request")
    site = Site.find_for_request(request)
    if site is None:
        return ""
    index = PartnersIndexPage.objects.live().in_site(site).first()
    return index.get_url(request) if index else ""


@register.simple_tag
def record_page_url():
    """The public record's URL (cms.models.record_url), or None while there is none or it is private."""
    return record_url()


@register.filter(is_safe=True)
def isolate(text):
    """Text whose bidi controls cannot spill into what follows (partnership.text.isolate), for the
    <title> and attributes, where <bdi> cannot go."""
    return text_isolate(text)
