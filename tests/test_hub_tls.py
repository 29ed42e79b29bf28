"""The hub serving HTTPS/WSS itself (`hub --certfile`), for offices without a reverse proxy."""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from intulse_desktop.cli.hub import _server_tls
from intulse_desktop.context import UsageError

from .hubtools import Desk, HubRunner


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "intulse hub test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp_path / "hub.crt", tmp_path / "hub.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certfile, keyfile


async def test_a_desktop_receives_over_wss_from_a_hub_with_a_certificate(tmp_path, certificate):
    certfile, keyfile = certificate
    hub = HubRunner(tmp_path / "hub")
    await hub.start(ssl_context=_server_tls(str(certfile), str(keyfile)))
    try:
        _, token = hub.add("204")
        trusting = ssl.create_default_context(cafile=str(certfile))
        desk = Desk(tmp_path / "a", "204")
        await desk.connect(hub.url("https"), token, ssl_context=trusting)
        try:
            await desk.until(lambda: desk.client.state == "connected")
            await hub.post_tls("ExtensionUpdated", trusting, Status="BUSY")
            await desk.until(lambda: len(desk.got) == 1)
        finally:
            await desk.quit()
    finally:
        await hub.stop()
        hub.users.close()


async def test_a_desktop_does_not_trust_an_unknown_certificate(tmp_path, certificate):
    hub = HubRunner(tmp_path / "hub")
    await hub.start(ssl_context=_server_tls(*map(str, certificate)))
    try:
        _, token = hub.add("204")
        desk = Desk(tmp_path / "a", "204")
        await desk.connect(hub.url("https"), token)  # the system's trust store: self-signed is refused
        try:
            await desk.until(lambda: desk.client.state == "reconnecting")
            assert "certificate" in desk.client.detail
        finally:
            await desk.quit()
    finally:
        await hub.stop()
        hub.users.close()


def test_a_certificate_that_cannot_be_used_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot use the certificate"):
        _server_tls(str(tmp_path / "missing.pem"), None)
