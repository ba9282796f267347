"""Signals partnership sends for the apps built on it (the site connects to them; partnership imports no site code)."""

from django.dispatch import Signal

# Sent when the fixture loader has changed records with a queryset update(), which sends no post_save:
# an entry whose place in its document moved (its reading order) without a new revision.
# Keyword arguments: ``sender`` (the model). Sent inside the load's transaction; a receiver that
# acts on the change should wait for the commit (transaction.on_commit).
records_reordered = Signal()
