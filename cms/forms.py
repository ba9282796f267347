"""Admin forms of the site's pages."""

from wagtail.admin.forms.pages import WagtailAdminPageForm

from partnership.admin_forms import NewlinesAsStoredMixin, OwnLanguageChoicesMixin
from partnership.scheduling import ScheduleThatHasRunFormMixin


class PageAdminForm(ScheduleThatHasRunFormMixin, NewlinesAsStoredMixin, OwnLanguageChoicesMixin, WagtailAdminPageForm):
    """``base_form_class`` of the site's pages: a schedule that has run never blocks the next save
    (partnership.scheduling), a page saved unchanged is unchanged (NewlinesAsStoredMixin), and a page in one
    language is about records in that language (a partner page's partner: OwnLanguageChoicesMixin)."""
