"""S3 access through boto3, against AWS or any S3-compatible endpoint (moto locally)."""

from __future__ import annotations

import os

from datalake.config import Settings, load_settings


class ConfigurationError(RuntimeError):
    """A setting, connection or bucket the pipeline needs is missing or wrong."""


def s3_client(settings: Settings | None = None):
    import boto3
    from botocore.config import Config

    settings = settings or load_settings()
    kwargs = {}
    if settings.s3_endpoint_url:
        kwargs["endpoint_url"] = settings.s3_endpoint_url
        # moto accepts any key; real AWS uses the normal credential chain instead.
        kwargs.setdefault("aws_access_key_id", os.environ.get("AWS_ACCESS_KEY_ID", "local"))
        kwargs.setdefault("aws_secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
    return boto3.client(
        "s3",
        region_name=settings.aws_region,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}),
        **kwargs,
    )


def ensure_bucket(client, bucket: str, region: str) -> bool:
    """Create the bucket if it does not exist; True when it was created."""
    from botocore.exceptions import ClientError

    try:
        client.head_bucket(Bucket=bucket)
        return False
    except ClientError:
        pass
    params = {"Bucket": bucket}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(**params)
    return True


def require_bucket(client, bucket: str, role: str) -> None:
    """Fail with a message that names the bucket when it is missing or unreachable."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ConfigurationError(
            f"{role} bucket {bucket!r} is not reachable ({code or exc}); "
            f"create it with `datalake init` or set {role.upper()}_BUCKET"
        ) from exc
    except EndpointConnectionError as exc:
        raise ConfigurationError(
            f"S3 endpoint {client.meta.endpoint_url} is not reachable while checking the {role} bucket "
            f"{bucket!r}; check S3_ENDPOINT_URL or the aws_default connection"
        ) from exc


def iter_keys(client, bucket: str, prefix: str):
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"], obj["Size"]
