"""
The certificate of the TLS edge (C{--tls-port}, and C{ssl:} listeners that
name none): the one given by the user, or a self-signed one for localhost
and *.localhost generated once and kept. Twisted's C{ssl:} endpoint serves it
(L{ruststack.listeners}).
"""

from __future__ import annotations

import datetime
import ipaddress
import os

from ruststack.config import Config, ConfigError


def certificate_paths(config: Config) -> tuple[str, str]:
    """
    The (certificate, key) PEM files to serve: the configured ones, or the
    self-signed pair in the data dir (or cache dir), generated if missing.

    @raise ConfigError: the self-signed pair cannot be written.
    """
    if config.tls_cert and config.tls_key:
        return config.tls_cert, config.tls_key
    folder = os.path.join(config.data_dir or config.cache_dir, "tls")
    cert, key = os.path.join(folder, "localhost.crt"), os.path.join(folder, "localhost.key")
    if not (os.path.exists(cert) and os.path.exists(key)):
        try:
            os.makedirs(folder, exist_ok=True)
            generate_self_signed(cert, key)
        except OSError as e:
            option = "--data-dir" if config.data_dir else "--cache-dir"
            reason = f"cannot keep the self-signed certificate in {folder!r}: {e.strerror}"
            raise ConfigError(f"{option}: {reason}") from None
    return cert, key


def generate_self_signed(cert_path: str, key_path: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [
        x509.DNSName("localhost"),
        x509.DNSName("*.localhost"),
        x509.DNSName("*.s3.localhost"),
        x509.DNSName("*.execute-api.localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    # Write the key first, private from the start, then the certificate that
    # marks the pair as complete.
    fd = os.open(key_path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    os.replace(key_path + ".tmp", key_path)
    with open(cert_path + ".tmp", "wb") as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(cert_path + ".tmp", cert_path)
