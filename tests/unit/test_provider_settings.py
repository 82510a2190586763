"""One way to choose the provider: FINTRACT_PROVIDER for every service, PARSER_PROVIDER /
PAYMENTS_PROVIDER / INGEST_PROVIDER over it (PARSER_DEFAULT_PROVIDER still read), bad values
refused when the settings are built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.gemini.settings import GeminiSettings, api_keys_from_env
from services.ingest.settings import IngestSettings
from services.parser.settings import ParserSettings
from services.payments.settings import PaymentsSettings

VARIABLES = (
    "FINTRACT_PROVIDER",
    "PARSER_PROVIDER",
    "PARSER_DEFAULT_PROVIDER",
    "PAYMENTS_PROVIDER",
    "INGEST_PROVIDER",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def built(env_file: Path | None = None) -> dict[str, Any]:
    """Each service's resolved provider from the current environment."""
    return {
        "parser": ParserSettings(_env_file=env_file).default_provider,
        "payments": PaymentsSettings(_env_file=env_file).provider,
        "ingest": IngestSettings(_env_file=env_file).provider,
        "gemini": GeminiSettings(_env_file=env_file).provider,
    }


def setenv(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_nothing_set_is_local() -> None:
    assert built() == {"parser": "local", "payments": "local", "ingest": "local", "gemini": "local"}


def test_fintract_provider_is_every_services_default(monkeypatch: pytest.MonkeyPatch) -> None:
    setenv(monkeypatch, FINTRACT_PROVIDER="hybrid")
    assert set(built().values()) == {"hybrid"}


def test_service_variables_override_the_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    setenv(
        monkeypatch,
        FINTRACT_PROVIDER="hybrid",
        PARSER_PROVIDER="gemini",
        PAYMENTS_PROVIDER="local",
    )
    assert built() == {
        "parser": "gemini",
        "payments": "local",
        "ingest": "hybrid",
        "gemini": "hybrid",  # GeminiSettings.provider is FINTRACT_PROVIDER alone
    }
    setenv(monkeypatch, INGEST_PROVIDER="local")
    assert built()["ingest"] == "local"


def test_old_parser_name_is_an_alias_the_new_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    setenv(monkeypatch, FINTRACT_PROVIDER="local", PARSER_DEFAULT_PROVIDER="hybrid")
    assert built()["parser"] == "hybrid"
    setenv(monkeypatch, PARSER_PROVIDER="gemini")
    assert built()["parser"] == "gemini"


def test_empty_counts_as_unset_and_case_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    setenv(monkeypatch, FINTRACT_PROVIDER=" Gemini ", PARSER_PROVIDER="", PAYMENTS_PROVIDER=" ")
    assert set(built().values()) == {"gemini"}


def test_dot_env_and_environment_merge_per_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The override in .env is not hidden by the deployment default in the environment.
    env_file = tmp_path / ".env"
    env_file.write_text("PAYMENTS_PROVIDER=hybrid\nPARSER_DEFAULT_PROVIDER=gemini\n")
    setenv(monkeypatch, FINTRACT_PROVIDER="local")
    assert built(env_file) == {
        "parser": "gemini",
        "payments": "hybrid",
        "ingest": "local",
        "gemini": "local",
    }


def test_constructor_arguments_use_the_variable_names() -> None:
    settings = PaymentsSettings(
        _env_file=None,
        FINTRACT_PROVIDER="gemini",
    )
    assert settings.provider == "gemini"
    parser = ParserSettings(
        _env_file=None,
        FINTRACT_PROVIDER="gemini",
        PARSER_PROVIDER="hybrid",
    )
    assert parser.default_provider == "hybrid"


@pytest.mark.parametrize(
    ("variable", "settings_class"),
    [
        ("FINTRACT_PROVIDER", ParserSettings),
        ("FINTRACT_PROVIDER", PaymentsSettings),
        ("FINTRACT_PROVIDER", IngestSettings),
        ("FINTRACT_PROVIDER", GeminiSettings),
        ("PARSER_PROVIDER", ParserSettings),
        ("PARSER_DEFAULT_PROVIDER", ParserSettings),
        ("PAYMENTS_PROVIDER", PaymentsSettings),
        ("INGEST_PROVIDER", IngestSettings),
    ],
)
def test_invalid_values_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, settings_class: type[Any]
) -> None:
    monkeypatch.setenv(variable, "openai")
    with pytest.raises(ValidationError) as refused:
        settings_class(_env_file=None)
    message = str(refused.value)
    # The old parser name is reported under the current one.
    shown = "PARSER_PROVIDER" if variable == "PARSER_DEFAULT_PROVIDER" else variable
    assert f"{shown}='openai' is not a provider: use one of local, gemini, hybrid" in message


def test_a_bad_deployment_value_is_refused_even_where_a_service_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setenv(monkeypatch, FINTRACT_PROVIDER="gemni", PAYMENTS_PROVIDER="local")
    with pytest.raises(ValidationError, match="FINTRACT_PROVIDER='gemni'"):
        PaymentsSettings(_env_file=None)


def test_api_keys_come_from_the_environment_over_dot_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("GOOGLE_API_KEY", "GOOGLE_API_KEY2", "GOOGLE_API_KEY3", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("GOOGLE_API_KEY=from-file\nGOOGLE_API_KEY3=third\nGOOGLE_API_KEY2=\n")
    assert api_keys_from_env(env_file=env_file) == ["from-file", "third"]
    monkeypatch.setenv("GOOGLE_API_KEY", "from-env")
    monkeypatch.setenv("GOOGLE_API_KEY2", "second")
    assert api_keys_from_env(env_file=env_file) == ["from-env", "second", "third"]
    assert api_keys_from_env(env_file=tmp_path / "missing.env") == ["from-env", "second"]
