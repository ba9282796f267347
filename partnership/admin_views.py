"""Admin views of the structured records that differ from Wagtail's own.

- Every snippet listing's CSV and XLSX export neutralises text that a spreadsheet would run as a
  formula (``=HYPERLINK(…)``, ``@cmd``, ``+…``, ``-…``), with the public export's own function
  (``partnership.views.csv_cell``), so that the admin and the public never disagree.
"""

from wagtail.snippets.views.snippets import IndexView as SnippetIndexView

from .views import csv_cell


class FormulaSafeExportMixin:
    """For views with Wagtail's ``SpreadsheetExportMixin``: every text cell goes through ``csv_cell``.

    Numbers, dates and booleans keep their types (an XLSX date stays a date); only text is changed.
    """

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return csv_cell(value) if isinstance(value, str) else value


class IndexView(FormulaSafeExportMixin, SnippetIndexView):
    """The snippet listing (and its results-only view and exports)."""
