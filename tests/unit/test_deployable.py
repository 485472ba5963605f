"""What the image holds runs without dev/ and tests/: the import graph of dags/ and plugins/
names no development package, and the DAGs and `python -m datalake` work in a Python whose
path has neither (the .dockerignore leaves both out of the image)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED_ROOTS = [ROOT / "dags", ROOT / "plugins"]
DEV_ONLY = ("datalake_dev", "tests")

# Run first in the child Python: drop dev/ and tests/ (and the repository root, whose tests/
# package would be importable from it) from sys.path, and refuse the development packages
# even though the virtualenv's editable install of dev/ has a finder for them.
WITHOUT_DEV = f"""
import sys
ROOT = {str(ROOT)!r}
sys.path[:] = [p for p in sys.path if p not in ('', ROOT)
               and not p.startswith((ROOT + '/dev', ROOT + '/tests'))]

class RefuseDevPackages:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {DEV_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in the image)", name=name)
        return None

sys.meta_path.insert(0, RefuseDevPackages())
sys.path.insert(0, ROOT + '/plugins')
"""


def _imports(path: Path) -> list[tuple[str, int]]:
    """(module, line) of every import statement in the file, relative imports resolved."""
    package = (
        ".".join(path.relative_to(ROOT / "plugins").with_suffix("").parts[:-1])
        if ROOT / "plugins" in path.parents
        else ""
    )
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def import_graph() -> dict[str, list[tuple[str, int]]]:
    """file (relative to the repository) -> the modules it imports."""
    files = [p for root in DEPLOYED_ROOTS for p in root.rglob("*.py")]
    return {str(p.relative_to(ROOT)): _imports(p) for p in sorted(files)}


def test_the_deployed_code_imports_nothing_from_dev_or_tests():
    graph = import_graph()
    assert "plugins/datalake/cli.py" in graph and "dags/entity_operations_hourly.py" in graph
    offending = [
        f"{path}:{line} imports {module}"
        for path, imports in graph.items()
        for module, line in imports
        if module.split(".")[0] in DEV_ONLY
    ]
    assert offending == []


def test_the_graph_sees_an_import_of_dev(tmp_path):
    """The check above can fail: a function-level import of the development package is found."""
    sample = tmp_path / "probe.py"
    sample.write_text(
        "def f():\n    from datalake_dev.producer import ulid\n    import tests.conftest\n"
    )
    imports = _imports(sample)
    assert ("datalake_dev.producer", 2) in imports and ("tests.conftest", 3) in imports


def _run_without_dev(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow")
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV + code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_dag_imports_without_dev_on_the_path(tmp_path):
    code = f"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(ROOT / "dags")!r})
dev = sorted(m for m in sys.modules if m.split('.')[0] in {DEV_ONLY!r})
print(json.dumps({{"dags": sorted(bag.dag_ids), "errors": bag.import_errors, "dev": dev}}))
"""
    result = _run_without_dev(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["errors"] == {} and seen["dev"] == []
    assert len(seen["dags"]) == len(list((ROOT / "dags").glob("[!_]*.py")))


def test_python_m_datalake_runs_without_dev_on_the_path(tmp_path):
    code = """
import runpy
sys.argv = ['datalake'] + sys.argv[1:]
runpy.run_module('datalake', run_name='__main__')
"""
    smoke = _run_without_dev(code.replace("sys.argv[1:]", "['smoke', '--help']"), tmp_path)
    assert smoke.returncode == 0, smoke.stderr[-3000:]
    assert "usage: datalake smoke" in smoke.stdout
    top = _run_without_dev(code.replace("sys.argv[1:]", "['--help']"), tmp_path)
    assert top.returncode == 0, top.stderr[-3000:]
    commands = set(re.search(r"\{([a-z,]+)\}", top.stdout).group(1).split(","))
    assert commands == {"status", "init", "query", "smoke", "credentials", "airflow"}  # no dev ones


def test_the_image_leaves_dev_and_tests_out_and_gets_the_command():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"dev", "tests"} <= set(ignored)
    dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
    runs = [line for line in dockerfile if line.startswith("RUN ")]
    # this project's distribution (plugins/ only), then the command must start without dev/
    assert any("pip install" in r and "-e ." in r and "datalake smoke --help" in r for r in runs)
