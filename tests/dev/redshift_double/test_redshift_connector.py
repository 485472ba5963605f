"""A client nobody here wrote: AWS's own Python driver, redshift_connector (what the amazon
provider's RedshiftSQLHook uses), logs in to the double as a tenant-like read-only user and
runs the docs' two examples unchanged, over its extended protocol with named prepared
statements.

Not covered: the driver's SSL. redshift_connector verifies the server against the Redshift CA
bundle it ships (sslmode verify-ca / verify-full, no 'require'), which the double's
self-signed certificate cannot pass, so the test connects with ssl=False."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
# The current hour: docs example 2 reads the current month.
HOUR = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def test_redshift_connector_runs_the_docs_examples_as_a_tenant(
    redshift_double, clean_platform, superuser
):
    """A tenant credential (issued on the PostgreSQL behind the double, so its row-level
    security is PostgreSQL's) logs in through the double with redshift_connector and gets the
    same rows as the same tenant querying PostgreSQL directly."""
    from urllib.parse import quote

    import redshift_connector

    from datalake import credentials
    from datalake.entity.stream import ENTITY_STREAM
    from datalake.query import run_query
    from datalake.s3 import s3_client
    from datalake.warehouse import connect
    from datalake_dev.producer import ProducerConfig, simulate, upload

    client = s3_client(clean_platform)
    upload(simulate(HOUR, 1, ProducerConfig(seed=5)), client, clean_platform.landing_bucket)
    ENTITY_STREAM.run_hour(client, clean_platform, HOUR)
    with connect(clean_platform) as conn:
        org = conn.execute(
            "SELECT account FROM epilot_datalake.entity_operations WHERE schema = 'opportunity' "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    cred = credentials.generate(org, created_by="redshift-connector-test", settings=clean_platform)
    # Redshift keeps and checks passwords as md5 (CREATE USER ... PASSWORD 'md5...', what the
    # Redshift credentials SQL sends); redshift_connector speaks md5, not PostgreSQL's SCRAM.
    md5 = "md5" + hashlib.md5((cred.password + cred.username).encode()).hexdigest()
    superuser.execute(f"ALTER ROLE \"{cred.username}\" PASSWORD '{md5}'")
    direct_uri = (
        f"postgresql://{cred.username}:{quote(cred.password, safe='')}@127.0.0.1:{cred.port}/"
        f"{cred.database}"
    )
    conn = redshift_connector.connect(
        host="127.0.0.1",
        port=redshift_double.port,
        database=cred.database,
        user=cred.username,
        password=cred.password,
        ssl=False,
    )
    try:
        cursor = conn.cursor()
        seen = {}
        for name in ("docs_example_1.sql", "docs_example_2.sql"):
            sql = (ROOT / "include" / "sql" / "examples" / name).read_text()
            cursor.execute(sql)
            rows = [tuple(r) for r in cursor.fetchall()]
            expected = [tuple(r) for r in run_query(sql, clean_platform, uri=direct_uri).rows]
            assert rows == expected, name
            seen[name] = len(rows)
        assert seen["docs_example_1.sql"] > 0 and seen["docs_example_2.sql"] > 0, seen
        cursor.execute("SELECT %s::varchar || 'ü'", ("ä",))
        assert cursor.fetchone()[0] == "äü"
        cursor.execute("SELECT count(DISTINCT account) FROM entity_operations")
        assert cursor.fetchone()[0] == 1  # its own organisation only
    finally:
        conn.close()
        credentials.revoke(cred.username, settings=clean_platform)
