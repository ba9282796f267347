"""What moves the content version on (see cms.cache): every change a reader could see."""

from django.db.models.signals import post_delete, post_save
from wagtail.contrib.redirects.models import Redirect
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
