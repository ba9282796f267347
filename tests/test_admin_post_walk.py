"""Every admin URL that accepts a POST, for every role, against a locked, published entry and page.

The URLs are enumerated from the URL resolver (not picked by hand); each is posted twice (empty, and
with a plausible form that would change the locked objects and publish them), each time inside a
transaction rolled back afterwards, so that every request meets the same database. What must hold:

- a locked object is never modified by anyone but its lock holder, except its unlocking by those
  allowed to unlock (Moderators, superusers);
- anonymous visitors and users without a group change nothing at all;
- Editors publish, unpublish and delete nothing, and touch no user, group or permission;
- Moderators touch no user, group or permission;
- nothing answers a server error.
"""

import itertools
import re

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from wagtail.contrib.redirects.models import Redirect
from wagtail.images.models import Image
from wagtail.models import Collection, Locale, Page, Site, Task, Workflow

from cms.models import PartnerPage
from partnership.models import CooperationEntry, Partner
from tests.test_access import all_url_patterns, png_bytes, read_only
from tests.test_editors import entry_form, page_form

from .conftest import SNAPSHOT_APPS

pytestmark = pytest.mark.django_db

SLUG = "japan-liaison-officer-maritime-command"
ROLES = ["anonymous", "nogroup", "editor", "moderator", "superuser"]
LOCK_FIELDS = {"locked", "locked_at", "locked_by_id"}
# Wagtail's own view that raises an error on purpose, so that a superuser can check error reporting.
ERROR_TEST_URL = "/admin/failwhale/"


@pytest.fixture
def world(loaded, django_user_model):
    from django.core.files.base import ContentFile

    users = {"anonymous": None}
    users["nogroup"] = django_user_model.objects.create_user("nogroup", password="nogroup-password-1")
    for role in ("editor", "moderator"):
        user = django_user_model.objects.create_user(role, password=f"{role}-password-1")
        user.groups.add(Group.objects.get(name=f"{role.title()}s"))
        users[role] = user
    users["superuser"] = django_user_model.objects.create_superuser("superuser", "", "superuser-password-1")
    holder = django_user_model.objects.create_user("holder", password="holder-password-1")
    holder.groups.add(Group.objects.get(name="Moderators"))
    users["holder"] = holder

    entry = CooperationEntry.objects.get(slug=SLUG)
    page = PartnerPage.objects.get()
    assert entry.live and page.live
    for obj in (entry, page):
        obj.locked, obj.locked_by = True, holder
        obj.save(update_fields=["locked", "locked_by"] if isinstance(obj, CooperationEntry) else None)
    from django.utils import timezone

    CooperationEntry.objects.filter(pk=entry.pk).update(locked_at=timezone.now())
    Page.objects.filter(pk=page.pk).update(locked=True, locked_by=holder, locked_at=timezone.now())
    child = Collection.get_first_root_node().add_child(name="A collection")
    return {
        "users": users,
        "entry": entry,
        "page": page,
        "partner": Partner.objects.get(slug="japan"),
        "image": Image.objects.create(title="An image", file=ContentFile(png_bytes(), name="an-image.png")),
        "collection": child,
        "redirect": Redirect.objects.create(old_path="/old", redirect_link="/new"),
        "workflow": Workflow.objects.first(),
        "task": Task.objects.first(),
    }


def routes():
    """Every admin route whose view takes a POST (the catch-all 404 aside)."""
    return [
        route
        for route, callback in all_url_patterns()
        if route.startswith("admin/") and not read_only(callback) and route != "admin/^.*/$"
    ]


def snippet_instance(route, w):
    match = re.search(r"snippets/(?:choose/)?partnership/(\w+)/", route)
    if not match:
        return None
    from django.apps import apps

    model = apps.get_model("partnership", match.group(1))
    if model is CooperationEntry:
        return w["entry"]
    return model.objects.order_by("pk").first()


