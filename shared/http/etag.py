"""Aggregate versions as ETags, and ``If-Match`` checks (412 on a stale version)."""

from __future__ import annotations

from shared.http.problems import Problem


def etag_for(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, current_version: int) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if etag_for(current_version) not in candidates:
        raise Problem(
            412,
            "precondition-failed",
            "The record has changed since you read it",
            f"Current version is {current_version}.",
        )
