"""TLS for the wire protocol: the server's SSLContext, and a self-signed certificate for ``rem serve --ssl``.

PostgreSQL clients ask for TLS with an SSLRequest before the StartupMessage; the server answers 'S' and the
handshake follows on the same socket (``asyncio.loop.start_tls``), or 'N' when it has no certificate.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
from pathlib import Path

CERT_FILE = "server.crt"
KEY_FILE = "server.key"


def server_context(cert: Path | str, key: Path | str) -> ssl.SSLContext:
    """A server-side context (TLS 1.2+) holding ``cert``/``key``; raises OSError/ssl.SSLError if unusable."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def self_signed(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """``directory``/server.crt and server.key, created (RSA 2048, 10 years, key mode 0600) if missing."""
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host or "localhost")])
    now = dt.datetime.now(dt.UTC)
    alt: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(socket.gethostname())]
    try:
        import ipaddress

        alt.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
