"""The user's settings: each declared once with its type, default and meaning.

Saved as JSON in the config folder, replaced atomically. A broken file never
becomes a traceback: ``SettingsError`` names the file and the key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from intulse_desktop.atomic import write_atomic
from intulse_desktop.links import TemplateError, check_template
from intulse_desktop.matching import Matcher, normalize_number
from intulse_desktop.urls import http_url, url_list

DEFAULT_API_URL = "https://api.intulse.com"
DEFAULT_DASHBOARD_API_URL = "https://dashboard.intulse.com/api"

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[str, ...] = get_args(Day)  # in datetime.weekday() order
TunnelChoice = Literal["none", "cloudflared", "ngrok", "tailscale"]
TUNNEL_CHOICES: tuple[str, ...] = get_args(TunnelChoice)
Corner = Literal["bottom-right", "bottom-left", "top-right", "top-left"]
PopupStyle = Literal["auto", "cards", "notifications"]
CARD_SECONDS_MAX = 3600
Clock = Annotated[time, PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str)]
_EXTENSION = re.compile(r"^[0-9A-Za-z*#_.-]{0,32}$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def local_url(host: str, port: int) -> str:
    """A listening address as a URL this computer can use."""
    if host in ("0.0.0.0", "::"):  # listening everywhere: this machine is reachable at least here
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class SettingsError(ValueError):
    """A setting that cannot be read or accepted; the message says which and why."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    extension: str = Field("", description="My Intulse extension, e.g. 204.")
    my_numbers: list[str] = Field(
        default_factory=list,
        description="My phone numbers (texts to these pop up), stored as E.164.",
    )
    user_id: int | None = Field(None, ge=0, description="My Intulse user id (optional).")
    default_region: str = Field(
        "US", description="Country (ISO 3166 code) for numbers written without a country code."
    )
    listen_host: str = Field("127.0.0.1", description="Address the webhook receiver listens on.")
    listen_port: int = Field(8765, ge=1, le=65535, description="Port the webhook receiver listens on.")
    public_url: str | None = Field(
        None, description="The address Intulse reaches this receiver at (a tunnel or port forward)."
    )
    tunnel: TunnelChoice = Field(
        "none",
        description="A tunnel the app runs so Intulse reaches it (none, cloudflared, ngrok, tailscale); "
        "it registers the webhooks again whenever the tunnel's address changes.",
    )
    tunnel_path: str | None = Field(
        None, description="Where the tunnel program is (the program or its folder; empty: on PATH)."
    )
    api_url: str = Field(
        DEFAULT_API_URL,
        description="The Intulse REST API, where webhooks are registered (INTULSE_API_URL overrides it).",
    )
    dashboard_api_url: str = Field(
        DEFAULT_DASHBOARD_API_URL, description="The older Intulse API, used for click-to-call."
    )
    do_not_disturb: bool = Field(
        False,
        description="Keep pop-ups and sounds away "
        "(events are still logged; break-through numbers and VIP contacts still pop).",
    )
    popup_inbound: bool = Field(True, description="Pop up calls coming in to me.")
    popup_outbound: bool = Field(False, description="Pop up my outbound calls too, not only inbound ones.")
    popup_missed: bool = Field(
        True, description="Pop up a card for a call I missed (it stays until dismissed)."
    )
    popup_text: bool = Field(True, description="Pop up texts to my numbers.")
    sound_ring: bool = Field(True, description="Play a sound when a call pops up.")
    sound_missed: bool = Field(True, description="Play a sound when a missed call pops up.")
    sound_text: bool = Field(True, description="Play a sound when a text pops up.")
    sound_volume: int = Field(80, ge=0, le=100, description="Volume of the pop-up sounds, in percent.")
    card_seconds: int | None = Field(
        20,
        ge=1,
        le=CARD_SECONDS_MAX,
        description="How long a text's or an ended call's card stays, in seconds (empty: until dismissed); "
        "a ringing call's card stays while it rings, a missed call's until dismissed.",
    )
    popup_style: PopupStyle = Field(
        "auto",
        description="How calls and texts pop up: cards, the desktop's notifications (Linux), or auto "
        "(notifications in a Wayland session, where cards cannot stay out of the keyboard's way; "
        "cards elsewhere).",
    )
    card_corner: Corner = Field("bottom-right", description="The corner of the screen where cards appear.")
    card_screen: str | None = Field(
        None, description="The screen cards appear on, by name (empty: the screen the mouse is on)."
    )
    quiet_hours: bool = Field(
        False,
        description="No pop-ups or sounds from quiet_start to quiet_end on quiet_days "
        "(events are still logged).",
    )
    quiet_days: list[Day] = Field(
        default_factory=lambda: list(get_args(Day)), description="The days quiet hours start on (mon … sun)."
    )
    quiet_start: Clock = Field(time(18, 0), description="When quiet hours start (local time, HH:MM).")
    quiet_end: Clock = Field(
        time(8, 0),
        description="When quiet hours end: the next day if not after quiet_start (the same time: all day).",
    )
    breakthrough_numbers: list[str] = Field(
        default_factory=list,
        description="Numbers whose calls and texts pop up even in quiet hours and do-not-disturb (as E.164; "
        "contacts marked VIP do too).",
    )
    crm_url_template: str | None = Field(
        None,
        description="Open in CRM: a URL with {number}, {name}, {extension}, {call_id} (URL-encoded).",
    )
    call_back_url_template: str = Field(
        "tel:{number}", description="Call back: a tel:, sip:, callto: or http(s) URL template."
    )
    call_back_method: Literal["url", "click-to-call"] = Field(
        "url",
        description="How Call back dials: open call_back_url_template, or Intulse click-to-call "
        "(rings my extension, then dials the number; needs the API key).",
    )
    receive_from: Literal["computer", "hub"] = Field(
        "computer",
        description="Where events come from: this computer's own receiver, or an office hub (hub_url).",
    )
    hub_url: str | None = Field(
        None,
        description="The office hub to connect to when receive_from is hub, or several, comma-separated: "
        "the next is tried when one cannot be reached (the token is a secret).",
    )
    broker_url: str | None = Field(
        None,
        description="A hub's NATS JetStream servers, nats://HOST:PORT[,nats://…] (empty: the hub keeps "
        "its own SQLite journal). The password is a secret (hub set-broker-password).",
    )
    broker_user: str | None = Field(None, description="The NATS user name, with the password in the keyring.")
    broker_credentials: str | None = Field(
        None, description="A NATS .creds file (JWT and NKEY) or an NKEY seed file, instead of a user."
    )
    broker_replicas: int = Field(
        3, ge=1, le=5, description="Copies of each event the NATS cluster keeps before a hub says 200."
    )
    broker_max_events: int = Field(
        100_000, ge=1000, description="Events the stream keeps: how far back desktops can catch up."
    )
    broker_max_age_days: int | None = Field(
        None, ge=1, description="And no older than this many days (empty: by number only)."
    )
    carddav_url: str | None = Field(
        None,
        description="Contacts: a CardDAV address book to sync, read-only (Nextcloud, iCloud, Fastmail, "
        "Radicale); its app password is a secret (contacts set-password).",
    )
    carddav_user: str = Field("", description="Contacts: the user name for carddav_url.")
    carddav_sync_minutes: int = Field(
        15, ge=1, le=1440, description="Contacts: sync carddav_url this often, in minutes."
    )
    retention_days: int | None = Field(
        None, ge=1, description="Keep the call log this many days (empty: keep everything)."
    )
    log_level: Literal["WARNING", "INFO", "DEBUG"] = Field("INFO", description="How much the app logs.")

    @field_validator("extension", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("extension")
    @classmethod
    def _extension(cls, value: str) -> str:
        if not _EXTENSION.match(value):
            raise ValueError("an extension is up to 32 letters, digits, *, #, _, . or -")
        return value

    @field_validator("card_screen")
    @classmethod
    def _screen(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("quiet_days")
    @classmethod
    def _week_order(cls, value: list[str]) -> list[str]:
        return [day for day in DAYS if day in value]

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown country code {value!r} (use one like US, GB, DE)")
        return region

    @field_validator("listen_host")
    @classmethod
    def _host(cls, value: str) -> str:
        host = value.strip()
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not _HOSTNAME.match(host):
                raise ValueError(f"{value!r} is not an IP address or host name") from None
        return host

    @field_validator("public_url", "carddav_url")
    @classmethod
    def _optional_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return http_url(value)

    @field_validator("api_url", "dashboard_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("hub_url")
    @classmethod
    def _hub_url(cls, value: str | None) -> str | None:
        return url_list(value, ("http", "https", "ws", "wss"), "http(s):// or ws(s)://")

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        urls = url_list(value, ("nats", "tls"), "nats:// or tls://")
        if urls and any(urlsplit(url).password for url in urls.split(",")):
            raise ValueError("keep the password out of the URL: `hub set-broker-password` keeps it a secret")
        return urls

    @field_validator("broker_user", "broker_credentials")
    @classmethod
    def _optional_text(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("crm_url_template", "call_back_url_template", mode="before")
    @classmethod
    def _template(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            assert info.field_name is not None  # always set for a field's validator
            return cls.model_fields[info.field_name].default  # empty: back to the default
        if not isinstance(value, str):
            return value
        try:
            return check_template(value.strip())
        except TemplateError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _numbers_as_e164(self) -> Settings:
        for key in ("my_numbers", "breakthrough_numbers"):
            normalized = []
            for raw in getattr(self, key):
                number = normalize_number(raw, self.default_region)
                if number is None:
                    raise ValueError(f"{key}: {raw!r} is not a phone number")
                if number not in normalized:
                    normalized.append(number)
            object.__setattr__(self, key, normalized)
        if self.quiet_hours and not self.quiet_days:
            raise ValueError("quiet_days: choose at least one day for quiet hours")
        return self

    def base_url(self) -> str:
        """Where Intulse should send webhooks: ``public_url``, else the listening address."""
        return self.public_url or self.local_url()

    def local_url(self) -> str:
        """The listening address as a URL this computer can use."""
        return local_url(self.listen_host, self.listen_port)

    def matcher(self) -> Matcher:
        return Matcher.create(self.extension, self.user_id, self.my_numbers, self.default_region)

    # --- text form, for the command line -------------------------------------------------

    @classmethod
    def keys(cls) -> list[str]:
        return list(cls.model_fields)

    def text_of(self, key: str) -> str:
        value = getattr(self, self._known(key))
        if isinstance(value, list):
            return ",".join(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, time):
            return value.strftime("%H:%M")
        return "" if value is None else str(value)

    def with_text(self, key: str, text: str) -> Settings:
        """A copy with ``key`` set from its text form (lists comma-separated, empty = unset)."""
        self._known(key)
        current = self.model_dump()
        value: Any = text
        if isinstance(current[key], list):
            value = [part.strip() for part in text.split(",") if part.strip()]
        elif text.strip() == "" and type(None) in get_args(type(self).model_fields[key].annotation):
            value = None
        return self.with_values({key: value})

    def with_values(self, values: dict[str, Any]) -> Settings:
        settings, problems = self.try_values(values)
        if settings is None:
            raise SettingsError(_describe(problems))
        return settings

    def try_values(self, values: dict[str, Any]) -> tuple[Settings | None, dict[str, str]]:
        """A copy with ``values``, or why not per key ("" for a problem of no single key): for forms."""
        try:
            return Settings.model_validate({**self.model_dump(), **values}), {}
        except ValidationError as exc:
            return None, _problems(exc)

    @classmethod
    def _known(cls, key: str) -> str:
        if key not in cls.model_fields:
            raise SettingsError(f"unknown setting {key!r}; known: {', '.join(cls.keys())}")
        return key

    # --- file ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> Settings:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"settings file {path} must hold a JSON object")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SettingsError(f"settings file {path}: {_describe(_problems(exc))}") from None

    def save(self, path: Path) -> None:
        write_atomic(path, self.model_dump_json(indent=2) + "\n")


def _problems(exc: ValidationError) -> dict[str, str]:
    """The first reason for each setting refused."""
    problems: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        key, message = _key_and_reason(error)
        problems.setdefault(key, message)
    return problems


def _describe(problems: dict[str, str]) -> str:
    return "; ".join(f"{key}: {message}" if key else message for key, message in problems.items())


def _key_and_reason(error: ErrorDetails) -> tuple[str, str]:
    """The setting a validation error is about, and the reason in plain words."""
    key = str(error["loc"][0]) if error["loc"] else ""
    context = error.get("ctx") or {}
    kind = error["type"]
    if kind in ("int_parsing", "int_from_float", "int_type"):
        message = "enter a whole number"
    elif kind == "greater_than_equal":
        message = f"must be at least {context['ge']}"
    elif kind == "less_than_equal":
        message = f"must be at most {context['le']}"
    elif kind.startswith("time"):
        message = "enter a time as HH:MM, e.g. 18:00"
    else:
        message = error["msg"].removeprefix("Value error, ")
    if not key and ": " in message:  # a check across settings names its key first
        named, _, rest = message.partition(": ")
        if named in Settings.model_fields:
            key, message = named, rest
    return key, message
