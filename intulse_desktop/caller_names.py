"""Who a number is, in words: the name from the user's own address book leads, and the
carrier's caller ID (CNAM: "WIRELESS CALLER", a city, a business) stands beside it.

Every window names callers through ``CallerName`` (cards, caller details, the call log,
texts, the tray's recent callers, the player), so they all say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from intulse_desktop.store import CallRow, Store

SEPARATOR = " · "


@dataclass(frozen=True)
class CallerName:
    contact: str = ""  # the address book's name for the number
    carrier: str = ""  # the caller-ID name the carrier sent (for a text: that of the last call)

    @property
    def name(self) -> str:
        """The name that leads: the contact's, else the carrier's; "" for neither."""
        return self.contact.strip() or self.carrier.strip()

    @property
    def beside(self) -> str:
        """The carrier's name, shown beside a contact's where there is room ("" when no contact
        name leads, or the carrier says the same)."""
        contact, carrier = self.contact.strip(), self.carrier.strip()
        return carrier if contact and carrier.casefold() != contact.casefold() else ""

    def line(self) -> str:
        """Both in one line: "Alice Smith · WIRELESS CALLER"."""
        return SEPARATOR.join(filter(None, [self.name, self.beside]))


def caller_name(store: Store, number: str, carrier: str = "") -> CallerName:
    """The name for ``number``: its contact's from ``store`` (one index lookup), ``carrier``'s beside."""
    return CallerName(store.contact_name_for(number), carrier)


def call_name(call: CallRow) -> CallerName:
    """The name for a stored call (its row carries the contact's name)."""
    return CallerName(call.contact_name, call.remote_party_name)
