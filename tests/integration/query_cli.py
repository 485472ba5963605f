"""`datalake query --file … --format json` as a user runs it (the installed command, the test's
environment), its rows parsed; shared by the tests that check SQL files through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def query_file(path: Path) -> list[dict]:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "datalake"),
            "query",
            "--file",
            str(path),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
