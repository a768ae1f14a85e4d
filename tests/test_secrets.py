"""A secret scan of the repository (detect-secrets over every tracked file) finds nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO


def test_no_secrets_in_the_repository() -> None:
    tool = shutil.which("detect-secrets", path=str(Path(sys.executable).parent))
    assert tool, "detect-secrets is not installed (requirements-dev.txt)"
    # Without --all-files it scans exactly the files git tracks (what would be published).
    scan = subprocess.run([tool, "scan"],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    results = json.loads(scan.stdout)["results"]
    assert results == {}, json.dumps(results, indent=1)[:3000]
