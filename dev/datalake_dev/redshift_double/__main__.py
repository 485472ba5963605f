"""python -m datalake_dev.redshift_double --upstream URI --port N: the double in the foreground."""

from __future__ import annotations

import argparse
import logging
import os


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m datalake_dev.redshift_double", description=__doc__
    )
    parser.add_argument(
        "--upstream", required=True, help="postgresql:// URI of the PostgreSQL behind it"
    )
    parser.add_argument("--port", type=int, default=5439)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--serverless", action="store_true", help="behave as Redshift Serverless")
    parser.add_argument("--s3-endpoint-url", default=os.environ.get("S3_ENDPOINT_URL"))
    parser.add_argument(
        "--cert-dir",
        help="where to keep its TLS certificate (default: a new "
        "temporary folder); clients verify the server with <cert-dir>/cert.pem",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    from datalake_dev.redshift_double import RedshiftDouble

    double = RedshiftDouble(
        args.upstream,
        args.s3_endpoint_url,
        host=args.host,
        port=args.port,
        serverless=args.serverless,
        cert_dir=args.cert_dir,
    )
    port = double.start().port
    print(
        f"Redshift double on {args.host}:{port} in front of the upstream "
        f"(serverless={args.serverless}); its certificate: {double.certificate}\n"
        f"WAREHOUSE_URI=redshift://<user>:<password>@{args.host}:{port}/<database>"
        f"?sslrootcert={double.certificate}",
        flush=True,
    )
    try:
        double._thread.join()
    except KeyboardInterrupt:
        double.stop()


if __name__ == "__main__":
    main()
