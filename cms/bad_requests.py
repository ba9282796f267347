"""Requests no page can answer well, refused with a plain 4xx naming the problem instead of failing deeper.

- A query string longer than any of the site's links could make (MAX_QUERY_STRING): 414. Without
  this, a 100,000-character parameter reaches Wagtail's API parser (RecursionError) or a database
  search (an error): a 5xx for what is the client's mistake.
- A NUL character in the parameters of Wagtail's own views (the admin's listings, the pages and
  images API), which pass them to the database unchecked, where PostgreSQL refuses them with a
  DataError that also breaks the transaction: 400 before the view runs. (The site's own forms
  refuse a NUL with a message on the page; a DataError anywhere else is still answered 400.)
- A number too large for the database (an id or an order of 10**30): SQLite and PostgreSQL
  refuse it with OverflowError or a "value out of range" DataError. Django's forms and Wagtail's
  API parse the number but do not bound it, so the error surfaces as the view runs: 400.
"""

import logging

from django.db import DataError
from django.http import HttpResponse
from django.utils.translation import gettext

MAX_QUERY_STRING = 8192  # what common web servers accept in a request line
UNCHECKED_PARAMETERS_PREFIXES = ("/admin/", "/api/v2/pages/", "/api/v2/images/", "/documents/")

logger = logging.getLogger(__name__)


def plain(status, message):
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def nul_message():
    return gettext("A value in the request contains a NUL character (%00), which is not allowed.")


class BadRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            message = gettext("The address is too long: its query string may hold at most %(limit)s characters.")
            return plain(414, message % {"limit": MAX_QUERY_STRING})
        if request.path.startswith(UNCHECKED_PARAMETERS_PREFIXES) and any(
            "\x00" in value for values in request.GET.lists() for value in values[1]
        ):
            return plain(400, nul_message())
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError) or (
            isinstance(exception, DataError) and "out of range" in str(exception)
        ):
            logger.info("Refused a request with a number too large for the database: %s", request.get_full_path()[:200])
            return plain(400, gettext("A number in the request is too large."))
        if isinstance(exception, DataError) and "NUL" in str(exception):
            return plain(400, nul_message())
        return None
