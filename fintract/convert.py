"""Protobuf messages ↔ the contract's JSON.

Field names are identical on both sides; a proto3 ``optional`` field that is not set becomes
``null`` (the contract shows every field, ``null`` where unknown).
"""

from __future__ import annotations

from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)


def message_to_dict(message: Message) -> dict[str, Any]:
    """Every field present; unset optional scalars and unset sub-messages are ``None``."""
    out: dict[str, Any] = {}
    for field in message.DESCRIPTOR.fields:
        out[field.name] = _field_value(message, field)
    return out


def _field_value(message: Message, field: Any) -> Any:
    value = getattr(message, field.name)
    if field.is_repeated:
        if field.message_type is not None and not field.message_type.GetOptions().map_entry:
            return [message_to_dict(item) for item in value]
        return list(value)
    if field.has_presence and not message.HasField(field.name):
        return None
    if field.message_type is not None:
        if field.message_type.full_name == "google.protobuf.Timestamp":
            return value.ToJsonString()
        return message_to_dict(value)
    if field.enum_type is not None:
        return field.enum_type.values_by_number[value].name
    return value


def dict_to_message(data: dict[str, Any], message: M) -> M:
    """Fill ``message`` from contract JSON; ``None`` leaves a field unset."""
    json_format.ParseDict(_drop_none(data), message, ignore_unknown_fields=False)
    return message


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


__all__ = ["dict_to_message", "message_to_dict"]
