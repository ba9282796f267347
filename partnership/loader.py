"""Load partnership fixtures into the database: idempotent, all or nothing, editors' changes kept.

A fixture file (YAML or JSON) is a mapping of sections to lists of records:

    sources:     documents facts are taken from (their text read from a file)
    frameworks:  partnership frameworks
    areas:       cooperation areas and themes
    places:      countries, regions, seas
    programmes:  programmes, funds, bodies, operations (``aliases``: other names, a list)
    partners:    partner countries
    entries:     cooperation entries

Records are matched to rows by slug (in the default locale). Each row keeps
the checksum of what was last loaded into it; a row whose content no longer
matches that checksum has been changed by an editor, and is kept unless
``reset`` is asked for. Everything runs in one transaction: any problem in any
record rolls the whole load back, and every problem found is reported, each
naming its file, record and field.
"""

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from modelcluster.models import ClusterableModel
from wagtail.models import DraftStateMixin, Locale, RevisionMixin
from wagtail.search import index as search_index

from .dates import FuzzyDate, InvalidFuzzyDate
from .fixture_translations import FixtureTranslator, TranslationFileError, find_translation_files, read_catalogues
from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument
from .roles import ensure_editorial_roles
from .signals import records_reordered

FIXTURE_SUFFIXES = (".yaml", ".yml", ".json")


class FixtureError(Exception):
    """One or more problems in the fixtures; nothing was written."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self):
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the fixtures; nothing was loaded:"
        return "\n".join([heading, *(f"  - {problem}" for problem in self.problems)])


class LoadFailed(Exception):
    """An error that is not the fixtures' fault (the database, the disk, a bug) stopped the load; nothing was written."""

    def __init__(self, stage, error):
        self.stage = stage
        self.error = error
        super().__init__(str(self))

    def __str__(self):
        detail = f"{type(self.error).__name__}: {self.error}".strip().rstrip(":")
        return (
            f"The load failed while {self.stage or 'starting'}, and was rolled back; nothing was loaded "
            f"(the database is as it was):\n  - {detail}"
        )


@dataclass
class Record:
    path: Path
    section: str
    index: int
    data: dict

    @property
    def slug(self):
        value = self.data.get("slug") if isinstance(self.data, dict) else None
        return None if value is None else str(value)

    def where(self):
        slug = f" (slug “{self.slug}”)" if self.slug else ""
        return f"{display_path(self.path)}: {self.section}[{self.index}]{slug}"


class FieldProblem(ValueError):
    pass


# --- How fixture fields become model attributes -------------------------------------------


@dataclass(frozen=True)
class Field:
    """A fixture key that sets one model attribute of the same or another name."""

    key: str
    attr: str = ""
    required: bool = False

    @property
    def target(self):
        return self.attr or self.key

    def attrs(self):
        return (self.target,)

    def empty(self):
        return {self.target: ""}

    def convert(self, value, loader, record):
        return {self.target: self.clean(value, loader, record)}

    def clean(self, value, loader, record):
        return value


class Text(Field):
    def clean(self, value, loader, record):
        if isinstance(value, list) and all(isinstance(line, str) for line in value):
            value = "\n".join(line.strip() for line in value)  # a quote of several sentences
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise FieldProblem(f"must be text, not {type(value).__name__}")
        return str(value).strip()


class Lines(Field):
    """A list of strings (or one string), stored one per line: a programme's aliases.

    A field added after fixtures were first loaded: left out of the checksum while empty, so that a
    row loaded before it existed is still recognised as unchanged rather than as an editor's change.
    """

    added_later = True

    def clean(self, value, loader, record):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
            raise FieldProblem("must be a list of names (or one name)")
        lines = [" ".join(line.split()) for line in value]
        if any("\n" in line for line in value) or not all(lines):
            raise FieldProblem("each name must be one non-empty line")
        if len({line.casefold() for line in lines}) != len(lines):
            raise FieldProblem("names the same alias twice")
        return "\n".join(lines)


@dataclass(frozen=True)
class Choice(Field):
    choices: type[models.TextChoices] | None = None

    def clean(self, value, loader, record):
        if value not in self.choices.values:
            raise FieldProblem(f"“{value}” is not one of: {', '.join(self.choices.values)}")
        return value


class Flag(Field):
    def empty(self):
        return {self.target: False}

    def clean(self, value, loader, record):
        if not isinstance(value, bool):
            raise FieldProblem(f"must be true or false, not “{value}”")
        return value


