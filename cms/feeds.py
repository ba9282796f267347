"""The record's Atom feeds: newly published entries, site-wide (/cooperation/feed.atom) or for one
partner (/cooperation/feeds/<partner>.atom), served through Wagtail's serve view (see cms/urls.py)."""

from urllib.parse import urlencode

from django.apps import apps
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext

from partnership.models import Partner
from partnership.text import xml_safe

from .record_views import public_entries


def _xml_safe(value):
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(item) for item in value)
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """An Atom feed that drops the characters XML 1.0 cannot carry from every text it is given.

    New text cannot hold them (partnership.text.validate_text); this keeps data stored before that
    check, or written around it, from turning the feed into a server error.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_xml_safe, args), **{name: _xml_safe(value) for name, value in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_xml_safe, args), **{name: _xml_safe(value) for name, value in kwargs.items()})


class EntriesFeed(Feed):
    """Newly published entries, newest first: site-wide, or for one partner."""

    feed_type = XmlSafeAtom1Feed
    limit = 50
    # ``language`` is left unset: Django writes the active language (the record page's, from its URL
    # prefix) as the feed's xml:lang, and the record page lists only that language's entries.

    def get_object(self, request, record_page, partner_slug=None):
        partner = None
        if partner_slug is not None:
            partner = Partner.objects.filter(slug=partner_slug, locale_id=record_page.locale_id).first()
            if partner is None:
                raise Http404(gettext("No such partner."))
        self.base = request.build_absolute_uri(record_page.url)
        # Atom wants an author for the feed: the organisation that publishes the site (its Wagtail
        # site settings; looked up by name, as cms.models imports this module).
        organisation = apps.get_model("cms", "OrganisationSettings").for_request(request)
        return {"record_page": record_page, "partner": partner, "organisation": organisation}

    def title(self, obj):
        partner = obj["partner"]
        if partner:
            return gettext("Cooperation with %(partner)s") % {"partner": partner.name}
        return gettext("Cooperation with partner countries")

    def author_name(self, obj):
        return obj["organisation"].public_name

    def subtitle(self, obj):
        return gettext("Newly published cooperation entries.")

    def link(self, obj):
        partner = obj["partner"]
        return obj["record_page"].url + (f"?{urlencode({'partner': partner.slug})}" if partner else "")

    def items(self, obj):
        entries = public_entries(obj["record_page"]).select_related("partner")
        if obj["partner"]:
            entries = entries.filter(partner=obj["partner"])
        return entries.order_by("-last_published_at", "-pk")[: self.limit]

    def item_title(self, item):
        # Translated: French puts a space before the colon.
        return gettext("%(partner)s: %(title)s") % {"partner": item.partner.name, "title": item.title}

    def item_description(self, item):
        # The Atom summary is typed as HTML: the entry's plain text is escaped so that it stays text.
        period = f" ({item.period_display})" if item.period_display else ""
        return escape(f"{item.get_kind_display()}{period}. {item.description}")

    def item_link(self, item):
        return f"{self.base}{item.slug}/"

    def item_guid(self, item):
        return f"{self.base}{item.slug}/"

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [item.get_kind_display()]
