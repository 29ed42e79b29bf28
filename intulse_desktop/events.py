"""The four Intulse webhook payloads.

Parsed strictly enough to trust what we store and loosely enough to survive
Intulse changing its payloads: unknown fields are ignored, key case is
forgiven, the ``AnswertUtc`` typo and its fix are both accepted, and every
timestamp becomes an aware UTC datetime. ``parse`` raises only ``InvalidEvent``.

Every text has a maximum length: a caller chooses their own caller-ID name, and a
name of 100,000 characters froze the GUI (and the receiver with it) for seconds.
A longer value is refused (a 422 naming the field), never stored or truncated.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError

from intulse_desktop.formatting import is_utf8

EVENT_TYPES = ("CallStarted", "CallCompleted", "ExtensionUpdated", "TextMessageReceived")


class PhoneState(StrEnum):
    """A phone's state, as stored, shown and sent (the values are what the log and JSON hold)."""

    IDLE = "idle"
    RINGING = "ringing"
    IN_USE = "in_use"
    BUSY = "busy"
    ON_HOLD = "on_hold"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"

    @property
    def connected(self) -> bool:
        """A state where the other party (the connected line) means something."""
        return self in (PhoneState.RINGING, PhoneState.IN_USE, PhoneState.BUSY, PhoneState.ON_HOLD)

    @property
    def words(self) -> str:
        """For people: "In use", "On hold"."""
        return self.value.replace("_", " ").capitalize()


# Asterisk device states and extension-state words, compared without case,
# spaces, underscores or dashes.
_STATE_WORDS = {
    "notinuse": PhoneState.IDLE,
    "idle": PhoneState.IDLE,
    "available": PhoneState.IDLE,
    "ringing": PhoneState.RINGING,
    "ringinuse": PhoneState.RINGING,
    "inuse&ringing": PhoneState.RINGING,
    "inuse": PhoneState.IN_USE,
    "busy": PhoneState.BUSY,
    "onhold": PhoneState.ON_HOLD,
    "hold": PhoneState.ON_HOLD,
    "inuse&hold": PhoneState.ON_HOLD,
    "unavailable": PhoneState.UNAVAILABLE,
    "invalid": PhoneState.UNAVAILABLE,
}


class InvalidEvent(ValueError):
    """A body that is not one of the events; ``fields`` names what was wrong."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


def normalize_state(status: str) -> PhoneState:
    key = "".join(c for c in status.lower() if c not in " _-")
    return _STATE_WORDS.get(key, PhoneState.UNKNOWN)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset, say
        raise ValueError("timestamp out of range") from exc


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def _storable(value: str) -> str:
    """Text a UTF-8 log can hold: JSON's lone "\\ud800" escape, left in, would fail the write."""
    if not is_utf8(value):
        raise PydanticCustomError(
            "unpaired_surrogate", "an unpaired surrogate (a lone \\ud800-\\udfff escape) is not text"
        )
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
INT64_MAX = 2**63 - 1  # SQLite's largest integer
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]  # a larger number is a 422, not a failed write
# The longest value each kind of text may have, in characters (README, "HTTP interface").
# Each bound sits on the str itself, so the 422 says "String should have at most N characters".
MAX_NAME = 256  # a caller-ID name, a user's display name, an attachment's file name
MAX_NUMBER = 64  # a phone number or an extension
MAX_SHORT = 128  # an id, a status word, a MIME type
MAX_URL = 2048
MAX_BODY_TEXT = 16 * 1024  # a text message's body
MAX_ATTACHMENTS = 20  # per text message

_Storable = AfterValidator(_storable)
_NoneAsEmpty = BeforeValidator(_none_as_empty)  # the *Text types read null as ""
Name = Annotated[str, Field(max_length=MAX_NAME), _Storable, _NoneAsEmpty]
Number = Annotated[str, Field(max_length=MAX_NUMBER), _Storable]
NumberText = Annotated[Number, _NoneAsEmpty]
Short = Annotated[str, Field(max_length=MAX_SHORT), _Storable]
ShortText = Annotated[Short, _NoneAsEmpty]
Url = Annotated[str, Field(max_length=MAX_URL), _Storable]
UrlText = Annotated[Url, _NoneAsEmpty]
BodyText = Annotated[str, Field(max_length=MAX_BODY_TEXT), _Storable, _NoneAsEmpty]
Direction = Annotated[
    Literal["inbound", "outbound"],
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
]


