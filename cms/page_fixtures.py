"""The ``pages`` section of the fixtures: the home page, the partners index and partner pages.

Same rules as every other section (see partnership.loader): matched by slug
under their parent, created as published revisions, an editor's change (even
an unpublished draft) kept unless ``reset``, all or nothing. The first load
replaces Wagtail's default welcome page and site with the home page.
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.models import Page, Site

from partnership.loader import FieldProblem

from .models import CooperationRecordPage, HomePage, PartnerPage, PartnersIndexPage
from .placeholder import placeholder_image

PAGE_TYPES = {
    "home": HomePage,
    "partners-index": PartnersIndexPage,
    "partner": PartnerPage,
    "record": CooperationRecordPage,
}
COMMON_KEYS = {"slug", "type", "parent", "title", "seo_title", "search_description", "published"}
TYPE_KEYS = {
    "home": {"intro"},
    "partners-index": {"intro"},
    "record": {"intro"},
    "partner": {"partner", "lead", "photo_caption", "photo_alt", "highlights", "body"},
}
# Chooser blocks in a body name records by slug in fixtures; they are stored by id.
CHOOSER_SECTIONS = {"area": "areas", "programme": "programmes"}


class PageFixtures:
    def __init__(self, loader, report):
        self.loader = loader
        self.report = report
        self.pages = {}

    # -- order ------------------------------------------------------------------------------

    def in_tree_order(self, records):
        """Parents before children, whatever the order of files; an unknown parent is a problem."""
        by_slug = {record.slug: record for record in records}
        placed, ordered, pending = set(), [], list(records)
        while pending:
            ready = [r for r in pending if not r.data.get("parent") or r.data.get("parent") in placed]
            if not ready:
                break
            for record in ready:
                ordered.append(record)
                placed.add(record.slug)
                pending.remove(record)
        for record in pending:
            parent = record.data.get("parent")
            if parent in by_slug:
                self.loader.add_problem(record, "parent", f"page “{parent}” is part of a loop of parents")
            else:
                ordered.append(record)  # it may be an existing page; load() says if it is not
        return ordered

    # -- one record -------------------------------------------------------------------------

    def load(self, record):
        data, problems = record.data, []

        def problem(key, message):
            problems.append((key, message))

        page_type = data.get("type")
        model = PAGE_TYPES.get(page_type)
        if model is None:
            problem("type", f"“{page_type}” is not a page type (one of: {', '.join(PAGE_TYPES)})")
            return self._report_problems(record, problems)
        allowed = COMMON_KEYS | TYPE_KEYS[page_type]
        for key in data:
            if key not in allowed:
                problem(key, f"unknown field for a {page_type} page (expected: {', '.join(sorted(allowed))})")
        for key in ("slug", "title", *(["parent"] if page_type != "home" else [])):
            if not data.get(key):
                problem(key, "missing required field")
        values = self._values(record, page_type, problem)
        if problems:
            return self._report_problems(record, problems)

        parent = None if page_type == "home" else self._parent(data["parent"], problem)
        if problems:
            return self._report_problems(record, problems)
        existing = self._existing(model, data["slug"], parent, problem)
        if problems:
            return self._report_problems(record, problems)

        if existing is not None:
            latest = existing.get_latest_revision_as_object()
            current = page_checksum(latest, values)
            page = latest
        else:
            current, page = None, model(slug=data["slug"])
        for name, value in values.items():
            setattr(page, name, value)
        desired = page_checksum(page, values)
        action = self._decide(existing, current, desired)
        self.report.add(self.loader.pages_section, action, data["slug"])
        if action in ("created", "updated", "overwritten"):
            page.fixture_checksum = desired
            try:
                page = self._save(page, parent, created=existing is None, published=data.get("published"))
            except ValidationError as error:
                for attr, messages in error.message_dict.items():
                    for message in messages:
                        problem(None if attr == "__all__" else attr, message)
                return self._report_problems(record, problems)
        self.pages[data["slug"]] = existing if page is None else page
        return None

    def _report_problems(self, record, problems):
        for key, message in problems:
            self.loader.add_problem(record, key, message)

    def _values(self, record, page_type, problem):
        data = record.data
        values = {
            "title": data.get("title") or "",
            "seo_title": data.get("seo_title") or "",
            "search_description": data.get("search_description") or "",
        }
        if data.get("published"):
            try:
                parse_moment(data["published"])
            except ValidationError as error:
                problem("published", error.message_dict["published"][0])
        if page_type in ("home", "partners-index", "record"):
            values["intro"] = data.get("intro") or ""
        if page_type == "partner":
            if not data.get("partner"):
                problem("partner", "missing required field")
            else:
                try:
                    values["partner"] = self.loader.lookup("partners", data["partner"])
                except FieldProblem as error:
                    problem("partner", str(error))
            if not data.get("lead"):
                problem("lead", "missing required field")
            values["lead"] = " ".join(str(data.get("lead") or "").split())
            caption = str(data.get("photo_caption") or "").strip()
            values["image_caption"] = caption
            # A newly stored placeholder file is deleted again if the load is rolled back (or a dry run).
            values["image"] = (
                placeholder_image(caption, on_create=lambda image: self.loader.discard_on_rollback(image.file))
                if caption
                else None
            )
            # The photo's alt text says what the picture is (the placeholder), not what the caption describes.
            alt = " ".join(str(data.get("photo_alt") or "").split())
            values["image_alt"] = (alt or values["image"].description) if values["image"] else ""
            highlights = data.get("highlights") or []
            if not isinstance(highlights, list) or not all(isinstance(h, str) for h in highlights):
                problem("highlights", "must be a list of rich-text paragraphs")
            else:
                values["highlights"] = self._stream(
                    PartnerPage, "highlights", [{"type": "highlight", "value": h} for h in highlights], problem
                )
            values["body"] = self._stream(PartnerPage, "body", data.get("body") or [], problem)
        return values

    def _stream(self, model, field_name, raw, problem):
        """Validate a StreamField's blocks: unknown block types are refused, never silently dropped."""
        stream_block = model._meta.get_field(field_name).stream_block
        if not isinstance(raw, list):
            problem(field_name, "must be a list of blocks")
            return None
        cleaned, failed = [], False
        for index, item in enumerate(raw):
            where = f"block {index + 1}"
            if not isinstance(item, dict) or set(item) - {"type", "value"} or "type" not in item:
                problem(field_name, f"{where}: must be a mapping with “type” and “value”")
                failed = True
                continue
            if item["type"] not in stream_block.child_blocks:
                known = ", ".join(stream_block.child_blocks)
                problem(field_name, f"{where}: unknown block type “{item['type']}” (expected one of: {known})")
                failed = True
                continue
            value = item.get("value")
            if isinstance(value, dict):
                value = dict(value)
                for key, section in CHOOSER_SECTIONS.items():
                    if value.get(key):
                        try:
                            value[key] = self.loader.lookup(section, value[key]).pk
                        except FieldProblem as error:
                            problem(field_name, f"{where}, “{key}”: {error}")
                            failed = True
            cleaned.append({"type": item["type"], "value": value})
        if failed:
            return None
        try:
            stream = stream_block.to_python(cleaned)
            stream_block.clean(stream)
        except ValidationError as error:
            problem(field_name, f"invalid block content: {describe(error)}")
            return None
        return stream

    def _parent(self, slug, problem):
        parent = self.pages.get(slug)
        if parent is None:
            parent = Page.objects.filter(slug=slug, depth__gte=2).specific().first()
        if parent is None:
            problem("parent", f"unknown page “{slug}”")
        return parent

    def _existing(self, model, slug, parent, problem):
        if parent is None:
            existing = Page.objects.filter(depth=2, slug=slug).first()
        else:
            existing = parent.get_children().filter(slug=slug).first()
        if existing is None:
            return None
        existing = existing.specific
        if not isinstance(existing, model):
            if parent is None and is_wagtail_welcome_page(existing):
                return None  # replaced when the home page is created
            problem("slug", f"a page “{slug}” already exists there and is a {type(existing).__name__}")
            return None
        return existing

    def _decide(self, existing, current, desired):
        if existing is None:
            return "created"
        if self.loader.draft:
            return "unchanged" if current == desired else "kept"  # an import never changes a page
        # An editor who unpublished a page, or left a draft, has changed it too.
        touched = not existing.live or existing.has_unpublished_changes
        if current == desired and not touched:
            return "unchanged"
        if current == existing.fixture_checksum and not touched:
            return "updated"
        return "overwritten" if self.loader.reset else "kept"

    def _save(self, page, parent, created, published):
        if created and isinstance(page, HomePage):
            replace_welcome_page(page)
        elif created:
            if self.loader.draft:
                page.live = False
            parent.add_child(instance=page)
        revision = page.save_revision(log_action=True)
        if self.loader.draft:
            return page  # a proposal, for an editor to review and publish
        revision.publish(log_action=True)
        if created and published:
            moment = parse_moment(published)
            Page.objects.filter(pk=page.pk).update(first_published_at=moment, last_published_at=moment)
            page.first_published_at = page.last_published_at = moment
        return page


