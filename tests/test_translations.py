"""The interface in French: the catalogue covers every string, and pages and messages use it.

The catalogue (locale/fr/LC_MESSAGES/django.po) is checked against a fresh extraction: makemessages
runs on a copy of the project's code, templates and catalogue, exactly as README's command does, and
the result must hold no string the repository's catalogue lacks, none untranslated and none fuzzy.
Adding a string in a template or in Python without translating it fails here.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.paginator import Paginator
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import ngettext
from django.views.defaults import server_error

from cms.models import CooperationRecordPage
from cms.record_views import page_number, record
from cms.resilience import database_unavailable_response
from partnership.admin_forms import FilteredCheckboxList, PeriodInput, SentencePicker
from partnership.importer import DocumentError, parse_document

PROJECT_DIR = Path(settings.BASE_DIR)
CATALOGUE = PROJECT_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# What makemessages reads (README, "Translating the interface"); tests, bench and the tools are left out.
EXTRACTED = ("cms", "partnership", "templates", "locale", "manage.py")
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "fr",
    "--ignore=.venv",
    "--ignore=node_modules",
    "--ignore=tests",
    "--ignore=bench",
    "--no-obsolete",
    "--add-location=file",
]


def key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def untranslated(entry):
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(entry.msgstr_plural.values())
    return not entry.msgstr


def extract(project):
    """Run README's makemessages in ``project`` (a copy of the repository's files); the catalogue it writes."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return polib.pofile(str(project / CATALOGUE.relative_to(PROJECT_DIR)))


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    for name in EXTRACTED:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(source, project / name)
    return extract(project)


# --- The catalogue ---------------------------------------------------------------------------------


def test_the_catalogue_is_french_with_french_plurals():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.metadata["Language"] == "fr"
    assert catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert not catalogue.metadata_is_fuzzy


def test_every_string_of_the_interface_is_in_the_catalogue_and_translated(fresh_catalogue):
    committed = polib.pofile(str(CATALOGUE))
    fresh_keys = {key(entry) for entry in fresh_catalogue if not entry.obsolete}
    committed_keys = {key(entry) for entry in committed if not entry.obsolete}
    assert sorted(fresh_keys - committed_keys, key=str) == [], "strings missing from the .po: run `make messages`"
    assert sorted(committed_keys - fresh_keys, key=str) == [], "strings the code no longer uses: run `make messages`"
    assert [entry.msgid for entry in fresh_catalogue if untranslated(entry)] == []
    assert [entry.msgid for entry in fresh_catalogue if entry.fuzzy] == []
    assert len(fresh_keys) > 300  # the extraction did read the templates and the code


def test_the_compiled_catalogue_is_current():
    """The pages read the .mo, which make run and make test compile from the .po (it is not committed)."""
    compiled = CATALOGUE.with_suffix(".mo")
    assert compiled.exists(), "locale/fr/LC_MESSAGES/django.mo is missing: run `make test` (it compiles it)"
    assert compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime, "the .mo is older than the .po: run `make test`"


