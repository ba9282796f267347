"""gunicorn on a free port of 127.0.0.1, for the benchmark (run.py) and the load test (load.py); Varnish in
front of it (the front-cache test, tests/test_frontend_cache.py)."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

PROJECT_DIR = Path(__file__).resolve().parent.parent
WORKERS = 2


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, name, output, seconds=30):
    """Wait until something answers on 127.0.0.1:``port``; RuntimeError (with ``output()``, what the server
    said) if ``process`` stops first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{name} did not start: {output()}") from None
            time.sleep(0.1)


@contextmanager
def gunicorn(env, workers=WORKERS):
    """Start gunicorn with ``env`` (its DJANGO_SETTINGS_MODULE: cms.settings.bench or production), wait until it
    answers, stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cms.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=PROJECT_DIR,
        env={**env, "GUNICORN_ACCESS_LOG": "/dev/null"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, process, "gunicorn", lambda: process.stderr.read())
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


VCL = PROJECT_DIR / "deploy" / "varnish" / "default.vcl"


def varnishd_path():
    """Debian's varnishd (/usr/sbin is not always on a user's PATH), or None."""
    return shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin:/usr/local/sbin")


@contextmanager
def varnish(backend_port, port=None, memory="256m"):
    """Varnish on 127.0.0.1:``port`` (a free one by default) with the repository's VCL
    (deploy/varnish/default.vcl), in front of the app server on 127.0.0.1:``backend_port``; stopped afterwards.

    Yields ``SimpleNamespace(url, port, pid, workdir)`` (workdir: its -n folder, for varnishlog/varnishstat). Raises RuntimeError if varnishd is missing or does not start.
    Its working directory (-n) is a temporary folder, so several can run side by side.
    """
    varnishd = varnishd_path()
    if varnishd is None:
        raise RuntimeError("varnishd not found (apt-get install varnish)")
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="partnership-varnish-") as folder:
        vcl = Path(folder) / "default.vcl"
        text, replaced = re.subn(r'\.port = "\d+";', f'.port = "{backend_port}";', VCL.read_text(), count=1)
        if not replaced:
            raise RuntimeError(f"{VCL} has no backend port to point at {backend_port}")
        vcl.write_text(text)
        # varnishd run as root reads its VCL after dropping to its own user (Debian's vcache).
        os.chmod(folder, 0o755)
        vcl.chmod(0o644)
        process = subprocess.Popen(
            # -F: in the foreground (its child, the cache process, stops with it); -n: its own state folder.
            [
                varnishd,
                "-F",
                "-a",
                f"127.0.0.1:{port}",
                "-f",
                str(vcl),
                "-n",
                str(Path(folder) / "state"),
                "-s",
                f"malloc,{memory}",
                "-T",
                "none",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, process, "varnishd", lambda: process.stdout.read())
            yield SimpleNamespace(
                url=f"http://127.0.0.1:{port}", port=port, pid=process.pid, workdir=Path(folder) / "state"
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def nginx(folder, port=None):
    """nginx on 127.0.0.1:``port`` serving the files of ``folder`` (Debian's package; the benchmark's
    yardstick for a cache: a static file from the fastest server on the machine). Yields
    ``SimpleNamespace(url, port)``; raises RuntimeError if nginx is missing or does not start."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        raise RuntimeError("nginx not found (apt-get install nginx)")
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="partnership-nginx-") as prefix:
        conf = Path(prefix) / "nginx.conf"
        conf.write_text(
            f"""worker_processes {WORKERS};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
    default_type text/html;
    server {{ listen 127.0.0.1:{port}; root {folder}; }}
}}
"""
        )
        process = subprocess.Popen(
            [binary, "-p", prefix, "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_port(port, process, "nginx", lambda: process.stderr.read(), seconds=10)
            yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port)
        finally:
            process.terminate()
            process.wait(timeout=10)
