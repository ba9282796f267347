from typing import NamedTuple

from django import template
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_noop
from wagtail.models import Page, Site

from cms import compare
from cms.models import CooperationRecordPage, PartnersIndexPage, record_url
from cms.record_views import without_view_restrictions
from partnership.models import CooperationEntry, Partner
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
    home_url = reverse("wagtail_serve", args=[""])  # the active language's root: / or /fr/
    if site is not None:
        root = site.root_page
        # The home page in the active language is the site root page's translation (Wagtail's routing
        # serves /fr/ from it): its menu pages are those under it, in that language.
        parent_is_a_home = Page.objects.filter(
            translation_key=root.translation_key, path=Substr(OuterRef("path"), 1, len(root.path))
        )
        menu = (
            Page.objects.live()
            .in_menu()
            .filter(depth=root.depth + 1, locale__language_code=translation.get_language())
            .filter(Exists(parent_is_a_home))
        )
        for menu_page in menu.only("title", "url_path", "path", "depth").order_by("path"):
            url = menu_page.get_url(request)
            if url:
                items.append(NavItem(menu_page.title, url, request.path.startswith(url)))
    search_url = reverse("search")
    items.append(NavItem(gettext("Search"), search_url, request.path == search_url))
    return {
        "home_url": home_url,
        "nav_items": items,
        "organisation": context.get("organisation"),
        "language_links": context.get("language_links"),
    }


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


# --- Languages: the switcher in the header and the <link rel="alternate" hreflang> in the head -----

# Said, in the language the reader would switch to, when the page has no translation in it.
NOT_AVAILABLE = {
    "en": gettext_noop("This page is not available in English."),
    "fr": gettext_noop("This page is not available in French."),
}
NOT_AVAILABLE_FALLBACK = gettext_noop("This page is not available in this language.")
HOME_PAGE = gettext_noop("Home page")
# A filtered record keeps, in another language, the filters whose values mean the same in every
# language, and those naming records (partner, area, programme, beneficiary) with the slugs of the
# same records in that language; the search words, which are words of its language, are left out.
PORTABLE_FILTERS = ("kind", "year_from", "year_to", "sort")


class LanguageLink(NamedTuple):
    code: str  # the language's code ("fr"), for hreflang and lang
    name: str  # its name in itself ("Français")
    url: str  # the same page in that language, or that language's home page when there is none
    available: bool  # whether ``url`` is this page's translation
    message: str  # when not available: saying so, in that language ("Cette page n'existe pas en français.")
    home_label: str  # "Home page", in that language
    title: str = ""  # the translation's title, for a page's translation (not for the record's routes)


class LanguageLinks(NamedTuple):
    current: str  # the active language's code
    alternates: list  # [(hreflang, absolute URL)] for <link rel="alternate">, x-default last; [] without translations
    others: list  # a LanguageLink for each other language of the site


def _language_name(code):
    return translation.get_language_info(code)["name_local"].capitalize()


def _in_language(code, message):
    with translation.override(code):
        return gettext(message)


def _reverse_in(code, name, *args):
    with translation.override(code):
        return reverse(name, args=args)


def _page_translations(request, page):
    """``({code: url of page's translation}, {code: url of the home page}, {code: title of page's translation})``:
    live, public pages only (one query)."""
    site = Site.find_for_request(request)
    wanted = Q(translation_key=page.translation_key)
    if site is not None:
        wanted |= Q(translation_key=site.root_page.translation_key, depth=site.root_page.depth)
    pages = (
        without_view_restrictions(Page.objects.live().filter(wanted))
        .select_related("locale")
        .only("url_path", "path", "depth", "title", "translation_key", "locale__language_code")
    )
    translations, homes, titles = {}, {}, {}
    for found in pages:
        url = found.get_url(request)
        if not url:
            continue
        if found.translation_key == page.translation_key:
            translations[found.locale.language_code] = url
            titles[found.locale.language_code] = found.title
        if site is not None and found.translation_key == site.root_page.translation_key:
            homes[found.locale.language_code] = url
    return translations, homes, titles


def _compare_translations(context, translations):
    """The comparison of the same partners in each language (one query, for the partners' translations):
    ``translations`` are the partners index's. A language that lacks one of the partners is left out
    (its switcher link goes to its home page, saying the page is not translated)."""
    request = context.get("request")
    form = context.get("form")
    compared = [page.partner for page in getattr(form, "compared", [])]
    if not compared:
        return {code: f"{url}{compare.ROUTE}" for code, url in translations.items()}
    found = Partner.objects.filter(translation_key__in=[partner.translation_key for partner in compared])
    slugs = {
        (partner.locale.language_code, partner.translation_key): partner.slug
        for partner in found.select_related("locale").only("slug", "translation_key", "locale__language_code")
    }
    links = {}
    for code, url in translations.items():
        chosen = [slugs.get((code, partner.translation_key)) for partner in compared]
        if all(chosen):
            links[code] = f"{url}{compare.ROUTE}?{urlencode([('partner', slug) for slug in chosen])}"
    if request is not None:
        links[translation.get_language()] = request.get_full_path()  # this very comparison
    return links


