"""Parser worker settings: NAK back-off schedule and heartbeat interval from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.parser.settings import ParserSettings


def test_backoff_schedule_repeats_its_last_delay() -> None:
    settings = ParserSettings(PARSER_BACKOFF_S="1, 5,15")
    assert [settings.backoff_for(n) for n in range(1, 6)] == [1, 5, 15, 15, 15]
    assert settings.backoff_for(0) == 1


def test_heartbeat_defaults_to_a_third_of_ack_wait() -> None:
    assert ParserSettings(PARSER_ACK_WAIT_S=30).heartbeat_interval_s == 10
    assert ParserSettings(PARSER_ACK_WAIT_S=30, PARSER_HEARTBEAT_S=2).heartbeat_interval_s == 2


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        ParserSettings(PARSER_BACKOFF_S=" , ")
    with pytest.raises(ValidationError):
        ParserSettings(PARSER_CONCURRENCY=0)
