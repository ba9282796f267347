"""`make bench`: the site under gunicorn at several sizes, on SQLite and (with DATABASE_URL) PostgreSQL.

For each database and size (the document alone and 10,000 generated entries on SQLite; those and
100,000 on PostgreSQL, the production database) it builds a fresh database, then measures each URL:

- SQL queries per request and median/p95 server time, uncached and from the page cache, inside
  one process through the real WSGI handler (bench/measure.py);
- requests per second under a bounded load (wrk, from a second process, on 127.0.0.1) against
  gunicorn with 2 sync workers, uncached and cached, and each figure's ratio to a minimal view
  served by the same gunicorn (the framework's ceiling on this machine).

Each uncached time is also given as a multiple of the same URL's at the document's size. The
exports are downloaded whole from one worker (median seconds, and the worker's peak RSS before and
after: streamed files keep it flat). A "Targets" section says, for each target of issue 16, met or
not. It also times `load_fixtures` on a freshly migrated database and generating the entries, and measures the importer's precision, recall and speed per document
(bench/importer.py). Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0) for the cached
figures, and Debian's packages wrk, varnish and nginx (the cached pages through Varnish, beside nginx
serving a static file). The table is printed and, with --write, saved to
bench/RESULTS.md with the machine it ran on.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import PROJECT_DIR, WORKERS, free_port, gunicorn, nginx, varnish  # noqa: E402

WORK_DIR = PROJECT_DIR / "var" / "bench"
PYTHON = sys.executable
SIZES = [("document", 0), ("10,000 entries", 10_000), ("100,000 entries", 100_000)]
# PostgreSQL, the production database, at every size; SQLite, the embedded default, up to 10,000.
DEFAULT_SIZES = {"sqlite": (0, 10_000), "postgresql": (0, 10_000, 100_000)}
DEMO_PARTNERS = 40
SEED = 2026
WRK_CONNECTIONS = 8
WRK_SECONDS = 3
MINIMAL_URL = "/_bench/minimal/"
READING = "## Reading these figures"
URLS = [
    ("home", "/"),
    ("partners", "/partners/"),
    ("Japan page", "/partners/japan/"),
    ("record", "/cooperation/"),
    # Three filters that the document alone matches too (one entry), so that its "× document" compares
    # pages that both list entries: with maritime security, the document's page listed none.
    ("record, filtered", "/cooperation/?area=support-for-operations&kind=contribution&year_from=2000"),
    ("record, one partner", "/cooperation/?partner=japan"),
    # Finland and Sweden are demo partners (generate_demo_data): at the document's size the page names
    # them as unknown and compares nothing.
    ("comparison", "/partners/compare/?partner=japan&partner=finland&partner=sweden"),
    ("entry page", "/cooperation/japan-liaison-officer-maritime-command/"),
    ("record, searched", "/cooperation/?q=maritime"),
    ("site search", "/search/?q=training"),
    ("site search, two words", "/search/?q=liaison+officer"),
    ("sitemap", "/sitemap.xml"),
    # The first page of the entries' section: what a crawler reads after the index (up to EntrySitemap.limit URLs).
    ("sitemap, entries' first page", "/sitemap-entries.xml"),
    ("API, first page", "/api/v2/entries/?limit=20"),
    # {last}: the offset of the last page of every published entry (filled in per size).
    ("API, last page", "/api/v2/entries/?limit=20&offset={last}"),
    ("API call", "/api/v2/entries/?partner=japan&limit=20"),
]
# The HTML pages readers browse: each must serve, uncached, at least TARGET_SHARE of the minimal view's
# requests per second, and its time at the largest size stay within TARGET_GROWTH of the document's.
HTML_PAGES = [
    "home",
    "partners",
    "Japan page",
    "record",
    "record, filtered",
    "record, one partner",
    "comparison",
    "entry page",
    "record, searched",
    "site search",
    "site search, two words",
]
TARGET_SHARE, TARGET_GROWTH = 0.03, 1.5
# Pages whose URL shows something else at the document's size: their growth is measured from this size.
# The comparison: the document has one partner, so the page compares no one (a prompt) at its size.
GROWTH_FROM = {"comparison": "10,000 entries"}
SEARCH_TARGET_MS = 50
# The files: downloaded whole from one gunicorn worker, a few times each (not under wrk: one takes seconds).
EXPORTS = [("CSV export", "/cooperation/export.csv"), ("JSON export", "/cooperation/export.json")]
EXPORT_ROUNDS = 3
EXPORT_TARGETS_S = {("CSV export", 100_000): 3.0, ("JSON export", 100_000): 5.0}
EXPORT_TARGET_10K_S = 0.3
GENERATE_TARGET_S = 300


def run(args, env):
    result = subprocess.run(args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(args[1:])} failed:\n{result.stdout}{result.stderr}")
    return result


def timed(args, env):
    started = time.perf_counter()
    run(args, env)
    return time.perf_counter() - started


class Database:
    """A fresh database for one size: an SQLite file, or a PostgreSQL database beside DATABASE_URL's."""

    def __init__(self, kind, name, base_url=None):
        self.kind, self.name, self.base_url = kind, name, base_url

    @property
    def url(self):
        if self.kind == "sqlite":
            return f"sqlite:///{WORK_DIR / (self.name + '.sqlite3')}"
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def _admin(self, sql):
        import psycopg

        parts = urlsplit(self.base_url)
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
            connection.execute(sql)

    def drop(self):
        if self.kind == "sqlite":
            (WORK_DIR / (self.name + ".sqlite3")).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def create_from(self, template):
        self.drop()
        if self.kind == "sqlite":
            shutil.copyfile(WORK_DIR / (template.name + ".sqlite3"), WORK_DIR / (self.name + ".sqlite3"))
        else:
            self._admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{template.name}"')

    def create_empty(self):
        self.drop()
        if self.kind != "sqlite":
            self._admin(f'CREATE DATABASE "{self.name}"')

    def version(self):
        if self.kind == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        import psycopg

        with psycopg.connect(self.url) as connection:
            return "PostgreSQL " + connection.execute("SHOW server_version").fetchone()[0].split()[0]


