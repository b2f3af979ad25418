"""IAM auth tokens are presigned locally: no network, a fixed shape."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from audit.collect.iam_auth import IamAuthError, iam_auth_token

HOST = "orders.cluster-abc.eu-west-1.rds.amazonaws.com"


def test_token_shape_and_region_from_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    token = iam_auth_token(HOST, 5432, "cdc_audit", None, None)
    assert token.startswith(f"{HOST}:5432/?Action=connect&DBUser=cdc_audit&X-Amz-")
    query = parse_qs(urlsplit(f"https://{token}").query)
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == ["cdc_audit"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    credential = query["X-Amz-Credential"][0].split("/")
    assert credential[0] == "testing" and credential[2:] == ["eu-west-1", "rds-db", "aws4_request"]
    assert len(query["X-Amz-Signature"][0]) == 64


def test_explicit_region_wins_and_session_tokens_are_carried() -> None:
    token = iam_auth_token("10.0.0.5", 5432, "cdc", "ap-south-1", None)
    query = parse_qs(urlsplit(f"https://{token}").query)
    assert "/ap-south-1/rds-db/" in query["X-Amz-Credential"][0]
    assert query["X-Amz-Security-Token"] == ["testing"]


def test_no_region_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(IamAuthError, match="--aws-region"):
        iam_auth_token("10.0.0.5", 5432, "cdc", None, None)


def test_no_credentials_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(IamAuthError, match="credentials"):
        iam_auth_token(HOST, 5432, "cdc", None, None)
