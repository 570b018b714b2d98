"""The query grammar: one parser for the box, the CLI and the API."""

from __future__ import annotations

from datetime import datetime

import pytest

from photofinder.errors import QueryError
from photofinder.query import Filters, Role, TextPart, parse_query


def test_plain_words_are_one_description():
    query = parse_query("a dog on the beach")
    assert query.parts == (TextPart("a dog on the beach"),)
    assert not query.filters and not query.is_empty


def test_exclude_require_weights_and_phrases():
    query = parse_query('circle -red +large 2:sunset 0.5:"blue sky" "new york" -"red car"')
    assert query.parts == (
        TextPart("circle"),
        TextPart("red", role=Role.EXCLUDE),
        TextPart("large", role=Role.REQUIRE),
        TextPart("sunset", weight=2.0),
        TextPart("blue sky", weight=0.5, quoted=True),
        TextPart("new york", quoted=True),
        TextPart("red car", role=Role.EXCLUDE, quoted=True),
    )
    assert [p.text for p in query.ranking_parts] == ["circle", "large", "sunset", "blue sky", "new york"]


def test_typed_filters():
    query = parse_query('beach in:"Holidays 2023" after:2023-06 before:2024 camera:pixel '
                        "type:png,JPG is:portrait has:location near:paris")
    assert query.parts == (TextPart("beach"),)
    assert query.filters == Filters(
        folders=("Holidays 2023",), after=datetime(2023, 6, 1), before=datetime(2024, 1, 1),
        types=("png", "jpg"), cameras=("pixel",), orientation="portrait", has_location=True,
        near="paris")


@pytest.mark.parametrize(("text", "near"), [
    ('sunset near:"new york"~10km', "new york~10km"), ("sunset near:paris~500m", "paris~500m"),
    ("sunset near:48.85,2.35", "48.85,2.35"), ('sunset near:"paris, us"', "paris, us"),
])
def test_near_takes_a_place_and_a_radius_and_comes_back_as_a_chip(text, near):
    query = parse_query(text)
    assert query.parts == (TextPart("sunset"),) and query.filters.near == near
    assert parse_query(query.to_text()) == query
    assert query.without(query.filters.chips()[0][1]).filters.near is None


def test_round_trip_and_removing_a_chip():
    text = 'dog +beach 2:sunset -"red car" in:holidays after:2023-06 type:png'
    query = parse_query(text)
    assert parse_query(query.to_text()) == query
    assert query.without("+beach").to_text() == 'dog 2:sunset -"red car" in:holidays after:2023-06 type:png'
    assert query.without("in:holidays").filters.folders == ()
    assert query.without("after:2023-06").filters.after is None


def test_unknown_keys_and_curly_quotes_are_text():
    query = parse_query("note:this http://example.com “red car”")
    assert [p.text for p in query.parts] == ["note:this http://example.com", "red car"]


@pytest.mark.parametrize("text,message", [
    ("cat after:2023-13", "not a date"), ("cat before:yesterday", "not a date"),
    ("cat is:round", "is:portrait"), ("cat has:wheels", "has:location"),
    ("cat 0:dog", "weight"), ("cat 11:dog", "weight"), ("cat in:", "give a value"),
    ("cat near:paris~0km", "a radius is above 0"), ("cat near:~5km", "say near what"),
])
def test_malformed_filters_name_the_problem(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_only_exclusions_or_filters_is_empty():
    assert parse_query("-red").is_empty and parse_query("in:holidays").is_empty
    assert parse_query("").is_empty
