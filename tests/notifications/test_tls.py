"""STARTTLS and TLS from the first byte, against a loopback server with its own CA."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.sender import send_pending
from notifications.settings import SmtpSecurity
from tests.notifications.conftest import RecordingHandler, free_port


@pytest.fixture
def certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def test_starttls_with_a_trusted_certificate(runtime, raised, mail_settings, now, certificate):
    cert_file, context = certificate
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)  # fmt: skip
    controller.start()
    try:
        plain = mail_settings.model_copy(update={"smtp_port": port})
        assert send_pending(runtime.engine, now=now, settings=plain).retrying == 1  # refused
        secure = plain.model_copy(update={"smtp_security": SmtpSecurity.STARTTLS,
                                          "smtp_ca_file": cert_file})  # fmt: skip
        assert send_pending(runtime.engine, now=now + timedelta(hours=1), settings=secure).sent == 1
    finally:
        controller.stop()
    assert len(handler.received) == 1


def test_an_untrusted_certificate_is_refused(runtime, raised, mail_settings, now, certificate):
    _, context = certificate
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)  # fmt: skip
    controller.start()
    try:
        secure = mail_settings.model_copy(update={"smtp_port": port,
                                                  "smtp_security": SmtpSecurity.STARTTLS})  # fmt: skip
        report = send_pending(runtime.engine, now=now, settings=secure)
    finally:
        controller.stop()
    assert report.sent == 0 and handler.received == []
    assert "CERTIFICATE_VERIFY_FAILED" in report.errors[0]


def test_tls_from_the_first_byte(runtime, raised, mail_settings, now, certificate):
    cert_file, context = certificate
    handler, port = RecordingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        secure = mail_settings.model_copy(update={"smtp_port": port, "smtp_security": SmtpSecurity.TLS,
                                                  "smtp_ca_file": cert_file})  # fmt: skip
        assert send_pending(runtime.engine, now=now, settings=secure).sent == 1
    finally:
        controller.stop()
    assert len(handler.received) == 1
