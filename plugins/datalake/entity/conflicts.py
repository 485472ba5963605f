"""Conflicting duplicates of the entity stream (what they are and what happens to them:
hourly/conflicts.py): the staged copies of ids other hours loaded, compared with the rows
loaded, and the later staged copies of ids staged twice in this run, compared with the first.

Content = the 13 columns of the row, as normalised.
"""

from __future__ import annotations

from datalake.entity.parquet import SEQ_COLUMN
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.hourly.conflicts import Conflict, content_hash
from datalake.sqlfiles import query_file

_IN_LIST = 1000  # ids per IN list


def _quoted(columns) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def loaded_rows(conn, ids: list[str]) -> dict[str, tuple]:
    rows = {}
    for start in range(0, len(ids), _IN_LIST):
        part = ids[start : start + _IN_LIST]
        params = {f"id_{i}": value for i, value in enumerate(part)}
        placeholders = ", ".join(f"%({name})s" for name in params)
        for row in query_file(
            conn,
            "entity_operations/loaded_rows.sql",
            params,
            columns=_quoted(ENTITY_COLUMNS),
            ids=placeholders,
        ):
            rows[row[0]] = row
    return rows


def staged_rows_redshift(conn, ids, seqs: list[int]) -> dict[int, tuple]:
    """As StagedFiles.rows_of, from the stage table (`ids` only narrow the files read)."""
    rows = {}
    for start in range(0, len(seqs), _IN_LIST):
        inline = ", ".join(str(int(seq)) for seq in seqs[start : start + _IN_LIST])
        columns = _quoted((*ENTITY_COLUMNS, SEQ_COLUMN))
        for row in query_file(conn, "redshift/staged_rows.sql", columns=columns, seqs=inline):
            rows[row[-1]] = row[:-1]
    return rows


def find_conflicts(conn, run_key: str, staged_rows) -> list[Conflict]:
    """The conflicting copies among this run's staged first copies of ids other hours loaded.
    `staged_rows(ids, seqs)` gives the staged rows of those seqs as {seq: 13 values}. Call
    before the dedupe drops them."""
    foreign = query_file(conn, "entity_operations/foreign_copies.sql", {"run_key": run_key})
    if not foreign:
        return []
    copies = staged_rows({row[0] for row in foreign}, [row[1] for row in foreign])
    loaded = loaded_rows(conn, [row[0] for row in foreign])
    conflicts = []
    for event_id, seq, owner in foreign:
        loaded_hash, copy_hash = content_hash(loaded[event_id]), content_hash(copies[seq])
        if loaded_hash != copy_hash:
            conflicts.append(Conflict(event_id, seq, owner, loaded_hash, copy_hash))
    return conflicts


def find_copy_conflicts(conn, run_key: str, staged_rows) -> list[Conflict]:
    """The later copies of ids staged more than once in this run whose content differs from
    the first copy's (`staged_rows` as for find_conflicts). Call before the dedupe drops
    them."""
    later = query_file(conn, "entity_operations/later_copies.sql")
    if not later:
        return []
    seqs = sorted({row[1] for row in later} | {row[2] for row in later})
    hashes = {
        seq: content_hash(row) for seq, row in staged_rows({r[0] for r in later}, seqs).items()
    }
    return [
        Conflict(event_id, seq, run_key, hashes[first], hashes[seq])
        for event_id, seq, first in later
        if hashes[first] != hashes[seq]
    ]
