"""Which provider a deployment uses: ``local | gemini | hybrid``, one rule for every service.

``FINTRACT_PROVIDER`` is every service's default; a service's own variable overrides it
(``PARSER_PROVIDER``, ``PAYMENTS_PROVIDER``, ``INGEST_PROVIDER``; the older
``PARSER_DEFAULT_PROVIDER`` is read as an alias of ``PARSER_PROVIDER``); none set means
``local``. Empty values count as unset; case and surrounding spaces are ignored. A value that
is not a provider stops the service when its settings are built (at start-up), with a message
naming the variable.

Each variable is its own settings field, so the environment, ``.env`` and constructor
arguments are merged per variable before the precedence applies. This module is apart from
``services.common.gemini`` so that reading the setting does not import the Gemini package.
"""

from __future__ import annotations

from typing import Any, Literal, cast, get_args

from pydantic import AliasChoices, BaseModel, Field, field_validator

ProviderName = Literal["local", "gemini", "hybrid"]
PROVIDER_NAMES: tuple[str, ...] = get_args(ProviderName)
DEPLOYMENT_VARIABLE = "FINTRACT_PROVIDER"


class InvalidProviderSetting(ValueError):
    """A provider variable holds something other than local, gemini or hybrid."""


def checked_provider(value: object, *, variable: str) -> str:
    """``value`` normalised (``""`` when unset or empty, else a provider name).

    Raises:
        InvalidProviderSetting: ``value`` names no provider (the message names ``variable``).
    """
    text = ("" if value is None else str(value)).strip().lower()
    if text and text not in PROVIDER_NAMES:
        raise InvalidProviderSetting(
            f"{variable}={value!r} is not a provider: use one of {', '.join(PROVIDER_NAMES)}"
        )
    return text


def choose_provider(*values: str) -> ProviderName:
    """The first of ``values`` that is set (most specific first), else ``local``."""
    for value in values:
        if value:
            return cast(ProviderName, checked_provider(value, variable="provider"))
    return "local"


def provider_variable(*variables: str) -> Any:
    """A settings field read from the first of ``variables`` that is set (``""`` if none)."""
    return Field(
        "", validation_alias=AliasChoices(*variables) if len(variables) > 1 else variables[0]
    )


class DeploymentProvider(BaseModel):
    """Mixin for a service's settings: ``deployment_provider`` as ``FINTRACT_PROVIDER`` sets
    it (checked, ``""`` when unset). Services resolve with :func:`choose_provider`, their own
    variable first."""

    deployment_provider: str = provider_variable(DEPLOYMENT_VARIABLE)

    @field_validator("deployment_provider", mode="before")
    @classmethod
    def _check_deployment_provider(cls, value: object) -> str:
        return checked_provider(value, variable=DEPLOYMENT_VARIABLE)


__all__ = [
    "DEPLOYMENT_VARIABLE",
    "PROVIDER_NAMES",
    "DeploymentProvider",
    "InvalidProviderSetting",
    "ProviderName",
    "checked_provider",
    "choose_provider",
    "provider_variable",
]
