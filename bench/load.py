"""A bounded load test of the production-shape server while an editor publishes changes.

gunicorn (production settings, Redis page cache) serves a fresh database holding the document and
1,000 generated entries, on 127.0.0.1 only. For at most 60 s, at most 32 connections request a mix
of public URLs, while an editor process edits and publishes an entry shown on those pages (and,
now and then, the Japan page) every half second. It reports requests, errors by kind, 5xx, the
publications made, and the memory (RSS) of the gunicorn processes over time.

The load comes from this process (threads with plain HTTP connections), so no tool has to be
installed: `python bench/load.py --seconds 60 --connections 32`. tests/test_load.py runs it
shorter in the suite; `make bench` runs it in full and puts the figures in bench/RESULTS.md.
"""

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import PROJECT_DIR, gunicorn  # noqa: E402

WORK_DIR = PROJECT_DIR / "var" / "bench"
PYTHON = sys.executable
MAX_SECONDS = 60
MAX_CONNECTIONS = 32
EDITED_ENTRY = "japan-liaison-officer-maritime-command"
MIX = [
    "/",
    "/partners/",
    "/partners/japan/",
    "/cooperation/",
    "/cooperation/?area=maritime-security",
    "/cooperation/?kind=contribution&year_from=2000&sort=title",
    f"/cooperation/{EDITED_ENTRY}/",
    "/cooperation/feed.atom",
    "/api/v2/entries/?partner=japan&limit=20",
    "/search/?q=maritime",
    "/sitemap.xml",
    "/cooperation/export.json?partner=japan",
]

# Run by the editor process (Django set up): publish a changed entry every half second until told to stop.
EDITOR = """
import sys, time, django
django.setup()
from cms.models import PartnerPage
from partnership.models import CooperationEntry
deadline = time.monotonic() + float(sys.argv[1])
published = 0
while time.monotonic() < deadline:
    entry = CooperationEntry.objects.get(slug=sys.argv[2])
    entry.title = f"Liaison officer to NATO's Maritime Command (edit {published})"
    entry.save_revision().publish()
    published += 1
    if published % 10 == 0:
        page = PartnerPage.objects.get(slug="japan")
        page.lead = page.lead.split(" [")[0] + f" [{published}]"
        page.save_revision().publish()
    time.sleep(0.5)
print(published)
"""


def environment(database_url, prefix):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        WAGTAILADMIN_BASE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        CACHE_KEY_PREFIX=prefix,
        PAGE_CACHE_SECONDS="3600",
        LOG_LEVEL="ERROR",
        GUNICORN_ACCESS_LOG="/dev/null",
        WEB_CONCURRENCY="2",
    )
    return env


def prepare(database_url, env, entries):
    for args in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["load_fixtures"],
        ["generate_demo_data", "--partners", "10", "--entries", str(entries), "--seed", "7"],
    ):
        if args[0] == "generate_demo_data" and not entries:
            continue
        result = subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