def environment(database, page_cache, prefix):
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.bench",  # production's, plus /_bench/minimal/
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database.url,
        SECURE_SSL_REDIRECT="false",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        CACHE_KEY_PREFIX=prefix,
        PAGE_CACHE_SECONDS="3600" if page_cache else "0",
        WAGTAILADMIN_BASE_URL="http://127.0.0.1",
        LOG_LEVEL="ERROR",
        GUNICORN_ACCESS_LOG="",
        WEB_CONCURRENCY=str(WORKERS),
    )
    return env


def requests_per_second(base, url, seconds=WRK_SECONDS):
    result = subprocess.run(
        ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", base + url],
        capture_output=True,
        text=True,
        check=True,
    )
    # wrk stops after its seconds, but requests it left queued are still served: wait for them, so that
    # a slow URL's backlog is not counted against the next one (one request joins the back of the queue).
    drain(base + url)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    errors = re.search(r"Socket errors: (.*)", result.stdout)
    return {
        "rps": float(match.group(1)) if match else 0.0,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def drain(url):
    """Return once the server has answered one more request for ``url``: behind the ones queued before it."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            response.read()
    except urllib.error.HTTPError:
        pass  # answered all the same


def measure(env, urls):
    result = run([PYTHON, "bench/measure.py", *urls], env)
    return json.loads(result.stdout)


def published_entries(env):
    code = "from partnership.models import CooperationEntry; print(CooperationEntry.objects.public().count())"
    return int(run([PYTHON, "manage.py", "shell", "-v", "0", "-c", code], env).stdout.split()[-1])


def peak_rss_mib(pid):
    """The peak resident memory of process ``pid`` so far (Linux's VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def download(url):
    """Seconds to read the whole response of ``url``, and its size in bytes."""
    import urllib.request

    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(url, timeout=120) as response:
        while chunk := response.read(1 << 16):
            size += len(chunk)
    return time.perf_counter() - started, size


def download_body(url):
    import urllib.request

    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


# Served from Varnish's cache (deploy/varnish/default.vcl) in front of gunicorn, beside nginx serving one of
# those pages as a static file: what a cache in front of the site gives, against the machine's ceiling.
VARNISHED = [
    ("home", "/"),
    ("Japan page", "/partners/japan/"),
    ("record", "/cooperation/"),
    ("record, filtered", URLS[4][1]),
]


def varnish_figures(env):
    """Requests per second of VARNISHED through Varnish (each a cache hit after one request), and of nginx
    serving the Japan page's HTML as a file, in the same run; the Japan page's hit checked by ``X-Cache``."""
    import urllib.request

    port = free_port()
    env = {**env, "FRONTEND_CACHE_URL": f"http://127.0.0.1:{port}"}
    figures = {}
    with gunicorn(env, WORKERS) as app, varnish(app.port, port) as cache:
        for name, url in VARNISHED:
            download_body(cache.url + url)  # stored
            figures[name] = {"url": url, **requests_per_second(cache.url, url)}
        with urllib.request.urlopen(cache.url + "/partners/japan/", timeout=30) as response:
            figures["hit"] = response.headers.get("X-Cache", "")
            page = response.read()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "japan.html").write_bytes(page)
        with nginx(folder) as static:
            figures["nginx"] = requests_per_second(static.url, "/japan.html")
    return figures


def export_figures(env):
    """Each export downloaded whole EXPORT_ROUNDS times from a gunicorn with one worker: median seconds,
    size, and the worker's peak memory before the first download and after the last."""
    import psutil

    figures = {}
    with gunicorn(env, 1) as server:
        download(server.url + "/partners/")  # the worker started and warm
        (worker,) = psutil.Process(server.pid).children()
        for name, url in EXPORTS:
            before = peak_rss_mib(worker.pid)
            runs = [download(server.url + url) for _ in range(EXPORT_ROUNDS)]
            figures[name] = {
                "url": url,
                "median_s": statistics.median(seconds for seconds, _ in runs),
                "bytes": runs[0][1],
                "peak_rss_before_mib": before,
                "peak_rss_after_mib": peak_rss_mib(worker.pid),
            }
    return figures


# After a bulk load, what a production server's autovacuum does within minutes (this machine's PostgreSQL
# runs with autovacuum off): the visibility map and hint bits set, statistics current; then a checkpoint,
# so that the load's dirty pages are not written out during the measurements.
SETTLE = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('VACUUM ANALYZE')\n"
    "    cursor.execute('CHECKPOINT')\n"
)