def is_wagtail_welcome_page(page):
    return type(page) is Page and page.depth == 2 and not page.get_children().exists()


def replace_welcome_page(home):
    """Put the home page where Wagtail's welcome page was, and make it the default site's root.

    The site is moved to the new home before the welcome page goes, so that its host name (and
    whatever hangs on it: settings, redirects) is kept rather than deleted with the old root.
    """
    root = Page.get_first_root_node()
    welcome = [p for p in root.get_children().filter(slug=home.slug) if is_wagtail_welcome_page(p.specific)]
    for page in welcome:
        Page.objects.filter(pk=page.pk).update(slug=f"{page.slug}-replaced-{page.pk}")
    root.add_child(instance=home)
    site = Site.objects.filter(is_default_site=True).first() or Site(
        hostname="localhost", port=80, is_default_site=True
    )
    site.root_page = home
    site.site_name = site.site_name or settings.WAGTAIL_SITE_NAME
    site.save()
    for page in welcome:
        Page.objects.get(pk=page.pk).delete()


def parse_moment(value):
    moment = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
    if moment is None:
        raise ValidationError({"published": f"“{value}” is not a date and time such as 2018-09-12 12:49"})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def describe(error):
    if hasattr(error, "as_json_data"):
        return json.dumps(error.as_json_data(), ensure_ascii=False)
    return "; ".join(error.messages)


def strip_ids(value):
    if isinstance(value, list):
        return [strip_ids(item) for item in value]
    if isinstance(value, dict):
        return {key: strip_ids(item) for key, item in value.items() if not (key == "id" and "type" in value)}
    return value


def page_checksum(page, values):
    fingerprint = {"slug": page.slug}
    for name in values:
        value = getattr(page, name, None)
        if hasattr(value, "get_prep_value"):  # a StreamValue
            value = strip_ids(value.get_prep_value())
        elif hasattr(value, "pk"):
            value = getattr(value, "slug", None) or getattr(value, "title", None)
        elif isinstance(value, str):
            value = value.replace("\r\n", "\n")
        fingerprint[name] = value
    encoded = json.dumps(fingerprint, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()
