"""Reference data: validated at start, mapped to HTCDS 2.0, listed by every service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.reference import ReferenceData, UnknownCode, load_reference_data

# The picklist values of the IOM Human Trafficking Case Data Standard 2.0 that codes map to
# (its fields vic_MethodsOfControl and spl_Type).
HTCDS = {
    "vic_MethodsOfControl": {
        "PhysicalThreats",
        "ThreatsLawEnforcement",
        "ThreatensChildrenFamily",
        "DebtBondage",
        "FalsePromises",
        "PhysicalAbuse",
        "SexualAbuse",
        "TakesEarnings",
        "RestrictsFinancialAccess",
        "RestrictsMedicalCare",
        "WithholdsNecessities",
        "PsychologicalAbuse",
        "PsychoactiveSubstance",
        "ExcessiveWorkingHours",
        "WithholdsDocuments",
        "Other",
    },
    "spl_Type": {
        "Education",
        "Financial",
        "Health",
        "LabourExploitationRehabilitation",
        "Legal",
        "Livelihood",
        "RightsBasedTraining",
        "SexualExploitationRehabilitation",
        "SocialCare",
    },
}


def test_the_packaged_reference_data_is_valid_and_maps_to_htcds_names() -> None:
    data = load_reference_data()
    mapped = [
        coded.htcds
        for table in (data.premises_indicators, data.person_indicators, data.needs)
        for coded in table.values()
        if coded.htcds
    ]
    assert mapped
    for name in mapped:
        field, value = name.split(":")
        assert value in HTCDS[field], name
    # Every HTCDS method of control can be recorded from a visit.
    person_methods = {c.htcds.split(":")[1] for c in data.person_indicators.values() if c.htcds}
    assert person_methods == HTCDS["vic_MethodsOfControl"]
    assert {"possible_minor", "violence", "held_against_will", "medical_emergency"} <= set(
        data.concerns
    )
    assert any(p.first_responder for p in data.partners.values())
    assert any(not p.first_responder for p in data.partners.values())


def test_an_unknown_code_names_the_field_and_never_repeats_the_value() -> None:
    data = load_reference_data()
    assert data.require("needs", "housing", "body.needs.0") == "housing"
    with pytest.raises(UnknownCode) as caught:
        data.require_all("needs", ["housing", "Maria's flat"], "body.needs")
    assert caught.value.field == "body.needs.1"
    assert "Maria" not in str(caught.value)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d["needs"].update({"Not A Code": {"label": "x"}}),
        lambda d: d["partners"].update({"x": {"name": "X"}}),  # first_responder missing
        lambda d: d["person_indicators"]["debt_bondage"].update(htcds="vic_Other:Debt"),
        lambda d: d.update(languages=["not a tag!"]),
        lambda d: d.update(concerns={}),
        lambda d: d.update(surprise={}),
    ],
)
def test_broken_reference_data_is_refused_at_start(breakage, tmp_path: Path) -> None:
    document = json.loads(
        (Path(__file__).parents[2] / "shared" / "reference_data.json").read_text()
    )
    breakage(document)
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValidationError):
        load_reference_data(path)


def test_a_charity_can_replace_the_lists(tmp_path: Path) -> None:
    document = json.loads(
        (Path(__file__).parents[2] / "shared" / "reference_data.json").read_text()
    )
    document["partners"]["new_partner"] = {"name": "New partner", "first_responder": False}
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(document))
    assert "new_partner" in load_reference_data(path).partners
    assert isinstance(load_reference_data(path), ReferenceData)
