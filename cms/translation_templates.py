"""The PO templates of the fixtures: what translators translate into ``fixtures/<language>/*.po``.

``write_templates(paths, folder)`` loads the English fixtures in a transaction that is rolled back
(the database is left as it was), extracts each record's and page's messages as wagtail-localize
does (``TranslationSource.export_po``), names each by its object key (see
partnership.fixture_translations) and writes them into:

    reference.pot       frameworks, areas, places, programmes, partners
    source.pot          source documents, and every record's quoted sentence and section
    entries.pot         cooperation entries
    pages.pot           the home page, the partners index, the record page
    <slug>-page.pot     each partner page (japan-page.pot)

An existing translation is brought up to date with gettext's ``msgmerge fr/entries.po entries.pot``.
"""

from pathlib import Path

import polib
from django.db import transaction
from wagtail_localize.models import TranslationSource

from partnership.fixture_translations import exchange_text, object_key
from partnership.loader import FixtureLoader

from .models import PartnerPage
from .page_fixtures import PageFixtures

PROVENANCE_PATHS = ("source_quote", "source_section")


def template_name(section_name, obj, path):
    """Which template file a message goes to (see the module's docstring)."""
    if section_name == "pages":
        return f"{obj.slug}-page.pot" if isinstance(obj.specific, PartnerPage) else "pages.pot"
    if section_name == "sources" or path in PROVENANCE_PATHS:
        return "source.pot"
    if section_name == "entries":
        return "entries.pot"
    return "reference.pot"


def write_templates(paths, folder):
    """Write the templates of the fixtures under ``paths`` into ``folder``; returns ``[(path, messages)]``.

    Raises partnership.loader.FixtureError when the English fixtures do not load.
    """
    templates = {}
    with transaction.atomic():
        loader = FixtureLoader(page_loader=PageFixtures, translations=False)
        report = loader.load(paths)
        for _action, section, slug in report.actions:
            obj = loader.pages.pages.get(slug) if section.name == "pages" else loader.known[section.name].get(slug)
            if obj is None:
                continue
            key = object_key(obj.specific if section.name == "pages" else obj)
            source, _ = TranslationSource.update_or_create_from_instance(obj)
            for entry in source.export_po():
                name = template_name(section.name, obj, entry.msgctxt)
                po = templates.setdefault(name, new_template())
                po.append(polib.POEntry(msgctxt=f"{key}:{entry.msgctxt}", msgid=exchange_text(entry.msgid), msgstr=""))
        transaction.set_rollback(True)  # extracting wrote translation sources: the database stays as it was
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, po in sorted(templates.items()):
        path = Path(folder) / name
        po.save(str(path))
        written.append((path, len(po)))
    return written


def new_template():
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Language": "",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
    }
    po.header = (
        "Translations of the fixtures (manage.py load_fixtures --write-translation-templates). Copy to "
        "fixtures/<language>/<name>.po, set Language, fill every msgstr."
    )
    return po