class _Payload(BaseModel):
    """Pascal-case aliases; keys matched without regard to case."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        coerce_numbers_to_str=True,
    )
    _keys: ClassVar[frozenset[str]] = frozenset()
    _keys_by_lower: ClassVar[dict[str, str]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        keys: dict[str, str] = {}
        for field in cls.model_fields.values():
            choices = field.validation_alias
            names = choices.choices if isinstance(choices, AliasChoices) else [field.alias]
            keys.update({n.lower(): n for n in names if isinstance(n, str)})
        cls._keys = frozenset(keys.values())
        cls._keys_by_lower = keys

    @model_validator(mode="before")
    @classmethod
    def _match_key_case(cls, data: Any) -> Any:
        if not isinstance(data, dict) or cls._keys.issuperset(data):
            return data  # as Intulse documents it: nothing to fix
        known = cls._keys_by_lower
        fixed = {}
        for key, value in data.items():
            canonical = known.get(key.lower(), key) if isinstance(key, str) else key
            if canonical not in fixed or canonical == key:
                fixed[canonical] = value
        return fixed


class ExtensionUpdated(_Payload):
    TYPE: ClassVar[str] = "ExtensionUpdated"

    extension: Number
    status: ShortText
    connected_line_name: Name = ""
    connected_line_number: NumberText = ""

    @property
    def state(self) -> PhoneState:
        return normalize_state(self.status)


class _Call(_Payload):
    id: Short = Field(min_length=1)
    extension: NumberText
    direction: Direction
    start_utc: UtcDatetime
    linked_id: ShortText = ""
    client_id: Int64 | None = None
    user_id: Int64 | None = None
    user_display_name: Name = ""
    remote_party_name: Name = ""
    remote_party_number: NumberText = ""


class CallStarted(_Call):
    TYPE: ClassVar[str] = "CallStarted"


class CallCompleted(_Call):
    TYPE: ClassVar[str] = "CallCompleted"

    answer_utc: UtcDatetime | None = Field(
        default=None, validation_alias=AliasChoices("AnswertUtc", "AnswerUtc", "answer_utc")
    )
    duration_in_seconds: Annotated[Int64, Field(ge=0)] | None = None
    recording: Url | None = None

    @property
    def outcome(self) -> str:
        if self.answer_utc is not None:
            return "answered"
        return "missed" if self.direction == "inbound" else "unanswered"


class Attachment(_Payload):
    id: Int64 | None = None
    is_image: bool = False
    is_audio: bool = False
    mime_type: ShortText = ""
    name: Name = ""
    size_in_bytes: Int64 | None = None
    url: UrlText = ""


class TextMessageReceived(_Payload):
    TYPE: ClassVar[str] = "TextMessageReceived"

    id: Int64 | None = None
    from_: Number = Field(alias="From")
    to: Number
    body: BodyText = ""
    created_utc: UtcDatetime
    attachments: Annotated[
        list[Attachment], Field(max_length=MAX_ATTACHMENTS), BeforeValidator(lambda v: [] if v is None else v)
    ] = []

    @property
    def key(self) -> str:
        """The message's identity: its ``Id``, or a hash for the older, Id-less shape."""
        if self.id is not None:
            return str(self.id)
        canonical = json.dumps(
            [self.from_, self.to, self.body, self.created_utc.isoformat()], ensure_ascii=False
        )
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


Event = ExtensionUpdated | CallStarted | CallCompleted | TextMessageReceived

MODELS: dict[str, type[_Payload]] = {
    m.TYPE: m for m in (CallStarted, CallCompleted, ExtensionUpdated, TextMessageReceived)
}


def recognise(data: dict[str, Any]) -> str:
    """The event type a typeless body most likely is, by the keys it carries."""
    keys = {k.lower() for k in data if isinstance(k, str)}
    if "status" in keys:
        return "ExtensionUpdated"
    if keys & {"from", "body", "createdutc"}:
        return "TextMessageReceived"
    if keys & {"answertutc", "answerutc", "durationinseconds", "recording"}:
        return "CallCompleted"
    if keys & {"direction", "startutc"}:
        return "CallStarted"
    raise InvalidEvent(
        "cannot tell which event this is from its fields; post it to /hooks/<secret>/<EventType> instead"
    )


def parse(data: Any, event_type: str | None = None) -> Event:
    """Validate a decoded JSON body as ``event_type``, or as the type its shape suggests."""
    if not isinstance(data, dict):
        raise InvalidEvent("the body must be a JSON object")
    if event_type is None:
        event_type = recognise(data)
    model = MODELS.get(event_type)
    if model is None:
        raise InvalidEvent(f"unknown event type {event_type!r}; expected one of {', '.join(EVENT_TYPES)}")
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        problems = []
        fields = []
        for error in exc.errors(include_url=False, include_input=False):
            field = ".".join(str(part) for part in error["loc"]) or "body"
            fields.append(field)
            problems.append(f"{field}: {error['msg']}")
        raise InvalidEvent(f"invalid {event_type}: " + "; ".join(problems), tuple(fields)) from None
