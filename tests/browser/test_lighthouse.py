"""Lighthouse (npm's lighthouse, in Debian's Chromium) on the pages readers use most: accessibility and
best practices at 100, on a phone (Lighthouse's default mobile emulation) and on a desktop."""

import json
import os
import subprocess

import pytest

from ..conftest import PROJECT_DIR
from .conftest import CHROMIUM

LIGHTHOUSE = PROJECT_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("accessibility", "best-practices")
PAGES = [
    "/partners/japan/",
    "/cooperation/",
    "/cooperation/?partner=japan&kind=contribution",
]


def lighthouse(url, tmp_path, preset):
    """Lighthouse's scores (0–1) and the failed audits' titles, by category, for ``url``."""
    report = tmp_path / "report.json"
    command = ["node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}"]
    command += [f"--only-categories={','.join(CATEGORIES)}", "--chrome-flags=--headless=new --no-sandbox"]
    if preset == "desktop":
        command.append("--preset=desktop")
    result = subprocess.run(
        command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {name: data["categories"][name]["score"] for name in CATEGORIES}
    failed = {
        name: [
            data["audits"][ref["id"]]["title"]
            for ref in data["categories"][name]["auditRefs"]
            if ref["weight"] and data["audits"][ref["id"]]["score"] not in (None, 1)
        ]
        for name in CATEGORIES
    }
    return scores, failed


@pytest.mark.parametrize("preset", ["mobile", "desktop"])
@pytest.mark.parametrize("path", PAGES)
def test_lighthouse_scores_accessibility_and_best_practices_at_100(demo_site, tmp_path, path, preset):
    assert LIGHTHOUSE.exists(), "lighthouse is not installed (npm ci)"
    scores, failed = lighthouse(demo_site.url + path, tmp_path, preset)
    assert scores == {"accessibility": 1, "best-practices": 1}, failed
