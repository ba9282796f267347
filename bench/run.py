"""`make bench`: the site under gunicorn at three sizes, on SQLite and (with DATABASE_URL) PostgreSQL.

For each database and size (the document alone, 1,000 and 10,000 generated entries) it builds a
fresh database, then measures each URL of the product:

- SQL queries per request and median/p95 server time, uncached and from the page cache, inside
  one process through the real WSGI handler (bench/measure.py);
- requests per second under a bounded load (wrk, from a second process, on 127.0.0.1) against
  gunicorn with 2 sync workers, uncached and cached, and each figure's ratio to a minimal view
  served by the same gunicorn (the framework's ceiling on this machine).

It also times `load_fixtures` on a freshly migrated database and generating + loading the
10,000 entries, and measures the importer's precision, recall and speed per document
(bench/importer.py). Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0) for the cached
figures and wrk (Debian package `wrk`). The table is printed and, with --write, saved to
bench/RESULTS.md with the machine it ran on.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import PROJECT_DIR, WORKERS, gunicorn  # noqa: E402

WORK_DIR = PROJECT_DIR / "var" / "bench"
PYTHON = sys.executable
SIZES = [("document", 0), ("1,000 entries", 1_000), ("10,000 entries", 10_000)]
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
    ("record, filtered", "/cooperation/?area=maritime-security&kind=contribution&year_from=2000"),
    ("record, one partner", "/cooperation/?partner=japan"),
    # Finland and Sweden are demo partners (generate_demo_data): at the document's size the page names
    # them as unknown and compares nothing.
    ("comparison", "/partners/compare/?partner=japan&partner=finland&partner=sweden"),
    ("entry page", "/cooperation/japan-liaison-officer-maritime-command/"),
    ("CSV export", "/cooperation/export.csv"),
    ("API call", "/api/v2/entries/?partner=japan&limit=20"),
]


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


def requests_per_second(base, url):
    result = subprocess.run(
        ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{WRK_SECONDS}s", "--latency", base + url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    errors = re.search(r"Socket errors: (.*)", result.stdout)
    return {
        "rps": float(match.group(1)) if match else 0.0,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def measure(env):
    result = run([PYTHON, "bench/measure.py", *(url for _, url in URLS)], env)
    return json.loads(result.stdout)


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
            row = {"load_fixtures_s": load_seconds, "generate_s": generate_seconds, "urls": {}}
            uncached = measure(env)
            cached_env = environment(database, page_cache=True, prefix=f"{prefix}-{entries}-cached")
            cached = measure(cached_env)
            throughput = {}
            for label, env_for_server in (("uncached", env), ("cached", cached_env)):
                with gunicorn(env_for_server, WORKERS) as server:
                    base = server.url
                    minimal = requests_per_second(base, MINIMAL_URL)
                    throughput[label] = {"minimal": minimal}
                    for _, url in URLS:
                        requests_per_second(base, url) if label == "cached" else None  # warm the cache
                        throughput[label][url] = requests_per_second(base, url)
            for name, url in URLS:
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


def markdown(report):
    lines = [
        "# Benchmark results",
        "",
        f"Run by `make bench` on {report['date']}.",
        "",
        f"- Machine: {report['machine']}",
        f"- Databases: {', '.join(report['versions'].values())}; cache: Redis ({report['redis']})",
        f"- Server: gunicorn, {WORKERS} sync workers, production settings plus the baseline URL (`cms.settings.bench`), 127.0.0.1.",
        f"- Load: wrk, 1 thread, {WRK_CONNECTIONS} connections, {WRK_SECONDS} s per URL, from a second process.",
        "- *queries*: SQL queries per request (uncached; a page-cache hit costs none). *ms*: server time "
        "through the WSGI handler in one process, median / p95. *req/s*: throughput under wrk; "
        "*% min*: that throughput as a share of the minimal view served by the same gunicorn.",
        f"- Demo data: `generate_demo_data --partners {DEMO_PARTNERS} --entries N --seed {SEED}` on top of the document.",
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
            lines.append(
                "| URL | status | queries | uncached ms (median / p95) | cached ms (median / p95) "
                "| uncached req/s (% min) | cached req/s (% min) |"
            )
            lines.append("|---|---|---|---|---|---|---|")
            for name, figures in row["urls"].items():
                lines.append(
                    f"| {name} `{figures['url']}` | {figures['status']} | {figures['queries']} "
                    f"| {figures['uncached_median_ms']:.1f} / {figures['uncached_p95_ms']:.1f} "
                    f"| {figures['cached_median_ms']:.2f} / {figures['cached_p95_ms']:.2f} "
                    f"| {figures['uncached_rps']:.0f} ({100 * figures['uncached_rps'] / minimal['uncached']:.0f} %) "
                    f"| {figures['cached_rps']:.0f} ({100 * figures['cached_rps'] / minimal['cached']:.0f} %) |"
                )
            lines.append("")
    return "\n".join(lines)


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
        default=",".join(str(entries) for _, entries in SIZES),
        help="numbers of generated entries to run at, comma-separated (default: 0,1000,10000)",
    )
    options = parser.parse_args()
    wanted = {int(value) for value in options.sizes.split(",")}
    sizes = [(label, entries) for label, entries in SIZES if entries in wanted]
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
        bench_database(kind, os.environ.get("DATABASE_URL") if kind == "postgresql" else None, report, sizes)
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
