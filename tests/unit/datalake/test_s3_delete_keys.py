"""delete_keys: S3's DeleteObjects answers 200 with an ``Errors`` list for the keys it refused;
those must not pass for deleted. botocore's Stubber answers as S3 does (the response shape is
validated against the S3 service model)."""

import boto3
import pytest
from botocore.stub import Stubber

from datalake.s3 import S3DeleteError, delete_keys


def _client():
    return boto3.client(
        "s3", region_name="eu-central-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


def _expect(stub, keys, errors=()):
    stub.add_response(
        "delete_objects",
        {
            "Deleted": [],
            "Errors": [
                {"Key": k, "Code": "AccessDenied", "Message": "Access Denied"} for k in errors
            ],
        },
        {"Bucket": "lake", "Delete": {"Objects": [{"Key": k} for k in keys], "Quiet": True}},
    )


def test_refused_keys_raise_after_every_batch_was_tried():
    client = _client()
    keys = [f"k{i:04d}" for i in range(1001)]
    with Stubber(client) as stub:
        _expect(stub, keys[:1000], errors=["k0007"])
        _expect(stub, keys[1000:])  # the second batch is still sent
        refused = r"refused to delete 1 of 1001 objects in s3://lake/: k0007: AccessDenied"
        with pytest.raises(S3DeleteError, match=refused):
            delete_keys(client, "lake", keys)
        stub.assert_no_pending_responses()


def test_all_deleted_returns_the_count():
    client = _client()
    with Stubber(client) as stub:
        _expect(stub, ["a", "b"])
        assert delete_keys(client, "lake", ["a", "b"]) == 2
