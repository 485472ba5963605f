"""Quarantine: broken or invalid records kept whole, with their reason, source object and
position, as gzip NDJSON under ``quarantine/<stream>/<run key>/`` in the lake bucket.

``raw_base64`` is the exact delivered bytes (so a replay can re-read them); ``raw_text`` is
there for people when the bytes are valid UTF-8. ``byte_offset`` (object-level reasons only:
``truncated_object``, ``corrupt_gzip``) is where ``raw`` starts in the object's decoded bytes;
``object_offset`` the compressed byte where reading stopped.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import asdict, dataclass, field

QUARANTINE_ROOT = "quarantine"


@dataclass
class QuarantineRecord:
    source_key: str
    position: int
    reason: str
    raw: bytes
    failed_expectations: list[str] = field(default_factory=list)
    byte_offset: int | None = None
    object_offset: int | None = None
    # A conflicting duplicate: the id, the hour that loaded it, both versions' content hashes.
    conflict: dict | None = None

    def to_json(self) -> str:
        body = asdict(self)
        raw = body.pop("raw")
        for name in ("byte_offset", "object_offset", "conflict"):  # only where they mean something
            if body[name] is None:
                del body[name]
        body["raw_base64"] = base64.b64encode(raw).decode("ascii")
        try:
            body["raw_text"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            body["raw_text"] = None
        return _one_line(json.dumps(body, ensure_ascii=False, sort_keys=True))

    @staticmethod
    def from_json(line: str) -> "QuarantineRecord":
        body = json.loads(line)
        return QuarantineRecord(
            source_key=body["source_key"],
            position=body["position"],
            reason=body["reason"],
            raw=base64.b64decode(body["raw_base64"]),
            failed_expectations=body.get("failed_expectations", []),
            byte_offset=body.get("byte_offset"),
            object_offset=body.get("object_offset"),
            conflict=body.get("conflict"),
        )


# Characters json.dumps writes raw (ensure_ascii=False) that line splitters other than "split
# on \n" (str.splitlines, some JSON-lines tools, JavaScript before ES2019) take for line ends.
# Inside JSON they can only be in strings, where their escape means the same.
_LINE_BREAKERS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}
_LINE_BREAKER_TABLE = str.maketrans(_LINE_BREAKERS)


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKER_TABLE) if not text.isascii() else text


def quarantine_lines(body: bytes) -> list[str]:
    """The lines of a quarantine file (gzip'd JSON lines), split on \n only: files written
    before U+2028 & co. were escaped hold them raw inside strings, where they are not line ends."""
    return [line for line in gzip.decompress(body).decode("utf-8").split("\n") if line.strip()]


def parse_quarantine_line(line: str) -> dict | None:
    """One quarantine line's JSON object, or None when the line is not one (a bad hand edit):
    the readers skip it and say so rather than fail on it."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "reason" in entry else None


def quarantine_prefix(stream: str, run_key: str) -> str:
    return f"{QUARANTINE_ROOT}/{stream}/{run_key}/"


def publish_quarantine(
    client, bucket: str, stream: str, run_key: str, attempt_keys: list[str]
) -> list[str]:
    """The run's quarantine files (written under its attempt) as the hour's: copied to
    ``quarantine/<stream>/<run key>/<name>``, and the hour's files of an earlier run that are
    not among them removed. Called by the load under its lock, before the manifest that lists
    them: the last run of the hour to commit is the one whose files stay."""
    from datalake.s3 import delete_keys, iter_keys

    prefix = quarantine_prefix(stream, run_key)
    published = []
    for key in sorted(attempt_keys):
        target = prefix + key.rsplit("/", 1)[-1]
        client.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        published.append(target)
    stale = [
        key
        for key, _ in iter_keys(client, bucket, prefix)
        if key not in published and "/" not in key[len(prefix) :]
    ]
    delete_keys(client, bucket, stale)
    return published


def write_quarantine(client, bucket: str, key: str, records: list[QuarantineRecord]) -> str | None:
    if not records:
        return None
    body = "\n".join(r.to_json() for r in records).encode("utf-8") + b"\n"
    # mtime=0: the same records give the same bytes, so a rerun's file is identical.
    client.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body, mtime=0))
    return key


def read_quarantine(client, bucket: str, key: str) -> list[QuarantineRecord]:
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return [QuarantineRecord.from_json(line) for line in quarantine_lines(body)]
