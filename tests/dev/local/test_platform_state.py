"""The local platform's state file holds the admin's warehouse password: owner-only."""

from __future__ import annotations

import stat

from datalake.config import read_state, state_file
from datalake_dev.local import platform


def test_state_file_is_written_owner_only_and_an_old_world_readable_one_is_tightened(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    platform._write_state(
        {"endpoints": {"WAREHOUSE_URI": "postgresql://datalake_admin:secret@127.0.0.1:1/x"}}
    )
    assert stat.S_IMODE(state_file().stat().st_mode) == 0o600
    state_file().chmod(0o644)  # as written before this fix
    platform._write_state({"pids": {}})
    assert stat.S_IMODE(state_file().stat().st_mode) == 0o600
    assert read_state() == {"pids": {}}


def test_down_stops_the_tenant_watchdog_too(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    platform._write_state({"pids": {"tenant_watchdog": 4242}})
    stopped = []
    monkeypatch.setattr(platform, "stop_group", lambda pid: stopped.append(pid) or False)
    platform.down(log=lambda *_: None)
    assert 4242 in stopped
