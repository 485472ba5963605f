"""What a rerun must leave unchanged in the lake (shared by the DAG rerun tests)."""

from __future__ import annotations

import hashlib
import re

from datalake.s3 import iter_keys, s3_client

DERIVED = ("data_docs/", "validation_results/")
# The run's attempt (hourly/lake.py new_attempt) in the names of its kept GX results and pages.
ATTEMPT = re.compile(r"(?<=[/-])[0-9a-f]{16}(?=[/.-])")


def lake_digest(settings) -> dict[str, object]:
    """The lake's data, manifests, quarantine and kept GX results, byte for byte. The kept
    results and the Data Docs are each run's own (their names hold the run's attempt): they
    are listed without it, with the set of what every run wrote there, so a rerun that writes
    the same adds nothing. Data Docs pages are re-rendered by each run (GX puts fresh ids in
    them), so only their names count."""
    client = s3_client(settings)
    digest: dict[str, object] = {}
    for key, _ in iter_keys(client, settings.lake_bucket, ""):
        if key.startswith("data_docs/"):
            digest.setdefault(ATTEMPT.sub("<attempt>", key), {"rendered"})
            continue
        body = client.get_object(Bucket=settings.lake_bucket, Key=key)["Body"].read()
        sha = hashlib.sha256(body).hexdigest()
        if key.startswith(DERIVED):
            digest.setdefault(ATTEMPT.sub("<attempt>", key), set()).add(sha)
        else:
            digest[key] = sha
    return digest
