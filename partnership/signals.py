"""Signals partnership sends for the apps built on it (the site connects to them; partnership imports no site code)."""

from django.dispatch import Signal

# Sent when the fixture loader has changed records with a queryset update(), which sends no post_save:
# an entry whose place in its document moved (its reading order) without a new revision.
# Keyword arguments: ``sender`` (the model). Sent inside the load's transaction; a receiver that
# acts on the change should wait for the commit (transaction.on_commit).
records_reordered = Signal()


def connect_record_version():
    """Every write a reader of the record could see gives it a new version (``facet_index.record_changed``):
    entries, their many-to-many relations, and the records whose slugs the facets list. (Django sends no
    signal for rows of an automatic through table written directly: such writes call ``record_changed``.)"""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .facet_index import RELATION_FACETS, record_changed
    from .models import Area, CooperationEntry, Partner, Place, Programme

    for model in (CooperationEntry, Partner, Area, Programme, Place):
        post_save.connect(record_changed, sender=model, dispatch_uid=f"record-version-saved-{model.__name__}")
        post_delete.connect(record_changed, sender=model, dispatch_uid=f"record-version-deleted-{model.__name__}")
    for relation in RELATION_FACETS.values():
        through = CooperationEntry._meta.get_field(relation).remote_field.through
        m2m_changed.connect(record_changed, sender=through, dispatch_uid=f"record-version-{relation}")
    records_reordered.connect(record_changed, dispatch_uid="record-version-reordered")
