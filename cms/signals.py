"""What moves the content version on (see cms.cache), and what purges the front cache (cms.frontend_cache):
every change a reader could see."""

from django.db.models.signals import post_delete, post_save, pre_save
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction, Site, get_page_models
from wagtail.signals import (
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
    published,
    unpublished,
)

from partnership.models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument
from partnership.signals import records_reordered

from . import frontend_cache
from .cache import content_changed
from .models import OrganisationSettings
from .redirects import drop_dead_end_redirects

# Shown on public pages but edited without publication (plain snippets, images, sites, redirects,
# the organisation's name and logo in every page's header). Making a page private (or public again)
# is a saved restriction, not a publication.
SAVED_AND_SHOWN = (
    Area,
    Framework,
    Partner,
    Place,
    Programme,
    SourceDocument,
    Site,
    Redirect,
    PageViewRestriction,
    OrganisationSettings,
)


def give_the_site_its_organisation(sender, instance, raw=False, **kwargs):
    """A site gets its OrganisationSettings row when it is saved (the fixtures save the default site),
    not on the first request that reads it, as Wagtail's for_request would: a public GET writes nothing.
    (Not in a migration: a freshly migrated database stays empty, as restore_site requires.)"""
    if not raw:
        OrganisationSettings.objects.get_or_create(site=instance)


def connect():
    post_save.connect(give_the_site_its_organisation, sender=Site, dispatch_uid="site-organisation")
    # Connected after Wagtail's own receivers (INSTALLED_APPS lists "cms" after wagtail.contrib.redirects),
    # so that the redirects Wagtail has just made are there to check.
    for signal in (page_slug_changed, post_page_move, page_unpublished):
        signal.connect(drop_dead_end_redirects, dispatch_uid=f"dead-end-redirects-{id(signal)}")
    for signal in (page_published, page_unpublished, published, unpublished, post_page_move, records_reordered):
        signal.connect(content_changed, dispatch_uid=f"content-changed-{id(signal)}")
    for model in (*SAVED_AND_SHOWN, get_image_model()):
        post_save.connect(content_changed, sender=model, dispatch_uid=f"content-saved-{model.__name__}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"content-deleted-{model.__name__}")
    # Deleting a live page or entry removes it without an unpublish signal. Connected per model
    # (every page class, entries), not for all senders, so other models keep Django's fast deletes.
    for model in (*get_page_models(), CooperationEntry):
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"content-deleted-{model._meta.label}")
    connect_front_cache()


REFERENCE_RECORDS = (Area, Framework, Partner, Place, Programme, SourceDocument)
SITE_WIDE = (Site, PageViewRestriction, OrganisationSettings)


def connect_front_cache():
    """Purges of the front cache, connected after content_changed: both wait for the commit, and the page
    cache's version moves on first, so a page Varnish fetches again after its purge is never the page
    cache's old copy. (Wagtail's own receivers purge a published page itself, at once; ours again on commit.)"""
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(frontend_cache.page_changed, dispatch_uid=f"front-cache-page-{id(signal)}")
    for signal in (published, unpublished):
        signal.connect(
            frontend_cache.entry_changed, sender=CooperationEntry, dispatch_uid=f"front-cache-entry-{id(signal)}"
        )
    post_delete.connect(frontend_cache.entry_changed, sender=CooperationEntry, dispatch_uid="front-cache-entry-deleted")
    pre_save.connect(frontend_cache.remember_entry_slug, sender=CooperationEntry, dispatch_uid="front-cache-entry-slug")
    for model in get_page_models():
        post_delete.connect(
            frontend_cache.page_changed, sender=model, dispatch_uid=f"front-cache-page-deleted-{model._meta.label}"
        )
    records_reordered.connect(frontend_cache.records_reordered, dispatch_uid="front-cache-reordered")
    for signal in (post_save, post_delete):
        for model in REFERENCE_RECORDS:
            signal.connect(
                frontend_cache.reference_record_changed,
                sender=model,
                dispatch_uid=f"front-cache-{model.__name__}-{id(signal)}",
            )
        for model in (get_image_model(), get_document_model()):
            signal.connect(
                frontend_cache.file_changed, sender=model, dispatch_uid=f"front-cache-{model.__name__}-{id(signal)}"
            )
        for model in SITE_WIDE:
            signal.connect(
                frontend_cache.site_wide_change, sender=model, dispatch_uid=f"front-cache-{model.__name__}-{id(signal)}"
            )
        signal.connect(
            frontend_cache.redirect_changed, sender=Redirect, dispatch_uid=f"front-cache-redirect-{id(signal)}"
        )