def _route_translations(context, page, translations):
    """What the record page serves, in each language: the entry's translation under the record page's
    (one query), or the record with its filters in that language (``PORTABLE_FILTERS`` as they are, the
    records chosen by their slugs there: no query, from the facet index); ``translations`` are the record
    page's."""
    entry = context.get("entry")
    if entry is not None and getattr(entry, "translation_key", None):
        entries = (
            CooperationEntry.objects.public()
            .filter(translation_key=entry.translation_key)
            .select_related("locale")
            .only("slug", "translation_key", "locale__language_code")
        )
        slugs = {found.locale.language_code: found.slug for found in entries}
        return {code: f"{url}{slugs[code]}/" for code, url in translations.items() if code in slugs}
    request = context.get("request")
    if request is None or not request.GET:
        return translations
    filterset = context.get("filterset")
    records = filterset.FACET_RECORDS if filterset is not None else {}
    kept = {code: [] for code in translations}
    for name, values in request.GET.lists():
        if name in PORTABLE_FILTERS:
            for code in kept:
                kept[code] += [(name, value) for value in values]
        elif name in records:
            slugs = filterset.record_translations(name)  # a record not in a language is left out of its link
            for code in kept:
                kept[code] += [(name, slugs[value][code]) for value in values if code in slugs.get(value, {})]
    links = {code: f"{url}?{urlencode(kept[code])}" if kept[code] else url for code, url in translations.items()}
    links[translation.get_language()] = request.get_full_path()  # this very listing
    return links


@register.simple_tag(takes_context=True)
def language_links(context):
    """The page in each language of the site, for the header's switcher and the head's hreflang links.

    Works for Wagtail pages (``page``), the record's routes (``entry`` on an entry's page, the listing
    with its filters) and site search; anything else links to the other languages' home pages. One
    query for a page (its translations and the home pages), one more on an entry's page; none on search.
    Kept on the request, so the head and the header share it. Returns a ``LanguageLinks``.
    """
    request = context.get("request")
    if request is not None and hasattr(request, "_language_links"):
        return request._language_links
    current = translation.get_language()
    codes = [code for code, _name in settings.LANGUAGES]
    page = context.get("page")
    homes, titles = None, {}
    if isinstance(page, Page) and page.pk and request is not None:
        translations, homes, titles = _page_translations(request, page)
        if isinstance(page, CooperationRecordPage):
            translations = _route_translations(context, page, translations)
        elif isinstance(page, PartnersIndexPage) and "comparison" in context:  # its compare/ route
            translations = _compare_translations(context, translations)
    elif request is not None and request.resolver_match and request.resolver_match.url_name == "search":
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        translations = {code: _reverse_in(code, "search") + query for code in codes}
    else:
        translations = {}
    others = []
    for code in codes:
        if code == current:
            continue
        home = homes.get(code) if homes is not None else _reverse_in(code, "wagtail_serve", "")
        if code not in translations and not home:
            continue  # the site has nothing in that language
        others.append(
            LanguageLink(
                code=code,
                name=_language_name(code),
                url=translations.get(code) or home,
                available=code in translations,
                message=""
                if code in translations
                else _in_language(code, NOT_AVAILABLE.get(code, NOT_AVAILABLE_FALLBACK)),
                home_label=_in_language(code, HOME_PAGE),
                title=titles.get(code, "") if code in translations else "",
            )
        )
    alternates = []
    if len(translations) > 1 and request is not None:
        alternates = [(code, request.build_absolute_uri(translations[code])) for code in codes if code in translations]
        if settings.LANGUAGE_CODE in translations:
            alternates.append(("x-default", request.build_absolute_uri(translations[settings.LANGUAGE_CODE])))
    links = LanguageLinks(current, alternates, others)
    if request is not None:
        request._language_links = links
    return links


@register.simple_tag(takes_context=True)
def translation_original(context):
    """The page's original, when the page is a translation: the default language's ``LanguageLink`` (with
    its ``url`` and ``title``) when the page is served in another language and its original is live and
    public, else None. For templates/cms/includes/translation_note.html; shares ``language_links``'s query."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return None
    for link in language_links(context).others:
        if link.code == settings.LANGUAGE_CODE and link.available:
            return link
    return None


@register.inclusion_tag("includes/language_switcher.html")
def language_switcher(links):
    """The header's switcher: a link to this page in each other language, or, where there is none, a
    sentence saying so (in that language) and a link to that language's home page. No JavaScript."""
    return {"links": links}


@register.simple_tag
def lang_if_other(code):
    """`` lang="en"`` when text in ``code`` (a quote from an English document, a name left untranslated)
    is shown on a page in another language; "" on a page in that language."""
    if not code or code == translation.get_language():
        return ""
    return format_html(' lang="{}"', code)
