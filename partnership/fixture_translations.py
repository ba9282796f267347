"""Translations of the fixtures, loaded through wagtail-localize's own workflow from PO files.

The fixtures are English; their translations are PO files (``fixtures/fr/*.po``), one message per
translatable string of a fixture record or page, as wagtail-localize extracts it::

    msgctxt "cooperationentry:japan-initial-contacts:title"
    msgid "Initial contacts between NATO and Japan"
    msgstr "Premiers contacts entre l'OTAN et le Japon"

``msgctxt`` is ``<object key>:<segment path>``: the object key names the English record,
``<model name>:<English slug>`` for records (``area:cyber-defence``) and ``page:<English url_path>``
for pages (``page:/home/partners/japan/``); the segment path is wagtail-localize's
(``title``, ``body.<block id>.text``). Block ids differ between databases, so a message is matched by
(object key, msgid), never by the path alone. The PO header's ``Language`` names the target locale.

For each English record of the fixtures, in dependency order, ``FixtureTranslator.translate`` does
what a translator does in wagtail-localize's editor: update the translation source from the
English record, start (or reuse) the translation into the locale, export its PO, fill it from the
fixture PO, import it and save (and publish) the target. The French record remembers a fingerprint
of what was loaded (``fixture_checksum``: the English content and the messages, and the French
content written), so that a second load changes nothing and a translator's correction made since is
kept unless ``reset`` (as the English loader treats an editor's change).
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from wagtail.models import DraftStateMixin, Locale, Page
from wagtail_localize.models import Translation, TranslationSource
from wagtail_localize.strings import StringValue

from .po_syntax import syntax_problem
from .translation_status import translated_content

PO_SUFFIX = ".po"


class TranslationFileError(Exception):
    """Problems in the fixture PO files: a list of messages, each naming the file, record and msgid."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def display_path(path):
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def object_key(obj):
    """The key naming ``obj`` (an English record or page) in fixture PO files: ``area:cyber-defence``,
    ``page:/home/partners/japan/``."""
    if isinstance(obj, Page):
        return f"page:{obj.url_path}"
    return f"{obj._meta.model_name}:{obj.slug}"


def exchange_text(data):
    """A wagtail-localize message (its HTML form: ``<br/>`` for a new line, ``&amp;``) as the fixture PO files
    write it: plain text with real new lines. A message with inline markup (a link, bold in rich text)
    is written as wagtail-localize has it."""
    plain = StringValue(data).render_text()
    return plain if StringValue.from_plaintext(plain).data == data else data


def translated_data(data, msgstr):
    """The translation ``msgstr`` of the message ``data`` (as exchanged in the PO files) in wagtail-localize's form."""
    return StringValue.from_plaintext(msgstr).data if exchange_text(data) != data else msgstr


def split_context(context):
    """``(object key, segment path)`` of a msgctxt; raises ValueError when it has no object key."""
    kind, separator, rest = context.partition(":")
    if not separator or not kind:
        raise ValueError("has no object key")
    if kind == "page":
        end = rest.find("/:")
        if not rest.startswith("/") or end < 0:
            raise ValueError("names no page url_path (“page:/home/…/:path”)")
        return f"page:{rest[: end + 1]}", rest[end + 2 :]
    slug, separator, path = rest.partition(":")
    if not separator or not slug or not path:
        raise ValueError("is not “<model>:<slug>:<path>”")
    return f"{kind}:{slug}", path


@dataclass
class Message:
    msgstr: str
    path: Path
    line: int
    msgctxt: str
    used: bool = False

    def where(self):
        return f"{display_path(self.path)}, line {self.line}"


class Catalogue:
    """Every message of the fixture PO files of one language: ``messages[(object key, msgid)]``, a list."""

    def __init__(self, language):
        self.language = language
        self.messages = {}
        self.files = []

    def find(self, key, path, msgid):
        """The message translating ``msgid`` of the record ``key`` at the segment ``path``, or None.

        Matched by (object key, msgid), since block ids differ between databases; when one record has
        the same English text in two fields (a theme's name, and its quote of the document's heading),
        the message whose msgctxt names the path exactly wins.
        """
        candidates = self.messages.get((key, msgid), [])
        exact = [message for message in candidates if message.msgctxt == f"{key}:{path}"]
        return (exact or candidates or [None])[0]

    def all_messages(self):
        return [(key, msgid, message) for (key, msgid), messages in self.messages.items() for message in messages]


