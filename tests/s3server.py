"""An S3-compatible server for the tests: moto's real HTTP server on 127.0.0.1
(boto3 talks to it over sockets, as to MinIO), not a mock of boto3."""

from __future__ import annotations

import uuid

import boto3
from moto.server import ThreadedMotoServer

from tests.serving import free_port

ACCESS_KEY, SECRET_KEY, REGION = "debrief-test", "debrief-test-secret", "us-east-1"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> S3Server:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
        )

    def new_bucket(self) -> str:
        name = f"debrief-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def environment(self, bucket: str, prefix: str = "runs") -> dict[str, str]:
        """What a deployment sets for DEBRIEF_STORAGE_URL=s3://bucket/prefix."""
        return {
            "DEBRIEF_STORAGE_URL": f"s3://{bucket}/{prefix}",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))
