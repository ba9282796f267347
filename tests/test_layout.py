"""The layout's rule (README, "Layout"): partnership imports nothing from cms, and no module circles back.

The contracts are in pyproject.toml ([tool.importlinter]); this runs them as CI does, so that
`make test` catches an arrow that points the wrong way, even inside a function.
"""

import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Both contracts ran (a contract dropped from the configuration is not a pass).
    assert "Contracts: 2 kept, 0 broken." in result.stdout
