"""Admin forms of the site's pages."""

from wagtail.admin.forms.pages import WagtailAdminPageForm

from partnership.scheduling import ScheduleThatHasRunFormMixin


class PageAdminForm(ScheduleThatHasRunFormMixin, WagtailAdminPageForm):
    """``base_form_class`` of the site's pages: a schedule that has run never blocks the next save
    (partnership.scheduling)."""
