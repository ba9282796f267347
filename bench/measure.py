"""Measure URLs inside one Django process, through the real WSGI handler (no test client).

Run by bench/run.py with the production settings and the benchmark's database. Prints JSON:
for each URL, its status, the SQL queries it costs, and median/p95 server time in milliseconds.
"""

import json
import os
import statistics
import sys
import time
from urllib.parse import unquote_to_bytes
from wsgiref.util import setup_testing_defaults

import django

QUERY_ROUNDS = 2  # the first request warms Wagtail's caches, as on any running server
MAX_SAMPLES = 40
MAX_SECONDS_PER_URL = 8.0


def main(urls):
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    handler = WSGIHandler()

    def call(url):
        path, _, query = url.partition("?")
        # A GET request as a WSGI server hands it over (PEP 3333: PATH_INFO is the decoded path,
        # as latin-1); wsgiref fills in the rest (host 127.0.0.1, port 80, an empty body).
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": unquote_to_bytes(path).decode("iso-8859-1"),
            "QUERY_STRING": query,
        }
        setup_testing_defaults(environ)
        status = []
        body = handler(environ, lambda s, headers, exc_info=None: status.append(int(s.split()[0])))
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
        return status[0]

    results = {}
    for url in urls:
        for _ in range(QUERY_ROUNDS):
            with CaptureQueriesContext(connection) as context:
                status = call(url)
            queries = len(context.captured_queries)
        samples = []
        started = time.perf_counter()
        while len(samples) < MAX_SAMPLES and (time.perf_counter() - started < MAX_SECONDS_PER_URL or len(samples) < 5):
            before = time.perf_counter()
            call(url)
            samples.append((time.perf_counter() - before) * 1000)
        samples.sort()
        results[url] = {
            "status": status,
            "queries": queries,
            "median_ms": statistics.median(samples),
            "p95_ms": samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))],
            "samples": len(samples),
        }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main(sys.argv[1:])
