"""A self-signed certificate for the double's SSL (clients use sslmode=require, which
encrypts without verifying the server, as the project's Redshift connections do)."""

from __future__ import annotations

import ssl
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

_CONTEXT: ssl.SSLContext | None = None


def server_context() -> ssl.SSLContext:
    global _CONTEXT
    if _CONTEXT is None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redshift-double.local")])
        now = datetime.now(timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(prefix="redshift-double-"))
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        _CONTEXT = context
    return _CONTEXT
