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

    def to_json(self) -> str:
        body = asdict(self)
        raw = body.pop("raw")
        for name in ("byte_offset", "object_offset"):  # only where they mean something
            if body[name] is None:
                del body[name]
        body["raw_base64"] = base64.b64encode(raw).decode("ascii")
        try:
            body["raw_text"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            body["raw_text"] = None
        return json.dumps(body, ensure_ascii=False, sort_keys=True)

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
        )


def quarantine_prefix(stream: str, run_key: str) -> str:
    return f"{QUARANTINE_ROOT}/{stream}/{run_key}/"


def write_quarantine(client, bucket: str, key: str, records: list[QuarantineRecord]) -> str | None:
    if not records:
        return None
    body = "\n".join(r.to_json() for r in records).encode("utf-8") + b"\n"
    # mtime=0: the same records give the same bytes, so a rerun's file is identical.
    client.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body, mtime=0))
    return key


def read_quarantine(client, bucket: str, key: str) -> list[QuarantineRecord]:
    body = gzip.decompress(client.get_object(Bucket=bucket, Key=key)["Body"].read()).decode("utf-8")
    return [QuarantineRecord.from_json(line) for line in body.splitlines() if line.strip()]
