"""Every AWS test runs with dummy credentials and cannot reach a real AWS endpoint.

The environment is reset to dummy credentials and a fixed region with no shared config or
credentials file and no instance metadata; and botocore's HTTP layer refuses any request that
is not to a loopback address (moto's ``mock_aws`` answers before that layer, the simulator
listens on 127.0.0.1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.httpsession import URLLib3Session

from audit.collect.aws import is_loopback

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
CLEARED = (
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


class RealEndpointError(AssertionError):
    """A test tried to reach a real AWS endpoint."""


@pytest.fixture(autouse=True)
def aws_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL_"):
            monkeypatch.delenv(name)
    for name, value in DUMMY_ENV.items():
        monkeypatch.setenv(name, value)
    original = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        if not is_loopback(request.url):
            raise RealEndpointError(f"test tried to reach {urlsplit(request.url).hostname}")
        return original(self, request)

    monkeypatch.setattr(URLLib3Session, "send", send)
    yield