def test_the_catalogue_compiles_with_matching_placeholders():
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed (apt-get install gettext), see README"
    # --check: every %(name)s of a msgid is in its msgstr (a missing one would raise KeyError on the page).
    result = subprocess.run(
        [msgfmt, "--check", "--output-file=/dev/null", str(CATALOGUE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_organisation_style_is_kept():
    translations = {entry.msgid: entry.msgstr for entry in polib.pofile(str(CATALOGUE)) if not entry.msgid_plural}
    assert translations["Cooperation entries"] == "Fiches de coopération"
    assert (
        "Registre de la coopération"
        in translations[
            'Nothing matches. Try fewer or other words, or browse the <a href="%(record_url)s">record of cooperation</a>.'
        ]
    )


# --- Pages in French -------------------------------------------------------------------------------

ENGLISH_WORDS = ("Page not found", "Go to the home page", "Skip to main content", "There is no page")


@pytest.mark.django_db
def test_the_404_page_under_fr_is_in_french(client):
    response = client.get("/fr/no-such-page/")
    assert response.status_code == 404
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.html["lang"] == "fr"
    assert soup.h1.get_text(strip=True) == "Page introuvable"
    assert "Aller à la page d’accueil" in soup.get_text()
    assert "Aller au contenu principal" in soup.select_one(".skip-link").get_text()
    for english in ENGLISH_WORDS:
        assert english not in response.content.decode()


@pytest.mark.django_db
def test_the_404_page_without_prefix_stays_english(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.h1.get_text(strip=True) == "Page not found"
    assert "Skip to main content" in soup.select_one(".skip-link").get_text()


@pytest.mark.parametrize(
    ("page", "title", "english"),
    [
        ("500", "Une erreur s’est produite", "Something went wrong"),
        ("503", "Temporairement indisponible", "unavailable"),
    ],
)
def test_the_error_pages_follow_the_language(page, title, english):
    """500 and 503 are rendered without a request context (no query): the active language still applies."""
    request = RequestFactory().get("/fr/")
    with translation.override("fr"):
        response = server_error(request) if page == "500" else database_unavailable_response()
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.html["lang"] == "fr"
    assert soup.title.get_text() == title and soup.h1.get_text() == title
    assert "Aller à la page d’accueil" in soup.get_text()
    assert english not in soup.get_text()


def render_record(query=""):
    request = RequestFactory().get(f"/cooperation/?{query}")
    response = record(request, CooperationRecordPage.objects.live().get())
    return BeautifulSoup(response.render().content, "html.parser")


RECORD_ENGLISH = ("Filter the entries", "Apply filters", "Clear all", "Search the entries", "Sort by", "Newest first")


def test_the_record_filters_in_french(loaded):
    with translation.override("fr"):
        soup = render_record("year_from=2015&year_to=2010&page=x")
    form = soup.select_one("form.filters")
    assert soup.select_one("#filters-title").get_text(strip=True) == "Filtrer les fiches"
    assert form["aria-labelledby"] == "filters-title"
    assert form.select_one("label[for=id_q]").get_text(strip=True) == "Rechercher dans les fiches"
    assert form.select_one("button").get_text(strip=True) == "Appliquer les filtres"
    assert [option.get_text() for option in form.select("#id_sort option")] == [
        "Les plus récentes d’abord",
        "Les plus anciennes d’abord",
        "Titre de A à Z",
    ]
    assert "Type" in [summary.get_text(strip=True) for summary in form.select("summary")]
    assert "Contribution financière" in form.get_text()  # a kind's label, from the model's choices
    notices = soup.select_one(".notice").get_text(" ", strip=True)
    assert "Les années étaient inversées ; affichage de 2010 à 2015." in notices
    assert "Le numéro de page n’était pas un nombre ; affichage de la première page." in notices
    for english in RECORD_ENGLISH:
        assert english not in str(soup)


# --- Plurals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [("en", 1, "1 entry"), ("en", 2, "2 entries"), ("fr", 0, "0 fiche"), ("fr", 1, "1 fiche"), ("fr", 2, "2 fiches")],
)
def test_the_number_of_entries(language, count, expected):
    with translation.override(language):
        assert ngettext("%(counter)s entry", "%(counter)s entries", count) % {"counter": count} == expected


def test_the_record_heading_counts_in_french(loaded):
    with translation.override("fr"):
        soup = render_record("partner=japan")
        heading = soup.select_one("#results-title").get_text(strip=True)
    number = int(heading.split()[0])
    assert number > 1 and heading.split(",")[0] == f"{number} fiches" and ", page 1 sur 2" in heading
    facet_count = soup.select_one(".facet__count").get_text(strip=True)
    assert re.fullmatch(r"\d+ fiches?", facet_count)


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (1, "Il n’y a que 1 page de résultats ; affichage de la dernière."),
        (3, "Il n’y a que 3 pages de résultats ; affichage de la dernière."),
    ],
)
def test_a_page_number_too_high_is_told_in_french(pages, expected):
    paginator = Paginator(range(pages * 10), 10)
    with translation.override("fr"):
        assert page_number("99", paginator) == (pages, expected)
    with translation.override("en"):
        notice = page_number("99", paginator)[1]
    assert notice == (
        "There is only 1 page of results; showing the last one."
        if pages == 1
        else f"There are only {pages} pages of results; showing the last one."
    )


# --- The entry form's script -----------------------------------------------------------------------


def test_the_entry_form_script_gets_its_words_from_the_widgets():
    """entry-form.js reads what it writes from the widgets' data-text-* attributes, translated here."""
    with translation.override("fr"):
        picker = BeautifulSoup(SentencePicker().render("source_quote", "", {"id": "id_source_quote"}), "html.parser")
        period = BeautifulSoup(PeriodInput().render("period", "", {"id": "id_period"}), "html.parser")
        checkboxes = FilteredCheckboxList("lieux").render("places", [], {"id": "id_places"})
    container = picker.select_one("[data-sentence-picker]")
    assert container["data-text-loading"] == "Chargement des phrases du document…"
    assert container["data-text-sentences"] == "{count} phrases"
    assert container["data-text-no-match"] == "Aucune phrase du document ne contient ces mots."
    assert period.select_one(".period-input")["data-text-shown-as"] == "Affiché ainsi :"
    assert 'data-text-chosen="Choisis :"' in checkboxes
    script = (PROJECT_DIR / "static" / "partnership" / "admin" / "entry-form.js").read_text()
    named = {
        attribute.removeprefix("data-text-") for attribute in container.attrs if attribute.startswith("data-text-")
    }
    named |= {"shown-as", "field-by-field", "chosen"}
    assert set(re.findall(r'say\(container, "([a-z-]+)"', script)) == named


# --- Messages from Python --------------------------------------------------------------------------


def test_an_import_refused_is_explained_in_french():
    with translation.override("fr"), pytest.raises(DocumentError) as refused:
        parse_document("Partners of the organisation\nNo title here.", "relations.txt")
    message = str(refused.value)
    assert message.startswith("« relations.txt » ne commence pas par un titre « Relations with <partenaire> »")
    assert "attendu un document « Relations with … » de l’organisation" in message
    with pytest.raises(DocumentError) as refused:
        parse_document("Partners of the organisation\nNo title here.", "relations.txt")
    assert str(refused.value).startswith("“relations.txt” does not start with a title “Relations with <partner>”")
