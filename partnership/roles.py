"""The editorial roles: Editors write, translate and submit, Moderators approve and publish.

Wagtail's own migrations create both groups, their page permissions and the
“Moderators approval” workflow on the page tree; this makes sure they are all
there (whatever happened since) and adds what the cooperation records need.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowContentType,
    WorkflowPage,
    WorkflowTask,
)

from .models import Area, CooperationEntry, Framework, Partner, Place, Programme, SourceDocument

REFERENCE_MODELS = (Partner, Framework, Area, Programme, Place, SourceDocument)
# What an Editor may propose while writing an entry. A new programme, place or document is public only
# through an entry that a Moderator approves; changing or deleting existing ones stays with Moderators.
EDITOR_PROPOSES = (Programme, Place, SourceDocument)
ADMIN_BASICS = [
    "wagtailadmin.access_admin",
    *(f"wagtailimages.{action}_image" for action in ("add", "change", "choose")),
    *(f"wagtaildocs.{action}_document" for action in ("add", "change", "choose")),
]
EDITOR_PERMISSIONS = [
    *ADMIN_BASICS,
    "partnership.add_cooperationentry",
    "partnership.change_cooperationentry",
    "partnership.view_cooperationentry",
    *(f"partnership.view_{model._meta.model_name}" for model in REFERENCE_MODELS),
    *(f"partnership.add_{model._meta.model_name}" for model in EDITOR_PROPOSES),
    # Translating with wagtail-localize: start a translation, sync it with its English original. What an
    # Editor may then change and publish is what they may change and publish in English (entries, pages).
    "wagtail_localize.submit_translation",
]
MODERATOR_PERMISSIONS = [
    *EDITOR_PERMISSIONS,
    "partnership.publish_cooperationentry",
    "partnership.delete_cooperationentry",
    "partnership.lock_cooperationentry",
    "partnership.unlock_cooperationentry",
    *(
        f"partnership.{action}_{model._meta.model_name}"
        for model in REFERENCE_MODELS
        for action in ("add", "change", "delete")
    ),
]
PAGE_PERMISSIONS = {
    "Editors": ["add_page", "change_page"],
    "Moderators": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page", "bulk_delete_page"],
}
WORKFLOW_NAME = "Moderators approval"


def permission(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def ensure_editorial_roles():
    """Create or complete the groups, their permissions and the moderation workflow; returns what it created."""
    created = []
    groups = {}
    for name, permissions in (("Editors", EDITOR_PERMISSIONS), ("Moderators", MODERATOR_PERMISSIONS)):
        group, new = Group.objects.get_or_create(name=name)
        if new:
            created.append(f"group {name}")
        missing = [p for p in map(permission, permissions) if not group.permissions.filter(pk=p.pk).exists()]
        group.permissions.add(*missing)
        groups[name] = group
    root = Page.get_first_root_node()
    for name, codenames in PAGE_PERMISSIONS.items():
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=groups[name],
                page=root,
                permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
            )
    workflow, new = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if new:
        created.append(f"workflow {WORKFLOW_NAME}")
    if not workflow.workflow_tasks.exists():
        task, _ = GroupApprovalTask.objects.get_or_create(name=WORKFLOW_NAME)
        task.groups.add(groups["Moderators"])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.get_or_create(page=root, defaults={"workflow": workflow})
    WorkflowContentType.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(CooperationEntry), defaults={"workflow": workflow}
    )
    return created