class Amount(Field):
    def empty(self):
        return {self.target: None}

    def clean(self, value, loader, record):
        if isinstance(value, bool):
            raise FieldProblem(f"must be a number, not “{value}”")
        try:
            amount = Decimal(str(value).replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise FieldProblem(f"“{value}” is not a number") from None
        if not amount.is_finite():
            raise FieldProblem(f"“{value}” is not a finite number")
        return amount


class Moment(Field):
    """A date and time, such as a document's “last updated” stamp (read as UTC)."""

    def empty(self):
        return {self.target: None}

    def clean(self, value, loader, record):
        if isinstance(value, datetime.datetime):
            moment = value
        else:
            try:
                moment = parse_datetime(str(value))
            except ValueError:
                moment = None
        if moment is None:
            raise FieldProblem(f"“{value}” is not a date and time such as 2018-09-12 12:49")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


class Period(Field):
    """A fuzzy date written as the document writes it; sets <key>_date and <key>_precision."""

    def attrs(self):
        return (f"{self.key}_date", f"{self.key}_precision")

    def empty(self):
        return {f"{self.key}_date": None, f"{self.key}_precision": ""}

    def convert(self, value, loader, record):
        try:
            fuzzy = FuzzyDate.parse(value)
        except InvalidFuzzyDate as error:
            raise FieldProblem(str(error)) from None
        return {f"{self.key}_date": fuzzy.date, f"{self.key}_precision": fuzzy.precision}


class FileText(Field):
    """The text of a file named relative to the fixture file, and inside its folder."""

    def clean(self, value, loader, record):
        folder = record.path.parent.resolve()
        path = (folder / str(value)).resolve()
        if not path.is_relative_to(folder):
            raise FieldProblem(f"“{value}” is outside the fixture's folder")
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise FieldProblem(f"cannot read “{value}”: {error}") from None


@dataclass(frozen=True)
class Ref(Field):
    """A slug naming a record of another section, by its slug."""

    section: str = ""

    def empty(self):
        return {self.target: None}

    def clean(self, value, loader, record):
        return loader.lookup(self.section, value)


@dataclass(frozen=True)
class Refs(Ref):
    """A list of slugs; sets a many-to-many relation."""

    def empty(self):
        return {self.target: []}

    def clean(self, value, loader, record):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise FieldProblem("must be a list of slugs")
        if len(set(map(str, value))) != len(value):
            raise FieldProblem("names the same slug twice")
        return [loader.lookup(self.section, slug) for slug in value]


@dataclass(frozen=True)
class Countries(Refs):
    """A list of place slugs that must all be countries (beneficiaries: a region or a sea is a place)."""

    def clean(self, value, loader, record):
        places = super().clean(value, loader, record)
        if others := [place.slug for place in places if place.kind != "country"]:
            raise FieldProblem(f"only countries can be beneficiaries; “{others[0]}” is not one (name it under places)")
        return places


PROVENANCE = (
    Ref("source", section="sources"),
    Text("section", attr="source_section"),
    Text("quote", attr="source_quote"),
)


@dataclass(frozen=True)
class Section:
    name: str
    noun: str
    model: type[models.Model]
    fields: tuple
    translatable: bool = True

    @property
    def m2m_fields(self):
        return [field for field in self.fields if isinstance(field, Refs)]

    @property
    def scalar_fields(self):
        return [field for field in self.fields if not isinstance(field, Refs)]

    def key_for_attr(self, attr):
        for field_ in self.fields:
            if attr in field_.attrs():
                return field_.key
        return attr


SLUG = Text("slug", required=True)

# In dependency order: a section may refer only to itself and those before it.
SECTIONS = (
    Section(
        "sources",
        "source document",
        SourceDocument,
        (
            SLUG,
            Text("title", required=True),
            Text("publisher"),
            Text("url"),
            Moment("last_updated"),
            # The text is read from a file beside the fixture, or given inline (as the importer writes it).
            FileText("file", attr="text"),
            Text("text"),
        ),
    ),
    Section("frameworks", "framework", Framework, (SLUG, Text("name", required=True), Text("description"))),
    Section(
        "areas",
        "area",
        Area,
        (
            SLUG,
            Text("name", required=True),
            Choice("category", choices=Area.Category, required=True),
            Text("description"),
            *PROVENANCE,
        ),
    ),
    Section(
        "places",
        "place",
        Place,
        (SLUG, Text("name", required=True), Choice("kind", choices=Place.Kind, required=True), Text("iso_code")),
    ),
    Section(
        "programmes",
        "programme",
        Programme,
        (
            SLUG,
            Text("name", required=True),
            Choice("kind", choices=Programme.Kind, required=True),
            Text("acronym"),
            Lines("aliases"),
            Ref("parent", section="programmes"),
            Text("description"),
            *PROVENANCE,
        ),
    ),
    Section(
        "partners",
        "partner",
        Partner,
        (
            SLUG,
            Text("name", required=True),
            Ref("framework", section="frameworks", required=True),
            Text("iso_code"),
            Refs("areas", section="areas"),
            *PROVENANCE,
        ),
    ),
    Section(
        "entries",
        "entry",
        CooperationEntry,
        (
            SLUG,
            Ref("partner", section="partners", required=True),
            Choice("kind", choices=CooperationEntry.Kind, required=True),
            Text("title", required=True),
            Text("description"),
            Period("start"),
            Period("end"),
            Flag("ongoing"),
            Amount("amount"),
            Text("currency"),
            Refs("areas", section="areas"),
            Refs("programmes", section="programmes"),
            Refs("places", section="places"),
            Countries("beneficiaries", section="places"),
            Ref("source", section="sources", required=True),
            Text("section", attr="source_section", required=True),
            Text("quote", attr="source_quote", required=True),
        ),
    ),
)
# Pages load last, through cms.page_fixtures, which checks their fields itself.
PAGES_SECTION = Section("pages", "page", None, ())
ALL_SECTIONS = (*SECTIONS, PAGES_SECTION)
SECTIONS_BY_NAME = {section.name: section for section in ALL_SECTIONS}


# --- Reading files -------------------------------------------------------------------------


def display_path(path):
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def find_fixture_files(paths):
    """Expand files and folders (searched recursively) into a sorted list of fixture files."""
    files, problems = [], []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in FIXTURE_SUFFIXES and p.is_file())
            if not found:
                problems.append(f"{display_path(path)}: no fixture files (*.yaml, *.yml, *.json) in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{display_path(path)}: no such file or folder")
    if problems:
        raise FixtureError(problems)
    return list(dict.fromkeys(files))


