"""Automatic redirects that lead somewhere: never to a page that is not live, never to themselves.

Wagtail creates a redirect from a page's old URL whenever its slug changes or it moves, also for a
draft that was never published, and keeps it when the page later comes back to that URL. A reader
then got an endless 301 loop (the draft's URL is a 404, which the redirect sends back to itself).
After Wagtail has made its redirects, these receivers drop the automatically created ones that
point at a page (or a descendant of the page) that is not live, or back at their own path.
Redirects an editor made by hand are left alone.
"""

from urllib.parse import urlsplit

from wagtail.contrib.redirects.models import Redirect


def drop_dead_end_redirects(instance, **kwargs):
    """Receiver for page_slug_changed, post_page_move and page_unpublished (``instance``: a Page)."""
    subtree = instance.get_descendants(inclusive=True)
    automatic = Redirect.objects.filter(automatically_created=True, redirect_page__in=subtree)
    automatic.filter(redirect_page__live=False).delete()
    for redirect in automatic.select_related("redirect_page", "site"):
        target = redirect.redirect_page.get_url(current_site=redirect.site)  # None when the page has no URL
        if target is None or Redirect.normalise_path(urlsplit(target).path) == redirect.old_path:
            redirect.delete()
