"""The user's settings: each declared once with its type, default and meaning.

Saved as JSON in the config folder, replaced atomically. A broken file never
becomes a traceback: ``SettingsError`` names the file and the key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from intulse_desktop.atomic import write_atomic
from intulse_desktop.links import TemplateError, check_template
from intulse_desktop.matching import Matcher, normalize_number

DEFAULT_API_URL = "https://api.intulse.com"
DEFAULT_DASHBOARD_API_URL = "https://dashboard.intulse.com/api"

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


class SettingsError(ValueError):
    """A setting that cannot be read or accepted; the message says which and why."""


def http_url(value: str) -> str:
    """``value`` as an http(s) URL without a trailing slash; ValueError says what is wrong."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} cannot have a query or fragment")
    return url


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    extension: str = Field(
        "", pattern=r"^[0-9A-Za-z*#_.-]{0,32}$", description="My Intulse extension, e.g. 204."
    )
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
    api_url: str = Field(
        DEFAULT_API_URL,
        description="The Intulse REST API, where webhooks are registered (INTULSE_API_URL overrides it).",
    )
    dashboard_api_url: str = Field(
        DEFAULT_DASHBOARD_API_URL, description="The older Intulse API, used for click-to-call."
    )
    do_not_disturb: bool = Field(False, description="Keep every pop-up and sound away (events are still logged).")
    popup_outbound: bool = Field(False, description="Pop up my outbound calls too, not only inbound ones.")
    sound_ring: bool = Field(True, description="Play a sound when a call pops up.")
    sound_missed: bool = Field(True, description="Play a sound when a missed call pops up.")
    sound_text: bool = Field(True, description="Play a sound when a text pops up.")
    sound_volume: int = Field(80, ge=0, le=100, description="Volume of the pop-up sounds, in percent.")
    crm_url_template: str | None = Field(
        None,
        description="Open in CRM: a URL with {number}, {name}, {extension}, {call_id} (URL-encoded).",
    )
    call_back_url_template: str = Field(
        "tel:{number}", description="Call back: a tel:, sip:, callto: or http(s) URL template."
    )
    receive_from: Literal["computer", "hub"] = Field(
        "computer",
        description="Where events come from: this computer's own receiver, or an office hub (hub_url).",
    )
    hub_url: str | None = Field(
        None, description="The office hub to connect to when receive_from is hub (its token is a secret)."
    )
    retention_days: int | None = Field(
        None, ge=1, description="Keep the call log this many days (empty: keep everything)."
    )
    log_level: Literal["WARNING", "INFO", "DEBUG"] = Field("INFO", description="How much the app logs.")

    @field_validator("extension", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

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

    @field_validator("public_url")
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
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s):// or ws(s):// URL")
        return url

    @field_validator("crm_url_template", "call_back_url_template", mode="before")
    @classmethod
    def _template(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return cls.model_fields[info.field_name].default  # empty: back to the default
        if not isinstance(value, str):
            return value
        try:
            return check_template(value.strip())
        except TemplateError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _numbers_as_e164(self) -> Settings:
        normalized = []
        for raw in self.my_numbers:
            number = normalize_number(raw, self.default_region)
            if number is None:
                raise ValueError(f"my_numbers: {raw!r} is not a phone number")
            if number not in normalized:
                normalized.append(number)
        object.__setattr__(self, "my_numbers", normalized)
        return self

    def base_url(self) -> str:
        """Where Intulse should send webhooks: ``public_url``, else the listening address."""
        return self.public_url or self.local_url()

    def local_url(self) -> str:
        """The listening address as a URL this computer can use."""
        host = self.listen_host
        if host in ("0.0.0.0", "::"):  # listening everywhere: this machine is reachable at least here
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.listen_port}"

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
        return "" if value is None else str(value)

    def with_text(self, key: str, text: str) -> Settings:
        """A copy with ``key`` set from its text form (lists comma-separated, empty = unset)."""
        self._known(key)
        current = self.model_dump()
        value: Any = text
        if isinstance(current[key], list):
            value = [part.strip() for part in text.split(",") if part.strip()]
        elif text.strip() == "" and type(self).model_fields[key].default is None:
            value = None
        return self.with_values({key: value})

    def with_values(self, values: dict[str, Any]) -> Settings:
        try:
            return Settings.model_validate({**self.model_dump(), **values})
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from None

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
            raise SettingsError(f"settings file {path}: {_describe(exc)}") from None

    def save(self, path: Path) -> None:
        write_atomic(path, self.model_dump_json(indent=2) + "\n")


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        key = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{key}: {message}" if key else message)
    return "; ".join(problems)