# What a fixture may expand to. The project's fixtures are tens of kilobytes, a few thousand values,
# nested six deep; these bounds are far above that and far below what exhausts memory or time.
MAX_FIXTURE_BYTES = 2 * 1024 * 1024
MAX_FIXTURE_VALUES = 1_000_000  # every scalar, list and mapping, counting each alias as what it expands to
MAX_FIXTURE_DEPTH = 50


class ParseBeyondBounds(ValueError):
    pass


def _yaml_node_bounds(root):
    """Check a composed YAML document before it is built: the values it expands to (an alias counts
    as the whole of what it names, so a "billion laughs" file of a few hundred bytes is caught
    without expanding it), how deep it nests, and no alias inside itself. Iterative, and each node
    is visited once however often aliases repeat it."""
    expanded, height = {}, {}  # id(node) -> values it expands to, levels below and including it
    on_path = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        if children_done:
            on_path.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            if expanded[key] > MAX_FIXTURE_VALUES:
                raise ParseBeyondBounds(f"expands to more than {MAX_FIXTURE_VALUES:,} values (aliases counted in full)")
            if height[key] > MAX_FIXTURE_DEPTH:
                raise ParseBeyondBounds(f"is nested more than {MAX_FIXTURE_DEPTH} levels deep")
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise ParseBeyondBounds("has an alias that refers to a value containing it (a loop)")
        if len(on_path) > MAX_FIXTURE_DEPTH:
            raise ParseBeyondBounds(f"is nested more than {MAX_FIXTURE_DEPTH} levels deep")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in expanded)
    return root


def _json_bounds(data):
    """Depth and size of parsed JSON (which has no aliases), level by level."""
    count, depth, level = 0, 0, [data]
    while level:
        depth += 1
        count += len(level)
        if depth > MAX_FIXTURE_DEPTH:
            raise ParseBeyondBounds(f"is nested more than {MAX_FIXTURE_DEPTH} levels deep")
        if count > MAX_FIXTURE_VALUES:
            raise ParseBeyondBounds(f"holds more than {MAX_FIXTURE_VALUES:,} values")
        below = []
        for value in level:
            if isinstance(value, dict):
                below.extend(value.values())
            elif isinstance(value, list):
                below.extend(value)
        level = below


