"""Unit tests of the fake's assumed ``q`` grammar and ``sort`` parameter."""

from __future__ import annotations

from typing import Any

import pytest

from jwasync.testing._query import (
    QueryError,
    apply_sort,
    matches,
    parse_query,
    parse_sort,
)


def media(**fields: Any) -> dict[str, Any]:
    metadata = {
        "title": fields.pop("title", ""),
        "tags": fields.pop("tags", []),
        "custom_params": fields.pop("custom_params", {}),
    }
    base = {
        "id": "abcd1234",
        "created": "2020-06-01T00:00:00.000000+00:00",
        "last_modified": "2020-06-02T00:00:00.000000+00:00",
        "status": "ready",
        "external_id": None,
    }
    return {**base, **fields, "metadata": metadata}


def hit(q: str, item: dict[str, Any]) -> bool:
    return matches(item, parse_query(q))


def test_title_word_and_phrase_match_whole_words_ignoring_case() -> None:
    item = media(title="The Wild Cats of Borneo")
    assert hit("title: cats", item)
    assert hit("title:CATS", item)
    assert hit('title: "wild cats"', item)
    assert not hit("title: cat", item)
    assert not hit('title: "cats wild"', item)


def test_wildcards_and_escapes() -> None:
    item = media(title="a*b", external_id='x"y')
    assert hit("title: a\\*b", item)
    assert hit("title: a*", item)
    assert not hit("title: a\\*c", item)
    assert hit('external_id: "x\\"y"', item)
    assert hit("external_id: x*", item)


def test_exact_fields_tags_and_custom_params() -> None:
    item = media(
        id="Ny05CEfj",
        external_id="ext-1",
        tags=["Sports", "news"],
        custom_params={"season": "2"},
    )
    assert hit("id: Ny05CEfj", item)
    assert not hit("id: ny05cefj", item)
    assert hit("external_id: ext-1", item)
    assert hit("tags: sports", item)
    assert not hit("tags: sport", item)
    assert hit("custom_params.season: 2", item)
    assert not hit("custom_params.episode: 2", item)
    assert hit("status: ready AND tags: news", item)
    assert not hit("status: ready AND tags: weather", item)


def test_media_id_reads_relationships_for_thumbnails() -> None:
    thumb = {"id": "t1", "relationships": {"media": [{"id": "m1", "is_poster": True}]}}
    assert hit("media_id: m1", thumb)
    assert not hit("media_id: m2", thumb)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("created: [2020-01-01T00:00:00+00:00 TO 2021-01-01T00:00:00+00:00]", True),
        ("created: [2020-06-01T00:00:00+00:00 TO 2020-06-01T00:00:00+00:00]", True),
        ("created: [2020-06-01T00:00:00.000001+00:00 TO *]", False),
        ("created: [* TO 2020-06-01]", True),
        ("created: [* TO 2020-05-31T23:59:59Z]", False),
        ("created: 2020-06-01T02:00:00+02:00", True),
        ("created: 2020-06-01T01:00:00+02:00", False),
        ("created: 2020-06-01T00:00:00Z", True),
        ("last_modified: [2020-06-02 TO *]", True),
    ],
)
def test_time_ranges_are_inclusive_and_timezone_aware(q: str, expected: bool) -> None:
    assert hit(q, media()) is expected


@pytest.mark.parametrize(
    "q",
    [
        "title",
        "title:",
        "nosuchfield: x",
        "title: a OR title: b",
        "title: wild cats",
        'title: "open',
        "title: ends\\",
        "title: [a TO b]",
        "created: [2020-01-01 TO]",
        "created: yesterday",
        "title: a and title: b",
    ],
)
def test_unparseable_queries_raise(q: str) -> None:
    with pytest.raises(QueryError):
        parse_query(q)


def test_sort_keys_directions_and_stable_ties() -> None:
    items = [
        media(id="c", title="b", created="2020-01-02"),
        media(id="a", title="a", created="2020-01-01"),
        media(id="b", title="b", created="2020-01-01"),
    ]
    apply_sort(items, parse_sort("created:dsc"))
    assert [i["id"] for i in items] == ["c", "a", "b"]
    apply_sort(items, parse_sort("title:dsc,id:asc"))
    assert [i["id"] for i in items] == ["b", "c", "a"]
    apply_sort(items, parse_sort("id"))
    assert [i["id"] for i in items] == ["a", "b", "c"]


@pytest.mark.parametrize("sort", ["nope:asc", "created:down", "created:asc,"])
def test_bad_sort_raises(sort: str) -> None:
    with pytest.raises(QueryError):
        parse_sort(sort)
