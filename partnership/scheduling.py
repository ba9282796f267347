"""The admin form mixin for everything that can be scheduled: cooperation entries and (cms.forms) pages.

A schedule that has run never blocks the next save. Wagtail's draft-state forms refuse an expiry
date in the past ("Expiry date/time must be in the future"), but once ``publish_scheduled`` has
published and expired an entry or a page its stored go-live and expiry dates *are* in the past, and
the edit form shows them again: every later *Save draft* or *Publish* was refused until the editor
noticed and cleared the dates by hand. Here a date that the editor left as it was stored and that
has passed is a schedule that has run: it is cleared (the new revision has no schedule) instead of
refused. A past date the editor *types* is still refused by Wagtail, as before.
"""

from django.utils import timezone

SCHEDULE_FIELDS = ("go_live_at", "expire_at")


class ScheduleThatHasRunFormMixin:
    """Clears a go-live or expiry date that is unchanged from the stored one and already past, before Wagtail's checks."""

    def clean(self):
        now = timezone.now()
        for name in SCHEDULE_FIELDS:
            value = self.cleaned_data.get(name)
            if value is not None and value <= now and name not in self.changed_data:
                self.cleaned_data[name] = None
        return super().clean()
