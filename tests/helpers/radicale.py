"""A real CardDAV server for the contacts sync tests: Radicale in a subprocess on a free loopback
port, with its storage in a temporary folder and one user (htpasswd, plain). Cards are put and
deleted over HTTP, as another client (a phone) would."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .net import closed_port
from .process import stop_process

USER = "dana"
PASSWORD = "app-password-7f3c"
MKCOL = b"""<?xml version="1.0" encoding="utf-8"?>
<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop>
<d:resourcetype><d:collection/><c:addressbook/></d:resourcetype><d:displayname>Contacts</d:displayname>
</d:prop></d:set></d:mkcol>"""


def vcard(uid: str, name: str, *numbers: str, version: str = "3.0") -> str:
    tels = "".join(f"TEL;TYPE=CELL:{n}\r\n" for n in numbers)
    return (
        f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n{tels}END:VCARD\r\n"
    )


class Radicale:
    def __init__(self, folder: Path) -> None:
        users = folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        for _ in range(5):  # a free port may be taken between finding it and binding it
            self.port = closed_port()
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "radicale",
                    f"--server-hosts=127.0.0.1:{self.port}",
                    f"--storage-filesystem-folder={folder / 'collections'}",
                    "--auth-type=htpasswd",
                    f"--auth-htpasswd-filename={users}",
                    "--auth-htpasswd-encryption=plain",
                    "--logging-level=warning",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if self._listening():
                break
            self.close()
        else:
            raise AssertionError("Radicale did not start")
        self.base = f"http://127.0.0.1:{self.port}"
        self.book = ""  # the address book that put and delete use: make_book
        self._books = 0

    def make_book(self) -> str:
        """A new, empty address book; returns its URL."""
        self._books += 1
        url = f"{self.base}/{USER}/book-{self._books}/"
        self.request("MKCOL", url, MKCOL)
        return url

    def _listening(self, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def request(
        self, method: str, url: str, body: bytes | None = None, content_type: str = "application/xml"
    ) -> tuple[int, dict[str, str], bytes]:
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}", "Content-Type": content_type}
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 400:
                raise AssertionError(f"{method} {url}: HTTP {error.code} {error.read()[:300]!r}") from None
            return error.code, dict(error.headers), b""

    def put(self, name: str, card: str) -> str:
        """Store ``card`` as ``name`` in the address book (new or changed); returns its URL."""
        url = self.book + name
        self.request("PUT", url, card.encode(), "text/vcard; charset=utf-8")
        return url

    def delete(self, name: str) -> None:
        self.request("DELETE", self.book + name)

    def close(self) -> None:
        if self.proc.poll() is None:
            stop_process(self.proc)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
