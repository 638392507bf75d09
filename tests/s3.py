"""An S3-speaking server on loopback for the storage tests: moto's standalone server (ThreadedMotoServer), started
once per test session on 127.0.0.1 and a free port, stopped at the end; each test gets a bucket of its own.

Import the fixtures into a test module (`from tests.s3 import s3_server, s3_config  # noqa: F401`)."""
import socket
import uuid

import pytest


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """The server's endpoint URL (http://127.0.0.1:<port>)."""
    pytest.importorskip("boto3", reason="the S3 backend needs boto3 (requirements.txt)")
    moto_server = pytest.importorskip("moto.server", reason="moto[server] (requirements-dev.txt) runs the S3 server")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_config(s3_server):
    """App configuration naming a new, empty bucket of the server (STORAGE_URL s3://<bucket>/site)."""
    import boto3
    bucket = f"citizen-{uuid.uuid4().hex[:16]}"
    config = {"STORAGE_URL": f"s3://{bucket}/site", "STORAGE_ENDPOINT": s3_server, "STORAGE_REGION": "us-east-1",
              "STORAGE_ACCESS_KEY": "test-key", "STORAGE_SECRET_KEY": "test-secret"}
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test-key",
                 aws_secret_access_key="test-secret").create_bucket(Bucket=bucket)
    config["bucket"] = bucket
    return config


def bucket_keys(config):
    """Every key in the test's bucket."""
    import boto3
    client = boto3.client("s3", endpoint_url=config["STORAGE_ENDPOINT"], region_name="us-east-1",
                          aws_access_key_id="test-key", aws_secret_access_key="test-secret")
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=config["bucket"]).get("Contents", []))