def values_for(route, name, w):
    """The values to try for one URL parameter of one route (several where the choice matters)."""
    entry, page = w["entry"], w["page"]
    is_entry = "cooperationentry" in route
    if name in ("page_id", "page_to_move_id", "page_pk"):
        return [page.pk]
    if name == "parent_page_id":
        return [page.get_parent().pk, page.pk]
    if name == "destination_id":
        return [Page.objects.get(depth=2).pk]
    if name == "revision_id":
        return [(entry if is_entry else page).latest_revision_id]
    if name in ("content_type_app_name", "app_name"):
        return ["cms"]
    if name in ("content_type_model_name",):
        return ["partnerpage"]
    if name == "action_name":
        if "api/main" in route:
            return [
                "unpublish",
                "delete",
                "move",
                "copy",
                "publish",
                "lock",
                "unlock",
                "convert_alias",
                "revert_to_page_revision",
            ]
        return ["approve", "reject"]
    if name == "action":  # bulk actions
        return ["publish", "unpublish", "delete", "move", "lock", "unlock"]
    if name == "app_label":
        if route.startswith("admin/bulk/"):
            return ["wagtailcore", "partnership"]
        return ["partnership"]
    if name == "model_name":
        if route.startswith("admin/bulk/"):
            return ["page", "cooperationentry"]
        return ["cooperationentry" if "editing-sessions" in route else "partnerpage"]
    if name == "object_id":
        return [entry.pk]
    if name in ("image_id",):
        return [w["image"].pk]
    if name == "collection_id":
        return [w["collection"].pk]
    if name == "redirect_id":
        return [w["redirect"].pk]
    if name == "workflow_pk":
        return [w["workflow"].pk]
    if name == "task_id":
        return [w["task"].pk]
    if name == "filter_spec":
        return ["original"]
    if name in ("uidb64", "token"):
        return ["x"]
    if name == "pk":
        if instance := snippet_instance(route, w):
            return [instance.pk]
        if "api/main" in route:
            return [page.pk]
        for prefix, value in (
            ("admin/sites/", lambda: Site.objects.first().pk),
            ("admin/users/", lambda: w["users"]["holder"].pk),
            ("admin/groups/", lambda: Group.objects.get(name="Editors").pk),
            ("admin/locales/", lambda: Locale.objects.first().pk),
            ("admin/collections/", lambda: w["collection"].pk),
            ("admin/workflows/tasks/", lambda: w["task"].pk),
            ("admin/workflows/", lambda: w["workflow"].pk),
        ):
            if route.startswith(prefix):
                return [value()]
        return [1]
    return [1]  # ids of things that do not exist here (uploads, sessions, task states): a 404 is fine


def urls(w):
    """(route, url) for every POST route, with every combination of its parameters' values."""
    for route in routes():
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        for combination in itertools.product(*(values_for(route, n, w) for n in names)):
            url = route
            for name, value in zip(names, combination, strict=True):
                url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url, count=1)
            url = "/" + url.replace("^", "")
            if route.startswith("admin/bulk/"):
                target = w["entry"] if "cooperationentry" in url else w["page"]
                url += f"?id={target.pk}&next=/admin/"
            yield route, url


def payloads(route, w):
    """An empty POST, and a form that would change the locked entry or page (and publish it)."""
    publish = {"action-publish": "publish"}
    if "cooperationentry" in route or route.startswith("admin/editing-sessions"):
        form = entry_form(w["entry"], title="Tampered", **publish)
    elif "pages" in route or "bulk" in route:
        form = page_form(w["page"], title="Tampered", **publish)
    else:
        form = {"title": "Tampered", "name": "Tampered", "username": "tampered", "confirm": "yes", **publish}
    forms = [{}, form]
    if "cooperationentry" in route or "pages" in route:
        forms.append({k: v for k, v in form.items() if k != "action-publish"})  # a plain save (the copy exploit)
    return forms


def row(obj):
    return obj.__class__._base_manager.filter(pk=obj.pk).values().first()


def locked_state(w):
    """The locked entry and page: their rows, revisions, workflow states and log entries."""
    from wagtail.models import ModelLogEntry, PageLogEntry, Revision, WorkflowState

    state = {}
    for key in ("entry", "page"):
        obj = w[key]
        base = obj.specific if key == "page" else obj
        rows = [row(base)] if key == "entry" else [row(Page(pk=obj.pk)), row(obj)]
        state[key] = {
            "rows": rows,
            "revisions": list(Revision.objects.for_instance(base).values_list("pk", flat=True)),
            "workflow": list(WorkflowState.objects.for_instance(base).values_list("pk", "status")),
        }
    state["logs"] = (ModelLogEntry.objects.count(), PageLogEntry.objects.count())
    return state


