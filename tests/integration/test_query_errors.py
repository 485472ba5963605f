"""Bad SQL in `datalake query`: one line on stderr saying what is wrong and where, non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DATALAKE = str(Path(sys.executable).parent / "datalake")


def _query(sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATALAKE, "query", sql], capture_output=True, text=True, env=os.environ.copy(), timeout=120
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELEC 1", "line 1, column 7 near '1'"),
        ("SELECT 1;\nSELECT * FROM", "line 2, column 13 near 'FROM'"),
        ("SELECT 'unterminated", "unterminated string"),
    ],
)
def test_bad_sql_is_one_line_and_a_non_zero_exit(platform, sql, expected):
    result = _query(sql)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("datalake query: error: SQL syntax error")
    assert expected in lines[0]
    assert "\x1b" not in lines[0]  # no terminal colour codes from sqlglot


def test_sql_that_parses_but_fails_in_the_database_is_one_line_too(platform):
    result = _query("SELECT no_such_column FROM epilot_datalake.entity_operations")
    assert result.returncode == 2
    assert result.stderr.startswith(
        'datalake query: SQL error: column "no_such_column" does not exist'
    )
    assert "Traceback" not in result.stderr


def test_sql_too_deeply_nested_to_parse_is_one_line_too(platform):
    """sqlglot parses by recursion: thousands of nested parentheses end in a RecursionError."""
    result = _query("SELECT " + "(" * 3000 + "1" + ")" * 3000)
    assert result.returncode == 2
    expected = "datalake query: error: the input is nested too deeply to be parsed"
    assert result.stderr.strip() == expected
    assert "Traceback" not in result.stderr


def test_a_directory_as_the_sql_file_is_one_line(platform, tmp_path):
    result = subprocess.run(
        [DATALAKE, "query", "--file", str(tmp_path)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
