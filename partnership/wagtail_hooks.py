"""Registers the structured records in the Wagtail admin (the viewsets are in partnership.viewsets),
the entry form's helpers, the approval message and bulk approval."""

from django.urls import path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from . import admin_views, import_views, translation_admin
from .viewsets import PartnershipViewSetGroup

register_snippet(PartnershipViewSetGroup)


# --- The entry form's helpers, the approval message and bulk approval -------------------------------


@hooks.register("register_admin_urls")
def entry_form_helper_urls():
    return [
        path("partnership/period/", admin_views.period_preview, name="partnership_admin_period"),
        path(
            "partnership/sources/<int:pk>/sentences/",
            admin_views.source_sentences,
            name="partnership_admin_sentences",
        ),
    ]


hooks.register("after_edit_snippet", admin_views.add_approval_message_after_edit)
hooks.register("before_edit_snippet", import_views.point_back_to_the_review)
hooks.register("register_bulk_action", admin_views.ApproveBulkAction)
# Before wagtail-localize's own hooks, which replace the edit view of a translation with its editor.
hooks.register("before_edit_snippet", admin_views.warn_translation_needs_update, order=-10)
hooks.register("before_edit_page", admin_views.warn_translation_needs_update, order=-10)


@hooks.register("register_admin_urls", order=-1)  # before wagtail-localize's view at the same URL
def translation_upload_url():
    return [
        path(
            "localize/translate/<int:translation_id>/pofile/upload/",
            translation_admin.upload_pofile,
            name="partnership_upload_pofile",
        )
    ]
