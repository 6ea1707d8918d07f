"""The model catalog: its facts are sourced and dated, lookups resolve snapshots, lifecycle is judged by an
injected day, and warnings come once per model and reason."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import pytest

from foundry_imagegen import models
from foundry_imagegen.models import (
    IMAGE_MODELS,
    ORCHESTRATOR_MODELS,
    ModelRetiredWarning,
    ModelRetiringWarning,
    UnknownModelWarning,
    check_lifecycle,
    image_model,
    lifecycle_status,
    orchestrator_model,
)

TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def fresh_warnings():
    models.reset_warnings()
    yield
    models.reset_warnings()


def test_the_issue_names_are_all_in_the_catalog():
    for name in ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2"):
        assert image_model(name) is not None, name
    for name in ("gpt-image-2.5-flare", "gpt-image-2.5-sunburst", "gpt-image-2.6-flare", "gpt-image-2.6-sunburst"):
        assert image_model(name) is not None, name
    for name in ("gpt-4o", "gpt-4.1", "o3", "gpt-5", "gpt-5.1", "gpt-5.5", "gpt-5.6-sol"):
        assert orchestrator_model(name) is not None, name


def test_every_fact_has_a_source_and_a_checked_date():
    for entry in IMAGE_MODELS.values():
        for fact in (
            entry.sizes,
            entry.custom_sizes,
            entry.qualities,
            entry.backgrounds,
            entry.transparent_formats,
            entry.output_formats,
            entry.input_fidelity,
            entry.partial_images,
            entry.complexity,
        ):
            assert fact.checked == models.CHECKED
            # A fact without a source must say it is unstated (then it only warns).
            assert fact.sources or not fact.stated, (entry.name, fact)
        assert set(entry.lifecycle) == {"azure", "openai"}, entry.name
        for lifecycle in entry.lifecycle.values():
            assert all(claim.source.key in models.SOURCES for claim in lifecycle.claims)
    for orchestrator in ORCHESTRATOR_MODELS.values():
        assert "azure" in orchestrator.lifecycle


def test_snapshot_names_and_case_resolve_to_their_model():
    assert image_model("gpt-image-2-2026-04-21") is IMAGE_MODELS["gpt-image-2"]
    assert image_model("GPT-Image-1.5") is IMAGE_MODELS["gpt-image-1.5"]
    assert image_model("gpt-image-1.5-2025-12-16") is IMAGE_MODELS["gpt-image-1.5"]
    assert image_model("my-img") is None and image_model(None) is None and image_model("") is None
    assert orchestrator_model("gpt-5.1") is ORCHESTRATOR_MODELS["gpt-5.1"]


def test_azure_and_openai_dates_differ():
    mini = IMAGE_MODELS["gpt-image-1-mini"]
    assert mini.lifecycle["azure"].retires_on == date(2027, 4, 7)
    assert mini.lifecycle["openai"].retires_on == date(2026, 12, 1)
    assert lifecycle_status(mini, today=TODAY, platform="azure").state == "active"
    assert lifecycle_status(mini, today=TODAY, platform="openai").state == "retired"


def test_disagreeing_sources_are_kept_and_the_earliest_date_warns():
    azure = IMAGE_MODELS["gpt-image-1.5"].lifecycle["azure"]
    assert azure.disputed
    assert {claim.retires_on for claim in azure.claims} == {date(2026, 12, 16), date(2027, 6, 16)}
    assert azure.retires_on == date(2026, 12, 16) and azure.latest_retirement == date(2027, 6, 16)
    status = lifecycle_status(IMAGE_MODELS["gpt-image-1.5"], today=TODAY)
    assert status.state == "retiring"
    assert "2026-12-16" in status.message and "2027-06-16" in status.message and "disagree" in status.message


@pytest.mark.parametrize(
    ("name", "today", "state"),
    [
        ("gpt-image-1", TODAY, "retired"),
        ("gpt-image-1", date(2026, 9, 1), "active"),
        ("gpt-image-1", date(2026, 10, 1), "retiring"),
        ("gpt-image-1", date(2026, 10, 23), "retired"),  # the retirement day itself
        ("gpt-image-2", TODAY, "active"),
        ("gpt-image-1-mini", TODAY, "active"),
        ("gpt-image-2.6-flare", TODAY, "unknown"),  # no Azure date known
    ],
)
def test_image_lifecycle_on_a_given_day(name, today, state):
    assert lifecycle_status(IMAGE_MODELS[name], today=today).state == state


def test_thirty_days_is_the_edge_of_retiring_soon():
    entry = IMAGE_MODELS["gpt-image-2"]
    retires = entry.lifecycle["azure"].retires_on
    assert retires is not None
    assert lifecycle_status(entry, today=retires - timedelta(days=30)).state == "retiring"
    assert lifecycle_status(entry, today=retires - timedelta(days=31)).state == "active"


@pytest.mark.parametrize(
    ("name", "state"),
    [("gpt-4o", "retired"), ("gpt-4.1", "retired"), ("o3", "retired"), ("gpt-5.2", "retiring"), ("gpt-5.1", "active")],
)
def test_orchestrators_in_and_out_of_date(name, state):
    assert lifecycle_status(ORCHESTRATOR_MODELS[name], today=TODAY).state == state


def test_a_disputed_past_date_says_may_be_retired():
    status = lifecycle_status(ORCHESTRATOR_MODELS["gpt-4.1"], today=TODAY)
    assert status.state == "retired"
    assert "may be retired" in status.message and "2026-10-14" in status.message and "2027-04-14" in status.message


def test_no_default_or_quick_start_model_is_out_of_date():
    current = {entry.name for entry in models.current_image_models(today=TODAY)}
    assert {"gpt-image-2", "gpt-image-1-mini"} <= current
    assert "gpt-image-1" not in current and "gpt-image-1.5" not in current
    hosts = {entry.name for entry in models.current_orchestrators(today=TODAY)}
    assert {"gpt-5.1", "gpt-5.5"} <= hosts
    assert not {"gpt-4o", "gpt-4.1", "o3", "gpt-5.2"} & hosts


def test_retired_model_warns_once_with_date_and_replacement():
    with pytest.warns(ModelRetiredWarning) as record:
        status = check_lifecycle("gpt-image-1", today=TODAY, role="image", deployment="prod-img")
        check_lifecycle("gpt-image-1", today=TODAY, role="image", deployment="prod-img")
    assert status is not None and status.state == "retired"
    [warning] = record
    text = str(warning.message)
    assert "2026-10-23" in text and "gpt-image-2" in text and "'prod-img'" in text and "Fix:" in text


def test_retiring_soon_warns_with_its_own_category():
    with pytest.warns(ModelRetiringWarning, match="gpt-image-1.5 retires on Azure on 2026-12-16 \\(in 14 days\\)"):
        check_lifecycle("gpt-image-1.5", today=TODAY, role="image")


def test_an_active_model_says_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_lifecycle("gpt-image-2", today=TODAY, role="image").state == "active"  # type: ignore[union-attr]
        assert check_lifecycle("gpt-5.1", today=TODAY, role="orchestrator").state == "active"  # type: ignore[union-attr]


def test_an_unknown_name_warns_once_that_it_was_not_checked():
    with pytest.warns(UnknownModelWarning) as record:
        assert check_lifecycle("my-img", today=TODAY, role="image") is None
        check_lifecycle("my-img", today=TODAY, role="image")
    [warning] = record
    assert "could not be checked" in str(warning.message) and "deployment_models" in str(warning.message)


def test_reset_lets_a_warning_be_given_again():
    with pytest.warns(ModelRetiredWarning):
        check_lifecycle("o3", today=TODAY, role="orchestrator")
    models.reset_warnings()
    with pytest.warns(ModelRetiredWarning, match="gpt-5.6-sol"):
        check_lifecycle("o3", today=TODAY, role="orchestrator")


def test_custom_size_rule_problems():
    rule = IMAGE_MODELS["gpt-image-2"].custom_sizes.value
    assert rule is not None
    assert rule.problems(2048, 1152) == []
    assert rule.problems(3840, 2160) == []
    assert len(rule.problems(1000, 100)) >= 2


def test_the_public_module_exports_what_it_lists():
    for name in models.__all__:
        assert hasattr(models, name), name


def test_replacements_name_their_source_or_none_when_the_sdk_suggests_them():
    assert IMAGE_MODELS["gpt-image-1"].lifecycle["openai"].replacement_source is None
    assert IMAGE_MODELS["gpt-image-1"].lifecycle["azure"].replacement_source is None
    assert ORCHESTRATOR_MODELS["o3"].lifecycle["azure"].replacement == "gpt-5.6-sol"
    assert (
        ORCHESTRATOR_MODELS["o3"].lifecycle["azure"].replacement_source is models.SOURCES["azure-retirements-2026-09"]
    )
    mini = IMAGE_MODELS["gpt-image-1-mini"].lifecycle["openai"]
    assert mini.replacement_source is models.SOURCES["openai-deprecations"]