def find_translation_files(paths):
    """The PO files under ``paths`` (folders searched recursively, or PO files named), sorted."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob(f"*{PO_SUFFIX}") if p.is_file()))
        elif path.is_file() and path.suffix == PO_SUFFIX:
            files.append(path)
    return list(dict.fromkeys(files))


def read_catalogues(files):
    """``{language code: Catalogue}`` from PO files; raises TranslationFileError naming each problem.

    Refused: a file that is not UTF-8 or not valid PO syntax, a header without a configured
    ``Language`` (or the default language), a msgctxt without an object key, a message marked fuzzy,
    an empty msgstr, or one message given twice with different translations.
    """
    default = settings.LANGUAGE_CODE
    languages = {code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES} - {default}
    catalogues, problems = {}, []
    for path in files:
        where = display_path(path)
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except OSError as error:
            problems.append(f"{where}: cannot be read ({error})")
            continue
        except UnicodeDecodeError as error:
            problems.append(f"{where}: not UTF-8 text (byte {error.start}); save the file as UTF-8")
            continue
        if problem := syntax_problem(text):
            problems.append(f"{where}: not a valid PO file ({problem})")
            continue
        try:
            # The path, not the text: polib would read a text that happens to be a path as that file.
            po = polib.pofile(str(path), encoding="utf-8", check_for_duplicates=True)
        except (OSError, ValueError, UnicodeError) as error:
            problems.append(f"{where}: not a valid PO file ({error})")
            continue
        charset = po.metadata.get("Content-Type", "").partition("charset=")[2].strip().lower()
        if charset and charset not in ("utf-8", "utf8"):
            problems.append(f"{where}: declares charset “{charset}”; fixture PO files must be UTF-8")
            continue
        language = po.metadata.get("Language", "").strip().replace("_", "-").lower()
        if language not in languages:
            problems.append(
                f"{where}: the header's Language is “{language}”, not one of the translated languages "
                f"({', '.join(sorted(languages))})"
            )
            continue
        catalogue = catalogues.setdefault(language, Catalogue(language))
        catalogue.files.append(Path(path))
        for entry in po:
            if entry.obsolete:
                continue
            at = f"{where}, line {entry.linenum}"
            try:
                key, _path = split_context(entry.msgctxt or "")
            except ValueError as error:
                problems.append(f"{at}: msgctxt “{entry.msgctxt or ''}” {error}")
                continue
            if "fuzzy" in entry.flags:
                problems.append(f"{at}: record “{key}”, msgid “{short(entry.msgid)}”: marked fuzzy (not reviewed)")
                continue
            if not entry.msgstr.strip():
                problems.append(f"{at}: record “{key}”, msgid “{short(entry.msgid)}”: empty msgstr (not translated)")
                continue
            message = Message(entry.msgstr, Path(path), entry.linenum, entry.msgctxt)
            same = catalogue.messages.setdefault((key, entry.msgid), [])
            for earlier in same:
                if earlier.msgctxt == message.msgctxt and earlier.msgstr != message.msgstr:
                    problems.append(
                        f"{at}: record “{key}”, msgid “{short(entry.msgid)}”: translated differently at "
                        f"{earlier.where()}"
                    )
            same.append(message)
    if problems:
        raise TranslationFileError(problems)
    return catalogues


def short(text, limit=80):
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


class FixtureTranslator:
    """Translate English fixture records into one locale from a Catalogue, through wagtail-localize.

    ``translate(obj)`` returns the action (created, updated, overwritten, kept, unchanged) or None when
    it found problems, added to ``problems`` (the load fails at the end). ``unused_messages()`` lists
    the messages no record used (a record that does not exist, or English text that changed).
    """

    def __init__(self, catalogue, reset=False):
        self.catalogue = catalogue
        self.locale = Locale.objects.get(language_code=catalogue.language)
        self.reset = reset
        self.problems = []
        self.keys_seen = set()

    def translate(self, obj):
        key = object_key(obj)
        self.keys_seen.add(key)
        # As stored: the loader's instance may differ from its row in what the source extracts (dates set by
        # an update(), revisions), which would make the next load see a change where there is none.
        obj = type(obj)._default_manager.get(pk=obj.pk)
        source, _ = TranslationSource.update_or_create_from_instance(obj)
        template = source.export_po()  # the English messages, with their segment paths
        filled, missing = [], []
        for entry in template:
            message = self.catalogue.find(key, entry.msgctxt, exchange_text(entry.msgid))
            if message is None:
                missing.append(entry)
                continue
            message.used = True
            filled.append((entry.msgctxt, entry.msgid, translated_data(entry.msgid, message.msgstr)))
        # The files holding this record's other messages (where the missing one belongs), or every file.
        holding = sorted({str(m.path) for k, _msgid, m in self.catalogue.all_messages() if k == key})
        files = ", ".join(display_path(path) for path in holding or self.catalogue.files)
        for entry in missing:
            self.problems.append(
                f"{files}: no translation for record “{key}”, msgid “{short(exchange_text(entry.msgid))}” "
                f"(msgctxt “{key}:{entry.msgctxt}”)"
            )
        if missing:
            return None

        inputs = json.dumps([source.content_json, sorted(filled)], ensure_ascii=False)
        input_fingerprint = hashlib.sha256(inputs.encode()).hexdigest()[:32]
        existing = obj.get_translation_or_none(self.locale)
        if existing is not None:
            existing = existing.specific if isinstance(existing, Page) else existing
            loaded_inputs, loaded_content = existing.fixture_checksum[:32], existing.fixture_checksum[32:]
            touched = translated_content(existing)[:32] != loaded_content or (
                isinstance(existing, DraftStateMixin) and (existing.has_unpublished_changes or not existing.live)
            )
            if not touched and loaded_inputs == input_fingerprint:
                return "unchanged"
            if touched and not self.reset:
                return "kept"
            action = "overwritten" if touched else "updated"
        else:
            action = "created"
        try:
            with transaction.atomic():
                target = self._save(source, filled)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                where = "" if field == "__all__" else f", field “{field}”"
                self.problems.extend(f"{files}: record “{key}”{where} in French: {message}" for message in messages)
            return None
        dates = {}
        if action == "created" and getattr(obj, "last_published_at", None):
            # A translation loaded with the fixtures was published when its original was (the document's
            # date), so the French page's "last updated" reads as the English one does.
            dates = {"first_published_at": obj.first_published_at, "last_published_at": obj.last_published_at}
        type(target).objects.filter(pk=target.pk).update(
            fixture_checksum=input_fingerprint + translated_content(target)[:32], **dates
        )
        return action

    def _save(self, source, filled):
        translation, _ = Translation.objects.get_or_create(
            source=source, target_locale=self.locale, defaults={"enabled": True}
        )
        if not translation.enabled:
            translation.enabled = True
            translation.save(update_fields=["enabled"])
        po = translation.export_po()
        by_context = {(msgctxt, msgid): msgstr for msgctxt, msgid, msgstr in filled}
        for entry in po:
            if not entry.obsolete:
                entry.msgstr = by_context.get((entry.msgctxt, entry.msgid), "")
        translation.import_po(po, tool_name="load_fixtures")
        drafts = isinstance(source.as_instance(), DraftStateMixin)
        # A page's or an entry's translation is published here, in the load's transaction (all or
        # nothing); save_target(publish=True) would publish it only once the transaction commits.
        translation.save_target(publish=not drafts)
        target = translation.get_target_instance()
        target = target.specific if isinstance(target, Page) else target
        if drafts:
            target.get_latest_revision().publish(log_action=True)
            target.refresh_from_db()
        return target

    def unused_messages(self):
        """Problems for the messages no record used: ``file, line: record …, msgid …: …``."""
        problems = []
        used = {(key, msgid) for key, msgid, message in self.catalogue.all_messages() if message.used}
        for key, msgid, message in self.catalogue.all_messages():
            if message.used or (key, msgid) in used:
                continue
            if key not in self.keys_seen:
                reason = "there is no such record in the fixtures"
            else:
                reason = "not in the record's English text (changed since it was translated?)"
            problems.append(f"{message.where()}: record “{key}”, msgid “{short(msgid)}”: {reason}")
        return problems
