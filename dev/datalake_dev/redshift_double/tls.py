"""The double's TLS: a self-signed certificate for 127.0.0.1 and localhost.

The project connects to Redshift with ``sslmode=verify-full``; a client of the double
verifies the same way, with this certificate as its root (``sslrootcert=<cert.pem>``, which
``RedshiftDouble.uri`` adds), so the local platform and the tests run the verifying path too.
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

_CONTEXTS: dict[Path, ssl.SSLContext] = {}


def write_certificate(folder: Path) -> Path:
    """Write ``cert.pem`` and ``key.pem`` into ``folder`` (once); returns the certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redshift-double.local")])
    now = datetime.now(timezone.utc)
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        # Its own root: libpq's verify-full takes it as the trust anchor.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


def server_context(folder: Path | None = None) -> tuple[ssl.SSLContext, Path]:
    """The server's SSL context and the certificate a client verifies it with."""
    folder = folder or Path(tempfile.mkdtemp(prefix="redshift-double-"))
    cert_path = write_certificate(folder)
    if folder not in _CONTEXTS:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, folder / "key.pem")
        _CONTEXTS[folder] = context
    return _CONTEXTS[folder], cert_path
