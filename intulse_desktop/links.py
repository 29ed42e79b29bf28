"""Links built from untrusted call data: CRM and call-back URL templates, safe schemes only.

A caller chooses their own caller-ID name, so every value put into a template
is URL-encoded, and only a few schemes are ever opened (never ``file:``,
``javascript:`` or a custom protocol handler).
"""

from __future__ import annotations

import string
from urllib.parse import quote, urlsplit

SAFE_SCHEMES = frozenset({"http", "https", "tel", "sip", "callto"})
PLACEHOLDERS = ("number", "name", "extension", "call_id")
CALL_BACK_TEMPLATES = {"tel": "tel:{number}", "sip": "sip:{number}", "callto": "callto:{number}"}


class TemplateError(ValueError):
    """A URL template that cannot be used; the message says why."""


def check_template(template: str) -> str:
    """The template if it is usable: known placeholders only, and a safe scheme."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise TemplateError(f"the template is malformed: {exc}") from None
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise TemplateError(f"unknown placeholder {{{unknown[0]}}}; use {known}")
    sample = fill(template, number="+13175550142", name="x", extension="204", call_id="1")
    if not is_safe_url(sample):
        raise TemplateError("the URL must start with http://, https://, tel:, sip: or callto:")
    return template


def fill(template: str, *, number: str = "", name: str = "", extension: str = "", call_id: str = "") -> str:
    """The template with each placeholder replaced by its URL-encoded value."""
    values = {"number": number, "name": name, "extension": extension, "call_id": call_id}
    # "+" stays readable in tel:/sip: numbers; everything else that is not a plain character is encoded.
    return template.format_map({k: quote(v, safe="+" if k == "number" else "") for k, v in values.items()})


def is_safe_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in SAFE_SCHEMES:
        return False
    return bool(parts.netloc) if parts.scheme.lower() in ("http", "https") else bool(parts.path)
