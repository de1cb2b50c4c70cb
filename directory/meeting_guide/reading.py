"""Reading a Meeting Guide feed: from a URL (through ``directory.services.fetching``: public
addresses only, a deadline and a byte cap), a file or an upload, into a bounded JSON array."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from directory.models import FeedSource
from directory.services import fetching

MAX_BYTES = 50 * 1024 * 1024


class FeedReadError(Exception):
    """The source cannot be read or is not a JSON array; nothing is imported."""


# ----------------------------------------------------------------------------- reading


def read_source(source: str, *, timeout: float | None = None) -> list:
    """The feed at a file path or an http(s) URL, parsed. URLs are fetched by
    :mod:`directory.services.fetching` (public addresses only, a total deadline and a byte
    cap); ``timeout`` overrides its deadline."""
    if source.startswith(("http://", "https://")) or "://" in source:
        try:
            raw = fetching.fetch(source, deadline=timeout)
        except fetching.FetchError as error:
            raise FeedReadError(str(error)) from None
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as error:
            raise FeedReadError(f"Could not read {source}: {error.strerror or error}") from None
    return parse_feed(raw, source)


def parse_feed(raw: bytes | str, label: str = "the feed") -> list:
    if len(raw) > MAX_BYTES:
        raise FeedReadError(f"{label} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        data = json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise FeedReadError(f"{label} is not JSON: {error}") from error
    except RecursionError:  # "[[[[…" thousands deep: no feed looks like that
        raise FeedReadError(f"{label} is nested too deeply to be a Meeting Guide feed.") from None
    if not isinstance(data, list):
        raise FeedReadError(f"{label} is not a Meeting Guide feed (expected a JSON array).")
    limit = settings.DIRECTORY_FEED_MAX_ROWS
    if len(data) > limit:
        raise FeedReadError(
            f"{label} has {len(data):,} rows, more than the {limit:,} a feed may have "
            "(DIRECTORY_FEED_MAX_ROWS)."
        )
    return data


def read_feed(source: FeedSource, *, timeout: float | None = None) -> list:
    if source.url:
        return read_source(source.url, timeout=timeout)
    if source.uploaded_feed:
        return parse_feed(source.uploaded_feed, "the uploaded feed")
    raise FeedReadError("The source has neither a URL nor an uploaded feed.")
