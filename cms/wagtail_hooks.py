from django.conf import settings
from django.http import Http404
from django.utils import translation
from wagtail import hooks


@hooks.register("before_serve_page")
def serve_pages_only_in_their_own_language(page, request, serve_args, serve_kwargs):
    """/fr/… shows French pages only: an untranslated page is not served in English under a French URL.

    English URLs cost nothing here; only a prefixed URL looks up the page's locale.
    """
    language = translation.get_language()
    if language != settings.LANGUAGE_CODE and page.locale.language_code != language:
        raise Http404("This page is not available in this language yet.")
