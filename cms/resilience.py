"""When the database cannot be reached: a plain 503 page, and recovery on its own when it returns.

``DatabaseUnavailableMiddleware`` sits near the top of ``MIDDLEWARE``, so that it answers for
errors raised by everything below it:

- in a view or while rendering its template, through ``process_exception``;
- in a middleware below it (sessions, authentication, redirects): Django turns such an error into a
  500 response before it reaches this middleware, so the error is noticed through the
  ``got_request_exception`` signal, tied to its request, and the 500 replaced by the 503.

Only errors that mean the database is out of reach count (``OperationalError``,
``InterfaceError``: refused or dropped connections, timeouts, a locked SQLite file); a
programming error is still a 500. The page is a static template rendered without a request
context, so it makes no query. Nothing has to be restarted when the database comes back: Django
closes a connection that failed at the end of the request, and the next request opens a new one.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# Seconds a client (or a crawler) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
_REQUEST_ATTRIBUTE = "_database_unavailable_error"


def is_database_unavailable(error):
    """Whether ``error`` means the database cannot be reached now (rather than a bug in a query)."""
    return isinstance(error, UNAVAILABLE_ERRORS)


def database_unavailable_response():
    """The plain 503 page: a static template, no request context, so not a single query."""
    response = HttpResponse(render_to_string("503.html"), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _note_error_outside_views(sender, request=None, **kwargs):
    """A middleware below ours failed: remember the error on its request, for ours to answer."""
    error = sys.exc_info()[1]
    if request is not None and is_database_unavailable(error):
        setattr(request, _REQUEST_ATTRIBUTE, error)


got_request_exception.connect(_note_error_outside_views, dispatch_uid="cms.resilience.database_unavailable")


def _drop_broken_connections():
    """Close connections that failed, so that the next query (this request's or the next) reconnects."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue  # the atomic block's own exit deals with it
        try:
            connection.close_if_unusable_or_obsolete()
        except Exception:  # noqa: BLE001 - closing a dead connection may fail too; it is dropped anyway
            connection.connection = None


class DatabaseUnavailableMiddleware:
    """Answer 503 with a plain page when the database cannot be reached, wherever the error happened."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, _REQUEST_ATTRIBUTE, None)
        if error is not None and response.status_code >= 500:
            return self.unavailable(request, error)
        return response

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return self.unavailable(request, exception)
        return None

    def unavailable(self, request, error):
        logger.error(
            "Database unavailable while serving %s %s: %s: %s",
            request.method,
            request.path,
            type(error).__name__,
            str(error).strip(),
        )
        _drop_broken_connections()
        return database_unavailable_response()