def settle(env):
    """VACUUM ANALYZE and CHECKPOINT the benchmark's PostgreSQL database (see SETTLE); not timed."""
    run([PYTHON, "manage.py", "shell", "-v", "0", "-c", SETTLE], env)


def bench_database(kind, base_url, report, sizes):
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    suffix = secrets.token_hex(3)
    template = Database(kind, f"bench_migrated_{suffix}", base_url)
    template.create_empty()
    prefix = f"bench-{suffix}"
    env = environment(template, page_cache=False, prefix=prefix)
    run([PYTHON, "manage.py", "migrate", "--noinput"], env)
    run([PYTHON, "manage.py", "collectstatic", "--noinput"], env)
    report["versions"][kind] = template.version()
    databases = []
    try:
        for size_label, entries in sizes:
            database = Database(kind, f"bench_{entries}_{suffix}", base_url)
            databases.append(database)
            database.create_from(template)
            env = environment(database, page_cache=False, prefix=f"{prefix}-{entries}")
            load_seconds = timed([PYTHON, "manage.py", "load_fixtures"], env)
            generate_seconds = None
            if entries:
                generate_seconds = timed(
                    [
                        PYTHON,
                        "manage.py",
                        "generate_demo_data",
                        "--partners",
                        str(DEMO_PARTNERS),
                        "--entries",
                        str(entries),
                        "--seed",
                        str(SEED),
                    ],
                    env,
                )
            if kind == "postgresql":
                settle(env)
            row = {"entries": entries, "load_fixtures_s": load_seconds, "generate_s": generate_seconds, "urls": {}}
            last = max(published_entries(env) - 20, 0)
            urls = [(name, url.format(last=last)) for name, url in URLS]
            uncached = measure(env, [url for _, url in urls])
            cached_env = environment(database, page_cache=True, prefix=f"{prefix}-{entries}-cached")
            cached = measure(cached_env, [url for _, url in urls])
            throughput = {}
            for label, env_for_server in (("uncached", env), ("cached", cached_env)):
                with gunicorn(env_for_server, WORKERS) as server:
                    base = server.url
                    minimal = requests_per_second(base, MINIMAL_URL)
                    throughput[label] = {"minimal": minimal}
                    if label == "uncached":
                        row["sitemap_is_index"] = b"<sitemapindex" in download_body(base + "/sitemap.xml")
                    for _, url in urls:
                        # Warm every worker: the page cache, and each worker's own facet index (built by its
                        # first record request after a change), so that req/s is the steady state's.
                        requests_per_second(base, url, seconds=1)
                        throughput[label][url] = requests_per_second(base, url)
            row["exports"] = export_figures(env)
            if entries == sizes[0][1]:
                row["varnish"] = varnish_figures(env)
            for name, url in urls:
                row["urls"][name] = {
                    "url": url,
                    "status": uncached[url]["status"],
                    "queries": uncached[url]["queries"],
                    "cached_queries": cached[url]["queries"],
                    "uncached_median_ms": uncached[url]["median_ms"],
                    "uncached_p95_ms": uncached[url]["p95_ms"],
                    "cached_median_ms": cached[url]["median_ms"],
                    "cached_p95_ms": cached[url]["p95_ms"],
                    "uncached_rps": throughput["uncached"][url]["rps"],
                    "cached_rps": throughput["cached"][url]["rps"],
                    "non_2xx": throughput["uncached"][url]["non_2xx"] + throughput["cached"][url]["non_2xx"],
                }
            row["minimal_rps"] = {label: throughput[label]["minimal"]["rps"] for label in throughput}
            report["runs"].setdefault(kind, {})[size_label] = row
            print(f"  {kind} · {size_label}: done", file=sys.stderr, flush=True)
    finally:
        for database in [*databases, template]:
            database.drop()


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
        )
        memory = f"{int(memory) / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "unknown memory"
    import django
    import wagtail

    return (
        f"{platform.system()} {platform.release()} · {cpu} · {os.cpu_count()} cores · {memory} · "
        f"Python {platform.python_version()} · Django {django.get_version()} · Wagtail {wagtail.__version__}"
    )


