"""What every state-changing admin request must respect, whichever Wagtail view it reaches.

Wagtail's views each check their own permissions, and public bug reports keep finding the ones
that forget something. Rather than patching views one by one, this middleware (``AdminGuardMiddleware``,
in ``MIDDLEWARE``) holds three rules for every POST (PUT, PATCH, DELETE) under ``/admin/``:

1. **A copy never modifies its source.** Wagtail's generic copy views (``CopyViewMixin``: snippets,
   sites, users) render a *create* form whose action is the add URL; a POST sent to the copy URL
   itself saved the form over the *original* (a copied entry replaced and unpublished its source).
   Those views take no POST here: 405.
2. **A locked object is changed by its lock holder only.** A POST that names a locked page or
   snippet — by its URL (``page_id``, ``pk``…) or, for bulk actions, by ``?id=`` — is refused with
   the lock's own message unless the lock does not apply to the user (``lock.for_user``). Unlocking
   stays with Wagtail's unlock views (they check who may unlock); editing, previewing and copying
   are Wagtail's own lock-aware views (they never save over a lock).
3. **A model's validation error is a message, not a 500.** An admin action that saves something the
   model refuses (publishing a copy that breaks a uniqueness rule, a bulk action, a move) raises
   ``ValidationError`` from deep inside Wagtail; the editor gets it as an error message on the page
   they came from. Each admin POST runs in one transaction, rolled back when it ends this way, so a
   bulk action refused halfway leaves the database as it was. A POST missing a field Wagtail's view
   reads directly (``MultiValueDictKeyError``) is a 400.
4. **Parameters no listing can use are a 400**, on any admin request: an id beyond 64 bits
   (``?collection_id=10**30``: Wagtail's listings failed on it with a 500), and, on SQLite, a search
   that its full-text engine reads as broken syntax (quotes, signs; it was reported as a database outage),
   and a search combined with the image and document listings' usage count filter (a Wagtail 7.4 fault).
"""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.utils.datastructures import MultiValueDictKeyError
from django.utils.html import strip_tags
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from wagtail.admin.views.generic.models import CopyViewMixin
from wagtail.models import LockableMixin, Page

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
MAX_DIGITS = 18  # every number of up to 18 digits fits a 64-bit integer
# Views that are lock-aware themselves (they refuse to save over another user's lock) or that
# change nothing about the object they name.
LOCK_AWARE_VIEWS = {"edit", "unlock", "copy", "preview_on_edit", "preview_on_add", "view_draft"}
PAGE_KWARGS = ("page_id", "page_to_move_id", "page_pk")
# Form fields that Wagtail's forms cannot take missing (not empty: absent), by view: the external link
# chooser's ``url`` field (URLOrAbsolutePathField) calls ``None.startswith``. Such a POST is not from
# the admin's own form: a 400, like any other incomplete form.
REQUIRED_POST_KEYS = {"wagtailadmin_choose_page_external_link": ("url",)}


def is_id(name):
    return name == "id" or name.endswith("_id")


def is_admin_change(request):
    return request.method not in SAFE_METHODS and request.path_info.startswith("/admin/")


def view_class(view_func):
    return getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)


def named_objects(request, view_func, view_kwargs):
    """The lockable objects a state-changing admin request names (pages and lockable snippets)."""
    match = request.resolver_match
    page_ids = [view_kwargs[name] for name in PAGE_KWARGS if name in view_kwargs]
    model = (getattr(view_func, "view_initkwargs", None) or {}).get("model")
    if "pk" in view_kwargs:
        if match.route.startswith("admin/api/"):  # the admin API's page actions
            page_ids.append(view_kwargs["pk"])
        elif isinstance(model, type) and issubclass(model, LockableMixin):
            yield from model._base_manager.filter(pk=view_kwargs["pk"])
    if match.url_name == "wagtail_bulk_action":
        try:
            model = apps.get_model(view_kwargs["app_label"], view_kwargs["model_name"])
        except (LookupError, KeyError):
            model = None
        ids = [value for value in request.GET.getlist("id") if value.isdigit()]
        if model is not None and issubclass(model, Page):
            page_ids += ids
        elif model is not None and issubclass(model, LockableMixin):
            yield from model._base_manager.filter(pk__in=ids)
    if page_ids:
        yield from Page.objects.filter(pk__in=page_ids).specific(defer=True)


