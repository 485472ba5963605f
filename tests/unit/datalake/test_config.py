"""Settings resolution: environment beats the state file, which beats the defaults."""

import json

from datalake import config


def test_defaults_without_state_or_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    for key in config.STATUS_KEYS:
        monkeypatch.delenv(key, raising=False)
    settings = config.load_settings()
    assert settings.s3_endpoint_url == config.DEFAULTS["S3_ENDPOINT_URL"]
    assert settings.sources["WAREHOUSE_URI"] == "default"


def test_state_file_then_environment_override(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    for key in config.STATUS_KEYS:
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "platform.json").write_text(json.dumps({"endpoints": {"S3_ENDPOINT_URL": "http://127.0.0.1:6000"}}))
    assert config.load_settings().s3_endpoint_url == "http://127.0.0.1:6000"
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:7000")
    monkeypatch.setenv("LAKE_BUCKET", "other-lake")
    settings = config.load_settings()
    assert settings.s3_endpoint_url == "http://127.0.0.1:7000"
    assert settings.lake_bucket == "other-lake"
    assert settings.sources["S3_ENDPOINT_URL"] == "env"


def test_status_lines_have_the_spec_keys_and_hide_remote_passwords(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URI", "redshift://admin:s3cret@cluster.abc.eu-central-1.redshift.amazonaws.com:5439/epilot_datalake")
    settings = config.load_settings()
    lines = dict(line.split("=", 1) for line in settings.status_lines())
    assert set(config.STATUS_KEYS) <= set(lines)
    assert "s3cret" not in lines["WAREHOUSE_URI"]
    assert settings.warehouse_is_redshift


def test_local_warehouse_is_not_redshift():
    assert not config.Settings(None, "l", "k", config.local_warehouse_uri(), "http://x").warehouse_is_redshift
