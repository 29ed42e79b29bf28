"""Who is connected, and who may own an event: the index the hub fans out through.

An entry reaches only the desktops found under its extension, user id, ``To``
number or (for presence) the extensions they may watch, each confirmed by
``Desktop.sees`` (``matching.Matcher``, the desktop's own rule). So a burst
costs per recipient, not per connection.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque

from aiohttp import web

from intulse_desktop.events import Event, ExtensionUpdated, TextMessageReceived
from intulse_desktop.hub.journal import Entry
from intulse_desktop.hub.users import ALL, User
from intulse_desktop.matching import Matcher, number_key


class Desktop:
    """One connected desktop: who it is, and how far it has been served."""

    __slots__ = ("user", "matcher", "ws", "sent", "queue", "queued_bytes", "wake", "behind", "groups")

    def __init__(self, user: User, matcher: Matcher, ws: web.WebSocketResponse, sent: int) -> None:
        self.user = user
        self.matcher = matcher
        self.ws = ws
        self.sent = sent  # every entry up to here was sent, or is not this desktop's
        self.queue: deque[Entry | int] = deque()  # live entries, and positions (int) to report
        self.queued_bytes = 0  # the queued entries' messages
        self.wake = asyncio.Event()
        self.behind = True  # serve from the journal first
        self.groups: list[set[Desktop]] = []

    def sees(self, event: Event) -> bool:
        if isinstance(event, ExtensionUpdated):
            return self.user.sees_presence_of(event.extension)
        return self.matcher.is_mine(event)

    def message(self, entry: Entry) -> str:
        """What this desktop is sent of ``entry``: another extension's presence as its state alone,
        if the user's presence is state only."""
        event = entry.event
        if (
            isinstance(event, ExtensionUpdated)
            and not self.user.presence_lines
            and event.extension.strip() != self.user.extension
        ):
            return entry.state_only()
        return entry.message


class Audience:
    """The connected desktops, indexed by what they may own."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.desktops: set[Desktop] = set()
        # Who may own what: candidates for an entry, confirmed by Desktop.sees.
        self._by_extension: defaultdict[str, set[Desktop]] = defaultdict(set)
        self._by_user_id: defaultdict[int, set[Desktop]] = defaultdict(set)
        self._by_number: defaultdict[str, set[Desktop]] = defaultdict(set)
        self._presence_of: defaultdict[str, set[Desktop]] = defaultdict(set)
        self._presence_of_all: set[Desktop] = set()

    def of(self, event: Event) -> list[Desktop]:
        """The connected desktops that get ``event``."""
        if isinstance(event, ExtensionUpdated):
            extension = event.extension.strip()
            candidates = self._by_extension.get(extension, set()) | self._presence_of.get(extension, set())
            candidates |= self._presence_of_all
        elif isinstance(event, TextMessageReceived):
            candidates = self._by_number.get(number_key(event.to, self.region), set())
        else:
            candidates = self._by_extension.get(event.extension.strip(), set())
            if event.user_id is not None:
                candidates = candidates | self._by_user_id.get(event.user_id, set())
        return [d for d in candidates if d.sees(event)]

    def join(self, desktop: Desktop) -> None:
        user = desktop.user
        groups = [self._by_extension[user.extension]]
        if user.user_id is not None:
            groups.append(self._by_user_id[user.user_id])
        groups += [self._by_number[key] for key in desktop.matcher.numbers]
        if user.presence == ALL:
            groups.append(self._presence_of_all)
        else:
            groups += [self._presence_of[extension] for extension in user.presence]
        for group in groups:
            group.add(desktop)
        desktop.groups = groups
        self.desktops.add(desktop)

    def leave(self, desktop: Desktop) -> None:
        for group in desktop.groups:
            group.discard(desktop)
        desktop.groups = []
        self.desktops.discard(desktop)