class Load:
    """`connections` threads, each requesting the mix in turn until the deadline."""

    def __init__(self, port, connections, seconds):
        self.port, self.connections, self.seconds = port, connections, seconds
        self.statuses = Counter()
        self.errors = Counter()
        self.latencies = []
        self.lock = threading.Lock()

    def worker(self, offset, deadline):
        index = offset
        while time.monotonic() < deadline:
            path = MIX[index % len(MIX)]
            index += 1
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", path, headers={"Host": "127.0.0.1"})
                response = connection.getresponse()
                response.read()
                connection.close()
                with self.lock:
                    self.statuses[response.status] += 1
                    self.latencies.append(time.perf_counter() - started)
            except OSError as error:
                with self.lock:
                    self.errors[type(error).__name__] += 1

    def run(self):
        deadline = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self.worker, args=(n, deadline)) for n in range(self.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def gunicorn_rss(process):
    try:
        processes = [process, *process.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes) / 1024 / 1024
    except psutil.Error:
        return None


def run_load(seconds=30, connections=16, database_url=None, entries=1000):
    """Run the whole test; return its figures. The database is a fresh SQLite file unless given."""
    seconds = min(seconds, MAX_SECONDS)
    connections = min(connections, MAX_CONNECTIONS)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(3)
    sqlite_file = None
    if database_url is None:
        sqlite_file = WORK_DIR / f"load_{token}.sqlite3"
        database_url = f"sqlite:///{sqlite_file}"
    env = environment(database_url, prefix=f"load-{token}")
    try:
        prepare(database_url, env, entries)
        with gunicorn(env) as server:
            port = server.port
            watched = psutil.Process(server.pid)
            # Warm every URL once, so memory is measured from a running site, not a cold one.
            Load(port, 1, 0).worker(0, time.monotonic() + 3)
            memory = [(0.0, gunicorn_rss(watched))]
            editor = subprocess.Popen(
                [PYTHON, "-c", EDITOR, str(seconds), EDITED_ENTRY],
                cwd=PROJECT_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            load = Load(port, connections, seconds)
            loader = threading.Thread(target=load.run)
            started = time.monotonic()
            loader.start()
            while loader.is_alive():
                loader.join(timeout=1)
                memory.append((time.monotonic() - started, gunicorn_rss(watched)))
            elapsed = time.monotonic() - started
            editor_out, editor_err = editor.communicate(timeout=60)
            # The last publication, made in another process, must be what readers get now.
            last_edit = f"(edit {int(editor_out.strip() or 0) - 1})"
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", f"/cooperation/{EDITED_ENTRY}/", headers={"Host": "127.0.0.1"})
            shows_last_publication = last_edit in connection.getresponse().read().decode()
            connection.close()
    finally:
        if sqlite_file:
            sqlite_file.unlink(missing_ok=True)
    latencies = sorted(load.latencies)
    requests = sum(load.statuses.values())
    samples = [rss for _, rss in memory if rss is not None]
    return {
        "seconds": round(elapsed, 1),
        "connections": connections,
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1) if elapsed else 0,
        "statuses": {str(status): n for status, n in sorted(load.statuses.items())},
        "server_errors": sum(n for status, n in load.statuses.items() if status >= 500),
        "connection_errors": dict(load.errors),
        "median_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "publications": int(editor_out.strip() or 0) if editor.returncode == 0 else None,
        "editor_error": editor_err.strip()[-2000:] if editor.returncode else "",
        "readers_see_the_last_publication": shows_last_publication,
        "memory_mb": {
            "after_warm_up": round(samples[0], 1) if samples else None,
            "at_half_time": round(samples[len(samples) // 2], 1) if samples else None,
            "at_end": round(samples[-1], 1) if samples else None,
            "max": round(max(samples), 1) if samples else None,
        },
    }


def markdown(figures):
    memory = figures["memory_mb"]
    return "\n".join(
        [
            "## Load test (bench/load.py)",
            "",
            f"{figures['connections']} connections for {figures['seconds']} s against gunicorn (2 workers, production "
            "settings, Redis page cache, SQLite) over a mix of "
            f"{len(MIX)} public URLs, while an editor published {figures['publications']} changes "
            "(an entry every half second, the Japan page every tenth time). Right after the last one, "
            f"readers were served it: {'yes' if figures['readers_see_the_last_publication'] else 'NO'}.",
            "",
            "| requests | req/s | statuses | 5xx | connection errors | median / p95 ms "
            "| gunicorn RSS MB: after warm-up / half-time / end / max |",
            "|---|---|---|---|---|---|---|",
            f"| {figures['requests']} | {figures['requests_per_second']} | "
            f"{', '.join(f'{k}: {v}' for k, v in figures['statuses'].items())} | {figures['server_errors']} | "
            f"{sum(figures['connection_errors'].values())} | {figures['median_ms']} / {figures['p95_ms']} | "
            f"{memory['after_warm_up']} / {memory['at_half_time']} / {memory['at_end']} / {memory['max']} |",
            "",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=MAX_SECONDS, help=f"how long (at most {MAX_SECONDS})")
    parser.add_argument(
        "--connections", type=int, default=MAX_CONNECTIONS, help=f"concurrent connections (at most {MAX_CONNECTIONS})"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown section instead of JSON")
    options = parser.parse_args()
    figures = run_load(options.seconds, options.connections)
    print(markdown(figures) if options.markdown else json.dumps(figures, indent=2))
    if (
        figures["server_errors"]
        or figures["connection_errors"]
        or not figures["publications"]
        or not figures["readers_see_the_last_publication"]
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