def go_back(request, message):
    """The refusal, as the admin shows it: a message on the page the editor came from (JSON for scripts)."""
    wants_json = request.path_info.startswith("/admin/api/") or not request.accepts("text/html")
    if wants_json:
        return JsonResponse({"message": strip_tags(message)}, status=400)
    messages.error(request, message)
    for candidate in (request.GET.get("next"), request.POST.get("next"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(candidate)
    return redirect("wagtailadmin_home")


def incomplete_form():
    return HttpResponseBadRequest(
        gettext("The form sent was incomplete (a field is missing). Reload the page and try again."),
        content_type="text/plain; charset=utf-8",
    )


class AdminGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/") and any(
            is_id(name) and value.strip().isdigit() and len(value.strip()) > MAX_DIGITS
            for name, values in request.GET.lists()
            for value in values
        ):
            # An id beyond 64 bits (?collection_id=10**30) failed deep in Wagtail's listings (a 500); it is never
            # a real one. Other parameters (a search for a long number, a filter) are the listings' own business.
            return HttpResponseBadRequest(
                gettext("A number in the request is too large."), content_type="text/plain; charset=utf-8"
            )
        if (
            request.path_info.startswith("/admin/")
            and request.GET.get("q", "").strip()
            and any(request.GET.get(name, "").strip() for name in ("usage_count_min", "usage_count_max"))
        ):
            # Wagtail 7.4's image and document listings fail (a 500 in the search backend: the usage count is an
            # annotation the search cannot filter on) when a search and a usage filter are combined.
            return HttpResponseBadRequest(
                gettext("Search and the usage count filter cannot be combined: use one, then the other."),
                content_type="text/plain; charset=utf-8",
            )
        if not is_admin_change(request):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if getattr(request, "_admin_guard_refused", False):
                transaction.set_rollback(True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_admin_change(request) or request.resolver_match is None:
            return None
        missing = [
            key for key in REQUIRED_POST_KEYS.get(request.resolver_match.url_name, ()) if key not in request.POST
        ]
        if missing:
            return incomplete_form()
        cls = view_class(view_func)
        if isinstance(cls, type) and issubclass(cls, CopyViewMixin):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.resolver_match.route.startswith("admin/api/") and view_kwargs.get("action_name") == "copy":
            # The admin API's copy skips the before_copy_page hook (cms/wagtail_hooks.py): same refusal here.
            from .wagtail_hooks import copy_refusal

            page = Page.objects.filter(pk=view_kwargs.get("pk")).first()
            if page is not None and (reason := copy_refusal(page)):
                return go_back(request, reason)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.resolver_match.url_name in LOCK_AWARE_VIEWS:
            return None
        for obj in named_objects(request, view_func, view_kwargs):
            lock = obj.get_lock()
            if lock is not None and lock.for_user(user):
                return go_back(request, lock.get_message(user))
        return None

    def process_exception(self, request, exception):
        # SQLite's full-text search reads quotes and signs in a search as syntax.
        if (
            request.path_info.startswith("/admin/")
            and isinstance(exception, OperationalError)
            and "fts5: syntax error" in str(exception)
        ):
            return HttpResponseBadRequest(
                gettext("The search could not be understood: search for words, without quotes or signs."),
                content_type="text/plain; charset=utf-8",
            )
        if not is_admin_change(request):
            return None
        if isinstance(exception, (MultiValueDictKeyError, ValidationError)):
            request._admin_guard_refused = True  # roll back whatever the request wrote before
        if isinstance(exception, MultiValueDictKeyError):
            return incomplete_form()
        if isinstance(exception, ValidationError):
            details = "; ".join(exception.messages)
            return go_back(request, gettext("This could not be done: %(details)s") % {"details": details})
        return None
