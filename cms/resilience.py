"""When the database cannot be reached: a plain 503 page, and recovery on its own when it returns.

``DatabaseUnavailableMiddleware`` sits near the top of ``MIDDLEWARE``, so that it answers for
errors raised by everything below it:

- in a view or while rendering its template, through ``process_exception``;
- in a middleware below it (sessions, authentication, redirects): Django turns such an error into a
  500 response before it reaches this middleware, so the error is noticed through the
  ``got_request_exception`` signal, tied to its request, and the 500 replaced by the 503.

Only errors that mean the database is out of reach count (``InterfaceError``, and an
``OperationalError`` whose driver error says so: refused or dropped connections, timeouts, a
locked or unreadable SQLite file; see ``is_database_unavailable``). A programming error, and an
``OperationalError`` that is a query's own fault (SQLite reports a full-text syntax error or a
missing table as one), is still a 500, not "the database is down". The page is a static template rendered without a request
context, so it makes no query. Nothing has to be restarted when the database comes back: Django
closes a connection that failed at the end of the request, and the next request opens a new one.
"""

import logging
import sys
from contextlib import suppress

from django.core.signals import got_request_exception
from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# Seconds a client (or a crawler) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30
_REQUEST_ATTRIBUTE = "_database_unavailable_error"


# SQLite's primary result codes that mean the database file cannot be used now (busy or locked by
# another process, out of memory, an I/O or disk problem, the file unreadable): an outage. Every
# other code — SQLITE_ERROR above all, which is a query's own fault (a full-text syntax error, no
# such table) — is a bug or bad input, not an outage.
SQLITE_OUTAGE_CODES = {
    5,
    6,
    7,
    8,
    10,
    11,
    13,
    14,
    15,
    26,
}  # BUSY LOCKED NOMEM READONLY IOERR CORRUPT FULL CANTOPEN PROTOCOL NOTADB
# PostgreSQL SQLSTATE classes that mean the server is out of reach or cannot serve now: connection
# exceptions (08), insufficient resources (53), operator intervention (57: shutdown, cannot connect
# now, query cancelled), system errors (58). Other states raised as OperationalError are not outages.
POSTGRESQL_OUTAGE_CLASSES = ("08", "53", "57", "58")


def is_database_unavailable(error):
    """Whether ``error`` means the database cannot be reached now (rather than a bug in a query).

    ``InterfaceError`` always does (the connection is gone). An ``OperationalError`` does when the
    driver's own error says so: SQLite's result code, PostgreSQL's SQLSTATE (none at all means no
    server answered). One without a driver error underneath (raised by Django or a test) counts.
    """
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in SQLITE_OUTAGE_CODES
    if cause is not None and hasattr(cause, "sqlstate"):
        return cause.sqlstate is None or cause.sqlstate.startswith(POSTGRESQL_OUTAGE_CLASSES)
    return True


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
        # Closing a dead connection may fail too. Django's close() forgets the connection even then
        # (outside an atomic block), so the next query opens a new one: the error is of no interest.
        with suppress(Exception):
            connection.close_if_unusable_or_obsolete()


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
