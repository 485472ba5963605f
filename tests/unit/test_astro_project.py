"""The folder is an Astro project: astro-cli recognises it by .astro/config.yaml, and merges
docker-compose.override.yml over the compose file it generates. The merge is checked with
Debian's `docker-compose` (it validates without a daemon) against a base file shaped like
astro-cli's Airflow 3 one: the `airflow` network and the scheduler and dag-processor services."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ASTRO_LIKE_BASE = """
networks:
  airflow:
    driver: bridge
services:
  postgres:
    image: docker.io/postgres:12.6
    networks: [airflow]
  scheduler:
    image: epilot-datalake/airflow:latest
    command: [airflow, scheduler]
    depends_on: [postgres]
    networks: [airflow]
    environment:
      AIRFLOW__CORE__EXECUTOR: LocalExecutor
  dag-processor:
    image: epilot-datalake/airflow:latest
    command: [airflow, dag-processor]
    networks: [airflow]
    environment:
      AIRFLOW__CORE__EXECUTOR: LocalExecutor
"""


def test_astro_cli_sees_a_project():
    config = yaml.safe_load((ROOT / ".astro" / "config.yaml").read_text())
    assert config["project"]["name"]


@pytest.mark.skipif(
    not shutil.which("docker-compose"),
    reason="docker-compose is not installed (apt-get install docker-compose)",
)
def test_the_override_merges_over_an_astro_compose_file(tmp_path):
    base = tmp_path / "docker-compose.yml"
    base.write_text(ASTRO_LIKE_BASE)
    result = subprocess.run(
        [
            "docker-compose",
            "--project-directory",
            str(ROOT),
            "-f",
            str(base),
            "-f",
            str(ROOT / "docker-compose.override.yml"),
            "config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("datalake-s3", "datalake-warehouse"):
        assert "airflow" in services[name]["networks"]
    assert {"datalake-s3", "datalake-warehouse", "postgres"} <= set(
        services["scheduler"]["depends_on"]
    )
    assert services["scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    mounted = [v.split(":")[0] for v in services["datalake-warehouse"]["volumes"]]
    assert all(Path(m).exists() for m in mounted if m.startswith("/")), mounted