def without_lock(state):
    return {
        key: {
            **value,
            "rows": [{k: v for k, v in r.items() if k not in LOCK_FIELDS} if r else r for r in value["rows"]],
        }
        for key, value in state.items()
        if key != "logs"
    }


def publication(w):
    entries = list(CooperationEntry.objects.order_by("pk").values_list("pk", "live", "live_revision_id"))
    pages = list(Page.objects.order_by("pk").values_list("pk", "live", "live_revision_id", "path"))
    return entries, pages


def people_and_permissions():
    from django.contrib.auth import get_user_model
    from wagtail.models import GroupPagePermission

    User = get_user_model()
    return (
        list(User.objects.order_by("pk").values()),
        list(Group.objects.order_by("pk").values_list("pk", "name")),
        list(Group.permissions.through.objects.order_by("pk").values_list("group_id", "permission_id")),
        list(User.user_permissions.through.objects.order_by("pk").values_list("user_id", "permission_id")),
        list(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id")),
        list(GroupPagePermission.objects.order_by("pk").values_list("group_id", "page_id", "permission_id")),
    )


def check(role, w, before, after, response, label):
    problems = []
    if response.status_code >= 500 and label.split()[1] != ERROR_TEST_URL:
        problems.append(f"{label}: HTTP {response.status_code}")
    if role in ("anonymous", "nogroup"):
        # No admin access: nothing at all may change (no row added or removed anywhere, nothing about
        # the locked objects, what is published, or people).
        changed = [table for table in before["all"] if before["all"][table] != after["all"].get(table)]
        changed += [key for key in ("locked", "publication", "people") if before[key] != after[key]]
        if changed:
            problems.append(f"{label}: changed {changed}")
        return problems
    if without_lock(after["locked"]) != without_lock(before["locked"]):
        problems.append(f"{label}: the locked entry or page was modified")
    for key in ("entry", "page"):
        lock_before = {k: v for k, v in before["locked"][key]["rows"][0].items() if k in LOCK_FIELDS}
        row_after = after["locked"][key]["rows"][0]
        lock_after = {k: v for k, v in row_after.items() if k in LOCK_FIELDS} if row_after else None
        if lock_after != lock_before and not (
            role in ("moderator", "superuser") and lock_after and not lock_after["locked"]
        ):
            problems.append(f"{label}: the {key}'s lock changed to {lock_after}")
    if role == "editor" and after["publication"] != before["publication"]:
        problems.append(f"{label}: an Editor changed what is published")
    if role in ("editor", "moderator") and after["people"] != before["people"]:
        problems.append(f"{label}: users, groups or permissions changed")
    return problems


def row_counts():
    """How many rows every table of the site holds (cheap enough to take around every request)."""
    from django.apps import apps

    return {
        model._meta.db_table: model._base_manager.count()
        for app in SNAPSHOT_APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


def state(role, w):
    current = {"locked": locked_state(w), "publication": publication(w), "people": people_and_permissions()}
    if role in ("anonymous", "nogroup"):
        current["all"] = row_counts()
    return current


class Rollback(Exception):
    pass


@pytest.mark.parametrize("role", ROLES)
def test_no_admin_post_changes_what_the_role_may_not_change(world, role):
    w = world
    client = Client(raise_request_exception=False)
    if w["users"][role] is not None:
        client.force_login(w["users"][role])
    problems = []
    tried = 0
    for route, url in urls(w):
        for data in payloads(route, w):
            before = state(role, w)
            try:
                with transaction.atomic():
                    response = client.post(url, data)
                    after = state(role, w)
                    raise Rollback
            except Rollback:
                pass
            tried += 1
            problems += check(
                role,
                w,
                before,
                after,
                response,
                f"POST {url} ({'publish' if 'action-publish' in data else 'save' if data else 'empty'})",
            )
    assert tried > 300
    assert not problems, "\n".join(problems)


def test_the_lock_holder_can_change_the_locked_entry_with_the_same_form(world):
    """The walk's form is one that really changes the entry, when its lock holder sends it."""
    client = Client()
    client.force_login(world["users"]["holder"])
    entry = world["entry"]
    response = client.post(
        f"/admin/snippets/partnership/cooperationentry/edit/{entry.pk}/", payloads("cooperationentry", world)[1]
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Tampered"
