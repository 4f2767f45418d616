"""The journey forms' table against the cases service's own API, and her answers → a body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.cases.main import create_app
from services.web.pages.journey_form_fields import (
    TIME_SUFFIX,
    Field,
    Kind,
    body_of,
    occurred_field,
    options,
    parse_time,
    parse_uk_date,
)
from services.web.pages.journey_forms import FORMS
from shared.reference import ReferenceData, load_reference_data
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, make_settings

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings = make_settings(ServiceName.CASES, tmp_path_factory.mktemp("cases") / "var")
    with TestClient(create_app(settings), headers=bearer(Role.CASEWORKER)) as client:
        yield client.get("/openapi.json").json()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return dict(spec["components"]["schemas"][name])
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _resolve(spec, option)
    return schema


def _body_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    operation = spec["paths"][path]["post"]
    content = operation["requestBody"]["content"]["application/json"]
    return _resolve(spec, content["schema"])


def _enum(spec: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    return list(_resolve(spec, prop).get("enum", []))


def test_given_the_table_then_every_form_posts_to_a_cases_command_that_exists(
    openapi: dict[str, Any],
) -> None:
    missing = [form.path for form in FORMS if "post" not in openapi["paths"].get(form.path, {})]
    assert missing == []
    assert len({form.path for form in FORMS}) == len(FORMS)


def test_given_the_table_then_every_field_is_one_the_command_body_has(
    openapi: dict[str, Any],
) -> None:
    for form in FORMS:
        body = _body_schema(openapi, form.path)
        properties = body["properties"]
        for item in (*form.fields, occurred_field(form)):
            assert item.name in properties, f"{form.path}: {item.name}"
            if item.fixed:
                codes = [code for code, _ in item.fixed]
                assert sorted(codes) == sorted(_enum(openapi, properties[item.name])), (
                    f"{form.path}: {item.name}"
                )
        # Nothing the command requires is left off the form.
        sent = {f.name for f in form.fields}
        assert set(body.get("required", [])) <= sent, form.path


def test_given_the_table_then_every_coded_field_names_real_reference_data() -> None:
    data = load_reference_data()
    kinds = set(ReferenceData.model_fields)
    for form in FORMS:
        for item in form.fields:
            if item.kind in {Kind.SELECT, Kind.RADIOS, Kind.CHECKBOXES}:
                assert item.fixed or item.reference in kinds, f"{form.path}: {item.name}"
                assert options(item, data.model_dump()), f"{form.path}: {item.name}"


def test_given_first_responders_only_then_only_first_responders_are_offered() -> None:
    data = load_reference_data().model_dump()
    partner = Field("partner", Kind.SELECT, "", reference="partners", first_responders_only=True)
    offered = {code for code, _ in options(partner, data)}
    assert offered and all(data["partners"][code]["first_responder"] for code in offered)
    assert offered != set(data["partners"])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("27/11/2026", date(2026, 11, 27)),
        ("1/2/2026", date(2026, 2, 1)),
        ("27-11-2026", date(2026, 11, 27)),
        (" 27.11.2026 ", date(2026, 11, 27)),
        ("2026-11-27", date(2026, 11, 27)),
        ("31/02/2026", None),
        ("11/27/2026", None),
        ("27/11/26", None),
        ("tomorrow", None),
    ],
)
def test_given_a_date_typed_uk_style_then_it_is_read_day_first(
    typed: str, expected: date | None
) -> None:
    assert parse_uk_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14:30", (14, 30)),
        ("9.05", (9, 5)),
        ("2:30pm", (14, 30)),
        ("12am", (0, 0)),
        ("2 PM", (14, 0)),
        ("14", None),
        ("25:00", None),
        ("13pm", None),
    ],
)
def test_given_a_time_then_it_is_read_as_a_time_of_day(
    typed: str, expected: tuple[int, int] | None
) -> None:
    assert parse_time(typed) == expected


def test_given_a_london_summer_time_then_it_is_sent_in_utc() -> None:
    at = Field("at", Kind.DATE_TIME, "When")
    body, errors = body_of((at,), {"at": "01/07/2026", "at" + TIME_SUFFIX: "14:30"}, NOW)
    assert errors == {}
    assert body == {"at": "2026-07-01T13:30:00+00:00"}
    winter, _ = body_of((at,), {"at": "01/12/2026", "at" + TIME_SUFFIX: "14:30"}, NOW)
    assert winter == {"at": "2026-12-01T14:30:00+00:00"}


def test_given_no_time_of_happening_then_now_is_sent() -> None:
    when = Field("occurred_at", Kind.DATE_TIME, "When", optional=True)
    body, errors = body_of((when,), {"occurred_at": "", "occurred_at" + TIME_SUFFIX: ""}, NOW)
    assert (body, errors) == ({"occurred_at": NOW.isoformat()}, {})


def test_given_an_unreadable_date_then_it_is_not_sent_and_named_beside_its_field() -> None:
    fields = (
        Field("review_on", Kind.DATE, "Review"),
        Field("at", Kind.DATE_TIME, "When"),
    )
    body, errors = body_of(
        fields, {"review_on": "31/13/2026", "at": "01/12/2026", "at" + TIME_SUFFIX: "noon"}, NOW
    )
    assert body == {}
    assert set(errors) == {"review_on", "at"}
    assert "27/11/2026" in errors["review_on"] and "14:30" in errors["at"]


def test_given_answers_then_the_body_has_the_commands_types_and_leaves_out_the_unsaid() -> None:
    fields = (
        Field("scope", Kind.RADIOS, "Scope"),
        Field("partner", Kind.SELECT, "Partner", only_when=("scope", "share_with_partner")),
        Field("languages", Kind.CHECKBOXES, "Languages"),
        Field("interpreter", Kind.YES_NO, "Interpreter"),
        Field("notes", Kind.NOTES, "Notes", optional=True),
        Field("review_on", Kind.DATE, "Review"),
    )
    values = {
        "scope": "store_data",
        "partner": "salvation_army",
        "languages": "ro",
        "interpreter": "no",
        "notes": "   ",
        "review_on": "5/1/2027",
    }
    body, errors = body_of(fields, values, NOW)
    assert errors == {}
    assert body == {
        "scope": "store_data",
        "languages": ["ro"],
        "interpreter": False,
        "review_on": "2027-01-05",
    }


def test_given_the_forms_then_no_two_share_a_path_and_items_name_known_lists() -> None:
    from services.web.pages.journey_form_items import ITEM_LISTS

    for form in FORMS:
        assert form.item_param in (None, *ITEM_LISTS), form.path


def test_given_a_form_then_this_app_serves_it_at_the_commands_own_path() -> None:
    from services.web.pages.journey_forms import router

    routes = {
        (route.path, method)
        for route in router.routes
        for method in getattr(route, "methods", set()) or set()
    }
    for form in FORMS:
        assert (form.path, "GET") in routes and (form.path, "POST") in routes, form.path


@pytest.mark.parametrize(
    ("status", "slug", "title", "expected"),
    [
        (422, "recovery-period-too-short", "The recovery period must last at least 30 days",
         "The recovery period must last at least 30 days."),
        (404, "consent-not-found", "No such consent on this journey",
         "No such consent on this journey."),
        (409, "consent-required", "Sharing her data needs her consent for that partner",
         "Sharing her data needs her consent for that partner."),
        (422, "validation", "The request is not valid",
         "Some answers need correcting. Each one is marked below."),
        (404, "http-404", "Not found", "That could not be done. Check the answers and try again."),
    ],
)  # fmt: skip
def test_given_a_journey_rule_refused_then_its_own_words_are_shown(
    status: int, slug: str, title: str, expected: str
) -> None:
    from services.web.messages import problem_message

    assert problem_message(status, slug, title) == expected


def test_given_any_journey_then_every_action_on_its_page_opens_one_of_these_forms() -> None:
    from services.web.pages.journey_actions import journey_actions

    patterns = [re.compile("^" + re.sub(r"\{\w+\}", "[0-9a-f-]{36}", f.path) + "$") for f in FORMS]
    ids = {"consent_id": str(uuid4()), "goal_id": str(uuid4())}
    states: list[dict[str, Any]] = [
        {"status": "new", "registered": False, "consents": []},
        {
            "status": "active",
            "registered": True,
            "possible_minor": True,
            "consents": [{"consent_id": ids["consent_id"], "active": True}],
            "goals": [{"goal_id": ids["goal_id"], "status": "set"}],
            "appointments": [{"appointment_id": str(uuid4()), "status": "scheduled"}],
            "referrals": [
                {"referral_id": str(uuid4()), "status": status}
                for status in ("made", "acknowledged", "accepted")
            ],
            "nrm": {},
        },
        {
            "status": "active",
            "registered": True,
            "exited": True,
            "nrm": {"submitted_on": "2026-11-01", "reasonable_grounds": {"outcome": "positive"}},
        },
        {"status": "active", "registered": True, "nrm": {"submitted_on": "2026-11-01"}},
        {"status": "closed", "consents": [{"consent_id": str(uuid4()), "active": True}]},
    ]
    linked: set[str] = set()
    for state in states:
        actions = journey_actions({"journey_id": str(uuid4()), **state}, lead=True)
        for action in [a for group in (*actions.sections.values(), *actions.items.values())
                       for a in group]:  # fmt: skip
            if action.href.endswith("/caseworker"):
                continue  # assigning her caseworker is the journey page's own form
            matched = [f.path for f, p in zip(FORMS, patterns, strict=True) if p.match(action.href)]
            assert matched, action.href
            linked.update(matched)
    assert linked == {f.path for f in FORMS}