def parse_fixture_text(text, suffix):
    """Parse a fixture's text as JSON or YAML within bounds; raises ParseBeyondBounds, or the parser's error."""
    if suffix == ".json":
        data = json.loads(text)
        _json_bounds(data)
        return data
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _yaml_node_bounds(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_fixture_file(path):
    """Parse one file into records, or raise FixtureError naming the file and what is wrong.

    A file larger than MAX_FIXTURE_BYTES, or one whose parse would expand beyond MAX_FIXTURE_VALUES
    values or MAX_FIXTURE_DEPTH levels (YAML aliases of aliases, deep nesting), is refused before it
    is built, in bounded time and memory.
    """
    where = display_path(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FIXTURE_BYTES:
            raise FixtureError(
                [f"{where}: refused: {size:,} bytes is larger than a fixture may be ({MAX_FIXTURE_BYTES:,} bytes)"]
            )
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError([f"{where}: cannot be read ({error})"]) from None
    try:
        data = parse_fixture_text(text, Path(path).suffix)
    except ParseBeyondBounds as error:
        raise FixtureError([f"{where}: refused: the file {error}, beyond what a fixture may hold"]) from None
    except RecursionError:
        raise FixtureError(
            [f"{where}: refused: the file is nested too deeply (at most {MAX_FIXTURE_DEPTH} levels)"]
        ) from None
    except json.JSONDecodeError as error:
        raise FixtureError(
            [f"{where}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise FixtureError([f"{where}: not valid YAML ({position}{reason})"]) from None
    if data is None:
        return []
    return records_from_data(data, path)


def records_from_data(data, path):
    """The records of parsed fixture ``data`` (as read from the file ``path``); raises FixtureError."""
    where = display_path(path)
    if not isinstance(data, dict):
        raise FixtureError([f"{where}: must be a mapping of sections ({', '.join(SECTIONS_BY_NAME)})"])
    problems, records = [], []
    for name, items in data.items():
        section = SECTIONS_BY_NAME.get(name)
        if section is None:
            problems.append(f"{where}: unknown section “{name}” (expected one of: {', '.join(SECTIONS_BY_NAME)})")
            continue
        if not isinstance(items, list):
            problems.append(f"{where}: section “{name}” must be a list of records")
            continue
        for index, item in enumerate(items):
            record = Record(Path(path), name, index, item)
            if not isinstance(item, dict):
                problems.append(f"{record.where()}: must be a mapping of fields")
                continue
            known = {field_.key for field_ in section.fields}
            for key in item if section.fields else ():
                if key not in known:
                    problems.append(
                        f"{record.where()}, field “{key}”: unknown field (expected: {', '.join(sorted(known))})"
                    )
            records.append(record)
    if problems:
        raise FixtureError(problems)
    return records


# --- Loading -------------------------------------------------------------------------------


@dataclass
class Report:
    """What a load did (or, in a dry run, would do), per section and per record."""

    dry_run: bool = False
    files: list = field(default_factory=list)
    roles_created: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    actions: list = field(default_factory=list)
    # Translations loaded from the fixture PO files: ``{(language code, section name): Counter}``.
    translation_counts: dict = field(default_factory=lambda: defaultdict(Counter))
    translation_actions: list = field(default_factory=list)  # (action, section, English slug, language)
    translation_files: list = field(default_factory=list)

    def add(self, section, action, slug):
        self.counts[section.name][action] += 1
        self.actions.append((action, section, slug))

    def add_translation(self, language, section, action, slug):
        self.translation_counts[(language, section.name)][action] += 1
        self.translation_actions.append((action, section, slug, language))

    def total(self, action):
        return sum(counter[action] for counter in (*self.counts.values(), *self.translation_counts.values()))

    @property
    def changed_anything(self):
        return any(self.total(action) for action in ("created", "updated", "overwritten"))


class FixtureLoader:
    """Load records from fixture files. Use ``load(paths)``; it raises FixtureError on any problem."""

    def __init__(self, reset=False, dry_run=False, progress=None, page_loader=None, draft=False, translations=True):
        self.reset = reset
        # Whether PO files found among the paths (fixtures/fr/*.po) are loaded as translations, after the
        # English records and in the same transaction (partnership.fixture_translations).
        self.translations = translations
        self.catalogues = {}
        # A draft load (the importer's) creates new entries and pages as drafts, unpublished, and never
        # changes a record or page that exists: what is there is an editor's.
        self.draft = draft
        # The ``pages`` section is the site's (cms.page_fixtures.PageFixtures): ``page_loader(loader, report)``
        # gives an object with ``in_tree_order(records) -> records`` and ``load(record)``, run in the load's
        # transaction; it reports through ``add_problem``, ``lookup`` and ``discard_on_rollback``.
        # Without one, fixtures that hold pages are refused.
        self.page_loader = page_loader
        self.dry_run = dry_run
        # ``progress`` wraps an iterable of records, e.g. with a progress bar.
        self.progress = progress or (lambda records, total: records)
        self.problems = []
        # What the load is doing, to name it if it fails: “loading japan.yaml: entries[3] (slug “…”)”.
        self.stage = None
        # Files written during the load (a placeholder photo), removed again if the load is rolled back.
        self.new_files = []
        # The page loader of the last load that had pages (its ``pages`` maps slugs to the pages loaded).
        self.pages = None

    def discard_on_rollback(self, field_file):
        """Remember a file just written, to delete it if the load fails or is a dry run."""
        self.new_files.append((field_file.storage, field_file.name))

    def _remove_new_files(self):
        while self.new_files:
            storage, name = self.new_files.pop()
            with suppress(OSError):  # already gone, or unwritable: nothing more to undo
                storage.delete(name)

    def load(self, paths):
        files = find_fixture_files(paths)
        records, problems = [], []
        for path in files:
            try:
                records.extend(read_fixture_file(path))
            except FixtureError as error:
                problems.extend(error.problems)
        self.translation_files = find_translation_files(paths) if self.translations and not self.draft else []
        try:
            self.catalogues = read_catalogues(self.translation_files)
        except TranslationFileError as error:
            problems.extend(error.problems)
        return self._load(files, records, problems)

    def load_data(self, data, name):
        """Load fixture ``data`` (a mapping of sections, as a fixture file holds) named ``name`` in messages."""
        try:
            records = records_from_data(data, Path(name))
        except FixtureError as error:
            raise FixtureError(error.problems) from None
        return self._load([Path(name)], records, [])

    def _load(self, files, records, problems):
        problems.extend(self._duplicate_slugs(records))
        if self.page_loader is None and any(record.section == "pages" for record in records):
            problems.append("pages: this loader loads no pages (load them with `manage.py load_fixtures`)")
        if problems:
            raise FixtureError(problems)

        report = Report(dry_run=self.dry_run, files=files)
        report.translation_files = list(getattr(self, "translation_files", []))
        self.stage = "starting"
        try:
            with transaction.atomic():
                with indexed_records_saved() as saved:
                    self._load_records(records, report)
                if self.problems:
                    transaction.set_rollback(True)
                    raise FixtureError(self.problems)
                if self.dry_run:
                    transaction.set_rollback(True)
                else:
                    # Wagtail has indexed each record as it was saved (its post_save handler), but
                    # through its task backend, which records a failure rather than raising it. Each
                    # record is indexed once more here so that a failure rolls the whole load back.
                    self.stage = "indexing the loaded records for search"
                    for instance in saved.values():
                        search_index.insert_or_update_object(instance)
                self.stage = "committing the load"
        except FixtureError:
            self._remove_new_files()
            raise
        except Exception as error:
            # The transaction is rolled back; so are the files it wrote.
            self._remove_new_files()
            raise LoadFailed(self.stage, error) from error
        except BaseException:  # KeyboardInterrupt, SystemExit: rolled back too; the caller says so
            self._remove_new_files()
            raise
        if self.dry_run:
            self._remove_new_files()
        else:
            self.new_files.clear()
        self.stage = None
        return report

    @staticmethod
    def _duplicate_slugs(records):
        first_seen, problems = {}, []
        for record in records:
            key = (record.section, record.slug)
            if record.slug is None:
                continue
            if key in first_seen:
                problems.append(
                    f"{record.where()}, field “slug”: duplicate slug “{record.slug}”, already used by {first_seen[key].where()}"
                )
            else:
                first_seen[key] = record
        return problems

    def _load_records(self, records, report):
        self.locale = Locale.get_default()
        self.known = {}
        by_section = defaultdict(list)
        for record in records:
            by_section[record.section].append(record)
        for section in SECTIONS:
            self.known[section.name] = self._existing(section)
        ordered = [record for section in SECTIONS for record in by_section[section.name]]
        pages = None
        if by_section["pages"]:
            pages = self.pages = self.page_loader(self, report)
            ordered += pages.in_tree_order(by_section["pages"])
        self.pages_section = PAGES_SECTION
        for record in self.progress(ordered, len(ordered)):
            self.stage = f"loading {record.where()}"
            if record.section == "pages":
                pages.load(record)
            else:
                self._load_record(SECTIONS_BY_NAME[record.section], record, report)
        if self.catalogues and not self.problems:
            self._load_translations(ordered, report)
        self.stage = "setting up the editorial roles and workflow"
        report.roles_created = ensure_editorial_roles()

    def _load_translations(self, ordered, report):
        """Translate every English record and page of the fixtures, in dependency order, from the PO files.

        A record whose English an editor changed since it was loaded (kept) is left to the translators:
        its French is kept too, whatever the PO files say.
        """
        english = {(section.name, slug): action for action, section, slug in report.actions}
        objects = []
        for record in ordered:
            if english.get((record.section, record.slug)) == "kept":
                objects.append((record, None))
            elif record.section == "pages":
                objects.append((record, self.pages.pages.get(record.slug)))
            else:
                objects.append((record, self.known[record.section].get(record.slug)))
        objects = _parents_first(objects)
        for language, catalogue in sorted(self.catalogues.items()):
            translator = FixtureTranslator(catalogue, reset=self.reset)
            for record, obj in objects:
                section = SECTIONS_BY_NAME[record.section]
                if obj is None:
                    report.add_translation(language, section, "kept", record.slug)
                    continue
                self.stage = f"translating {record.where()} into {language}"
                action = translator.translate(obj)
                if action:
                    report.add_translation(language, section, action, record.slug)
            if not translator.problems:
                translator.problems.extend(translator.unused_messages())
            self.problems.extend(translator.problems)

    def _existing(self, section):
        queryset = section.model.objects.all()
        if section.translatable:
            queryset = queryset.filter(locale=self.locale)
        related = [f.target for f in section.scalar_fields if isinstance(f, Ref)]
        queryset = queryset.select_related(*related).prefetch_related(*(f.target for f in section.m2m_fields))
        return {obj.slug: obj for obj in queryset}

    def lookup(self, section_name, slug):
        found = self.known[section_name].get(str(slug))
        if found is None:
            noun = SECTIONS_BY_NAME[section_name].noun
            raise FieldProblem(f"unknown {noun} “{slug}”")
        return found

    def add_problem(self, record, key, message):
        """Note a problem in ``record`` (at its field ``key``, or the whole record if None); the load fails at the end."""
        self.problems.append(f"{record.where()}, field “{key}”: {message}" if key else f"{record.where()}: {message}")

    def _load_record(self, section, record, report):
        values, failed = {}, False
        for field_ in section.fields:
            raw = record.data.get(field_.key)
            if raw is None or raw == "" or raw == []:
                if field_.required:
                    self.add_problem(record, field_.key, "missing required field")
                    failed = True
                # Two keys may set one attribute (a source's ``file`` or ``text``): an absent one clears nothing.
                values.update({name: value for name, value in field_.empty().items() if name not in values})
                continue
            try:
                values.update(field_.convert(raw, self, record))
            except FieldProblem as error:
                self.add_problem(record, field_.key, str(error))
                failed = True
        if failed:
            return

        m2m_names = [f.target for f in section.m2m_fields]
        scalars = {name: value for name, value in values.items() if name not in m2m_names}
        relations = {name: values[name] for name in m2m_names}
        if section.model is CooperationEntry:
            scalars["source_order"] = record.index + 1

        instance = self.known[section.name].get(record.slug)
        current = checksum(section, instance, current_relations(instance, m2m_names)) if instance else None
        if instance is None:
            instance = section.model(**({"locale": self.locale} if section.translatable else {}))
        for name, value in scalars.items():
            setattr(instance, name, value)
        desired = checksum(section, instance, relations)

        try:
            # Related records were found by the loader itself; the locale stays, for the unique slug check.
            instance.full_clean(
                exclude=[f.name for f in section.model._meta.fields if f.is_relation and f.name != "locale"]
            )
        except ValidationError as error:
            for attr, messages in error.message_dict.items():
                key = None if attr == "__all__" else section.key_for_attr(attr)
                for message in messages:
                    self.add_problem(record, key, message)
            return

        action = self._decide(instance, current, desired)
        report.add(section, action, record.slug)
        if action in ("created", "updated", "overwritten"):
            instance.fixture_checksum = desired
            if self.draft and isinstance(instance, DraftStateMixin):
                instance.live = False
            self._save(instance, relations)
            if self.draft and isinstance(instance, RevisionMixin):
                instance.save_revision(log_action=True)
            elif isinstance(instance, RevisionMixin):
                self._publish(instance, first_time=action == "created")
            self.known[section.name][record.slug] = instance
        elif action == "unchanged" and instance.fixture_checksum != desired:
            # An editor made the same change as the fixture: record it as loaded.
            section.model.objects.filter(pk=instance.pk).update(fixture_checksum=desired)
        if action in ("unchanged", "kept") and "source_order" in scalars:
            # A fact's place in its document is structure, not content: follow it without a new revision
            # (an entry inserted above others does not republish them all).
            moved = (
                section.model.objects.filter(pk=instance.pk)
                .exclude(source_order=scalars["source_order"])
                .update(source_order=scalars["source_order"])
            )
            if moved:
                # An update() sends no post_save: cached pages must still show the new order.
                records_reordered.send(sender=section.model)

    @staticmethod
    def _save(instance, relations):
        if isinstance(instance, ClusterableModel):
            # Parental relations are held in memory and written by save().
            for name, related in relations.items():
                getattr(instance, name).set(related)
            instance.save()
        else:
            instance.save()
            for name, related in relations.items():
                getattr(instance, name).set(related)

    @staticmethod
    def _publish(instance, first_time):
        """Publish through a revision, so that editors see the loaded version in the history."""
        instance.save_revision(log_action=True).publish(log_action=True)
        source_date = getattr(getattr(instance, "source", None), "last_updated", None)
        if first_time and source_date:
            # A fact loaded from a document was published when the document was.
            type(instance).objects.filter(pk=instance.pk).update(
                first_published_at=source_date, last_published_at=source_date
            )
            instance.first_published_at = instance.last_published_at = source_date

    def _decide(self, instance, current, desired):
        if current is None:
            return "created"
        if self.draft:
            return "unchanged" if current == desired else "kept"
        edited_draft = isinstance(instance, DraftStateMixin) and instance.has_unpublished_changes
        if current == desired and not edited_draft:
            return "unchanged"
        if current == instance.fixture_checksum and not edited_draft:
            return "updated"
        return "overwritten" if self.reset else "kept"


def _parents_first(objects):
    """``(record, obj)`` pairs with every programme after its parent (a translation's parent is the
    parent's translation, which must exist first); otherwise in the given (dependency) order."""
    order = {name: position for position, name in enumerate(SECTIONS_BY_NAME)}

    def depth(obj):
        level, seen = 0, set()
        while obj is not None and getattr(obj, "parent_id", None) and obj.pk not in seen:
            seen.add(obj.pk)
            obj, level = obj.parent, level + 1
        return level

    return sorted(
        objects,
        key=lambda pair: (
            order[pair[0].section],
            depth(pair[1]) if pair[0].section == "programmes" else 0,
        ),
    )


@contextmanager
def indexed_records_saved():
    """The records of indexed models saved inside the block: ``{(model, pk): instance}``."""
    saved = {}

    def remember(sender, instance, raw=False, **kwargs):
        if not raw and search_index.class_is_indexed(sender) and getattr(sender, "search_auto_update", True):
            saved[(sender, instance.pk)] = instance

    post_save.connect(remember, weak=False)
    try:
        yield saved
    finally:
        post_save.disconnect(remember)


def current_relations(instance, names):
    return {name: list(getattr(instance, name).all()) for name in names}


def checksum(section, instance, relations):
    """A fingerprint of exactly the attributes a fixture controls."""
    values = {}
    for field_ in section.scalar_fields:
        for attr in field_.attrs():
            value = canonical_value(getattr(instance, attr, None))
            if value in ("", None) and getattr(field_, "added_later", False):
                continue  # as the checksum was before the field existed
            values[attr] = value
    for name, related in relations.items():
        values[name] = sorted(obj.slug for obj in related)
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def canonical_value(value):
    if isinstance(value, models.Model):
        return value.slug
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        # Browsers send textarea lines ending in CRLF: not an editor's change.
        return value.replace("\r\n", "\n")
    return value