def share(part, whole):
    """``part`` as a percentage of ``whole`` ("n/a" when the whole was not measured)."""
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def markdown(report):
    lines = [
        "# Benchmark results",
        "",
        f"Run by `make bench` on {report['date']}.",
        "",
        f"- Machine: {report['machine']}",
        f"- Databases: {', '.join(report['versions'].values())}; cache: Redis ({report['redis']})",
        f"- Server: gunicorn, {WORKERS} sync workers, production settings plus the baseline URL (`cms.settings.bench`), 127.0.0.1.",
        f"- Load: wrk, 1 thread, {WRK_CONNECTIONS} connections, {WRK_SECONDS} s per URL after 1 s of warm-up, from a second process; each URL's backlog served before the next.",
        "- *queries*: SQL queries per request (uncached; a page-cache hit costs none). *ms*: server time "
        "through the WSGI handler in one process, median / p95. *req/s*: throughput under wrk; "
        "*% min*: that throughput as a share of the minimal view served by the same gunicorn.",
        f"- Demo data: `generate_demo_data --partners {DEMO_PARTNERS} --entries N --seed {SEED}` on top of the document. "
        "On PostgreSQL, then `VACUUM ANALYZE` and `CHECKPOINT` (untimed): a production server's autovacuum does "
        "that within minutes of a bulk load; this machine's runs with autovacuum off.",
        "",
    ]
    for kind, sizes in report["runs"].items():
        lines.append(f"## {report['versions'][kind]}")
        lines.append("")
        for size_label, row in sizes.items():
            minimal = row["minimal_rps"]
            lines.append(f"### {size_label}")
            lines.append("")
            timing = f"`load_fixtures` {row['load_fixtures_s']:.2f} s"
            if row["generate_s"] is not None:
                timing += f"; generating and loading the entries {row['generate_s']:.1f} s"
            lines.append(
                f"{timing}. Minimal view: {minimal['uncached']:.0f} req/s (uncached server), "
                f"{minimal['cached']:.0f} req/s (cached server)."
            )
            lines.append("")
            document = sizes.get("document")
            lines.append(
                "| URL | status | queries | uncached ms (median / p95) | × document | cached ms (median / p95) "
                "| uncached req/s (% min) | cached req/s (% min) |"
            )
            lines.append("|---|---|---|---|---|---|---|---|")
            for name, figures in row["urls"].items():
                growth = ""
                if document and name in document["urls"] and document["urls"][name]["uncached_median_ms"]:
                    growth = f"{figures['uncached_median_ms'] / document['urls'][name]['uncached_median_ms']:.2f}"
                lines.append(
                    f"| {name} `{figures['url']}` | {figures['status']} | {figures['queries']} "
                    f"| {figures['uncached_median_ms']:.1f} / {figures['uncached_p95_ms']:.1f} | {growth} "
                    f"| {figures['cached_median_ms']:.2f} / {figures['cached_p95_ms']:.2f} "
                    f"| {figures['uncached_rps']:.0f} ({share(figures['uncached_rps'], minimal['uncached'])}) "
                    f"| {figures['cached_rps']:.0f} ({share(figures['cached_rps'], minimal['cached'])}) |"
                )
            lines.append("")
            lines.append(
                f"| file | bytes | seconds (median of {EXPORT_ROUNDS}) | worker's peak RSS before → after (MiB) |"
            )
            lines.append("|---|---|---|---|")
            for name, figures in row["exports"].items():
                lines.append(
                    f"| {name} `{figures['url']}` | {figures['bytes']:,} | {figures['median_s']:.3f} "
                    f"| {figures['peak_rss_before_mib']:.0f} → {figures['peak_rss_after_mib']:.0f} |"
                )
            lines.append("")
            lines.append(f"`/sitemap.xml` is {'a sitemap index' if row['sitemap_is_index'] else 'one sitemap'}.")
            lines.append("")
            if "varnish" in row:
                cached = row["varnish"]
                nginx_rps = cached["nginx"]["rps"]
                lines.append(
                    f"Through Varnish (`deploy/varnish/default.vcl`, every request a hit: `X-Cache: {cached['hit']}`), "
                    f"beside nginx serving the Japan page's HTML as a static file: {nginx_rps:.0f} req/s."
                )
                lines.append("")
                lines.append("| URL | req/s through Varnish | share of nginx's static file |")
                lines.append("|---|---|---|")
                for name, url in VARNISHED:
                    lines.append(
                        f"| {name} `{url}` | {cached[name]['rps']:.0f} | {share(cached[name]['rps'], nginx_rps)} |"
                    )
                lines.append("")
    lines.extend(targets(report))
    return "\n".join(lines)


