"""gunicorn on a free port of 127.0.0.1, for the benchmark (run.py) and the load test (load.py)."""

import socket
import subprocess
import sys
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
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start: " + (process.stderr.read() if process.stderr else "")
                    ) from None
                time.sleep(0.2)
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
