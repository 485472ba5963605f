"""S3 access, against AWS or any S3-compatible endpoint (moto locally): clients from the
amazon provider's S3Hook (datalake/aws.py), our small helpers on top of them."""

from __future__ import annotations

from datalake.config import Settings, load_settings
from datalake.errors import ConfigurationError


def s3_client(settings: Settings | None = None):
    """The S3 client of the configured connection, built by the amazon provider's S3Hook
    (datalake/aws.py); the helpers below work on any boto3 S3 client."""
    from datalake.aws import s3_client as hook_s3_client

    return hook_s3_client(settings or load_settings())


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
            f"S3 endpoint {client.meta.endpoint_url} is not reachable while checking the {role} "
            f"bucket {bucket!r}; check S3_ENDPOINT_URL or the aws_default connection"
        ) from exc


def iter_keys(client, bucket: str, prefix: str):
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield obj["Key"], obj["Size"]


class S3DeleteError(RuntimeError):
    """S3 answered a DeleteObjects request but refused to delete some of its keys."""


def delete_keys(client, bucket: str, keys) -> int:
    """Delete the keys, 1000 per request (S3's limit); returns how many.

    DeleteObjects answers 200 even when it refuses single keys (AccessDenied, an object lock,
    ...): those come back in its ``Errors`` list, which the quiet mode still reports. Every
    batch is tried; then a refusal raises, so a stale lake file or staging object is never
    taken for deleted."""
    keys = list(keys)
    refused = []
    for i in range(0, len(keys), 1000):
        batch = [{"Key": k} for k in keys[i : i + 1000]]
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        refused.extend(response.get("Errors") or [])
    if refused:
        shown = "; ".join(
            f"{e.get('Key')}: {e.get('Code')} ({e.get('Message')})" for e in refused[:5]
        )
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        raise S3DeleteError(
            f"S3 refused to delete {len(refused)} of {len(keys)} objects in "
            f"s3://{bucket}/: {shown}{more}"
        )
    return len(keys)