def targets(report):
    """The issue's targets, each met or not, from the figures above."""
    lines = ["## Targets", ""]

    def verdict(ok):
        return "met" if ok else "**not met**"

    for kind, sizes in report["runs"].items():
        name = report["versions"][kind]
        largest_label, largest = list(sizes.items())[-1]
        document = sizes.get("document")
        for size_label, row in sizes.items():
            minimal = row["minimal_rps"]["uncached"]
            low = [
                f"{page} {share(row['urls'][page]['uncached_rps'], minimal)}"
                for page in HTML_PAGES
                if page in row["urls"] and row["urls"][page]["uncached_rps"] < TARGET_SHARE * minimal
            ]
            lines.append(
                f"- {name}, {size_label}: every HTML page uncached ≥ {TARGET_SHARE:.0%} of the minimal view: "
                f"{verdict(not low)}{' (' + ', '.join(low) + ')' if low else ''}."
            )
        if document and largest is not document:
            grown, instead = [], []
            for page in HTML_PAGES:
                if page not in largest["urls"]:
                    continue
                base_label = GROWTH_FROM.get(page, "document")
                if base_label not in sizes or sizes[base_label] is largest:
                    base_label = "document"
                base = sizes[base_label]["urls"][page]["uncached_median_ms"]
                ratio = largest["urls"][page]["uncached_median_ms"] / base
                if base_label != "document":
                    instead.append(f"{page}: from {base_label}, ×{ratio:.2f}")
                if ratio > TARGET_GROWTH:
                    grown.append(f"{page} ×{ratio:.2f}")
            lines.append(
                f"- {name}: every HTML page's time at {largest_label} within ×{TARGET_GROWTH} of the document's"
                f"{' (' + '; '.join(instead) + ': see GROWTH_FROM in bench/run.py)' if instead else ''}: "
                f"{verdict(not grown)}{' (' + ', '.join(grown) + ')' if grown else ''}."
            )
        for size_label, row in sizes.items():
            for export, figures in row["exports"].items():
                limit = EXPORT_TARGETS_S.get((export, row["entries"]))
                if row["entries"] == 10_000:
                    limit = EXPORT_TARGET_10K_S
                if limit:
                    lines.append(
                        f"- {name}, {size_label}: {export} under {limit} s: {verdict(figures['median_s'] < limit)} "
                        f"({figures['median_s']:.2f} s; worker's peak RSS {figures['peak_rss_before_mib']:.0f} → "
                        f"{figures['peak_rss_after_mib']:.0f} MiB)."
                    )
            if row["generate_s"] and row["entries"] == 100_000:
                lines.append(
                    f"- {name}: `generate_demo_data` at 100,000 entries under {GENERATE_TARGET_S} s: "
                    f"{verdict(row['generate_s'] < GENERATE_TARGET_S)} ({row['generate_s']:.0f} s)."
                )
        searches = {page: largest["urls"][page]["uncached_median_ms"] for page in largest["urls"] if "search" in page}
        lines.append(
            f"- {name}, {largest_label}: search "
            + ", ".join(f"{page} {ms:.0f} ms" for page, ms in searches.items())
            + (
                f": under {SEARCH_TARGET_MS} ms {verdict(all(ms < SEARCH_TARGET_MS for ms in searches.values()))}."
                if kind == "postgresql"
                else " (bounded: the target is PostgreSQL's)."
            )
        )
        first, deepest = largest["urls"]["API, first page"], largest["urls"]["API, last page"]
        lines.append(
            f"- {name}, {largest_label}: the API's last page as fast as its first: "
            f"{verdict(deepest['uncached_median_ms'] <= TARGET_GROWTH * first['uncached_median_ms'])} "
            f"({deepest['uncached_median_ms']:.1f} ms against {first['uncached_median_ms']:.1f} ms)."
        )
        if largest["entries"] >= 50_000:
            section_ms = largest["urls"]["sitemap, entries' first page"]["uncached_median_ms"]
            lines.append(
                f"- {name}, {largest_label}: `/sitemap.xml` a sitemap index past 50,000 URLs: "
                f"{verdict(largest['sitemap_is_index'])} (its entries' first page: {section_ms:.0f} ms)."
            )
    lines.append("")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="also save the table to bench/RESULTS.md")
    parser.add_argument("--json", type=Path, help="also save the raw figures as JSON to this file")
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite",
        help="which databases to run on (default: sqlite, and postgresql when DATABASE_URL names one)",
    )
    parser.add_argument("--no-load", action="store_true", help="skip the load test (bench/load.py)")
    parser.add_argument("--no-importer", action="store_true", help="skip the importer's figures (bench/importer.py)")
    parser.add_argument(
        "--sizes",
        help="numbers of generated entries to run at, comma-separated, on every database "
        "(default: 0,10000 on SQLite and 0,10000,100000 on PostgreSQL)",
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk (Debian: apt-get install wrk).")
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "redis": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "versions": {},
        "runs": {},
    }
    for kind in options.databases.split(","):
        print(f"== {kind}", file=sys.stderr, flush=True)
        wanted = {int(value) for value in options.sizes.split(",")} if options.sizes else set(DEFAULT_SIZES[kind])
        sizes = [(label, entries) for label, entries in SIZES if entries in wanted]
        bench_database(kind, os.environ.get("DATABASE_URL") if kind == "postgresql" else None, report, sizes)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    (WORK_DIR / "last.json").write_text(json.dumps(report, indent=2), encoding="utf-8")  # kept should the table fail
    table = markdown(report)
    if not options.no_load:
        print("== load test (60 s, 32 connections)", file=sys.stderr, flush=True)
        sys.path.insert(0, str(PROJECT_DIR / "bench"))
        import load

        figures = load.run_load(seconds=load.MAX_SECONDS, connections=load.MAX_CONNECTIONS)
        report["load"] = figures
        table += "\n" + load.markdown(figures)
    if not options.no_importer:
        print("== importer (precision, recall, time per document)", file=sys.stderr, flush=True)
        import importer

        table += "\n" + importer.section()
    print(table)
    if options.write:
        results = PROJECT_DIR / "bench" / "RESULTS.md"
        # The hand-written reading of the figures (against the targets, and why) is kept across runs.
        kept = ""
        if results.exists() and READING in (previous := results.read_text(encoding="utf-8")):
            kept = "\n" + previous[previous.index(READING) :]
        results.write_text(table + "\n" + kept, encoding="utf-8")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
