"""Encryption of data at rest: credentials in the database today, confidential documents later.

Authenticated encryption with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``): a
changed or truncated ciphertext fails loudly with ``InvalidToken`` instead of decrypting to
garbage. Keys come from the environment:

- ``XIETONG_DATA_KEY``: one or more Fernet keys, comma separated; and/or
- ``XIETONG_DATA_KEY_FILE``: a file holding such keys, one per line (or comma separated).

The first key encrypts, every key decrypts: to rotate, put a new key first, keep the old ones
after it, run ``xietong rotate_data_key``, then drop the old keys. Without any configured key
(a local trial) the key is derived from SECRET_KEY with HKDF, so it is stable across restarts
(keys derived from SECRET_KEY_FALLBACKS decrypt too); the derived keys also stay last for
decryption after a key is configured, so a trial's data can be re-encrypted under the
configured key with ``xietong rotate_data_key``.
Production sets its own key: with the derived key, whoever has SECRET_KEY can read the data.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models

__all__ = [
    "EncryptedTextField",
    "InvalidToken",
    "decrypt",
    "decrypt_str",
    "encrypt",
    "encrypt_str",
    "generate_key",
    "rotate",
]

HKDF_INFO = b"xietong data key v1"


def generate_key() -> str:
    """A new random key in the form XIETONG_DATA_KEY takes."""
    return Fernet.generate_key().decode()


def derived_key(secret_key: str) -> bytes:
    """The stable Fernet key of an installation without a configured one (HKDF-SHA256)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _split(text: str) -> list[str]:
    return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]


@lru_cache(maxsize=8)
def _keys_from_file(path: str) -> tuple[str, ...]:
    try:
        return tuple(_split(Path(path).read_text()))
    except OSError as exc:
        raise ImproperlyConfigured(f"XIETONG_DATA_KEY_FILE cannot be read: {exc}") from exc


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], key_file: str, secret_keys: tuple[str, ...]) -> MultiFernet:
    configured = [("XIETONG_DATA_KEY", k) for k in keys]
    if key_file:
        configured += [("XIETONG_DATA_KEY_FILE", k) for k in _keys_from_file(key_file)]
    fernets = []
    for variable, key in configured:
        try:
            fernets.append(Fernet(key))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{variable} must hold Fernet keys (32 url-safe base64-encoded bytes each; "
                "`xietong rotate_data_key --new-key` prints one)"
            ) from exc
    # Last, so they decrypt what was written before a key was configured (or under a secret
    # key since moved to SECRET_KEY_FALLBACKS), and encrypt only when no key is configured.
    fernets += [Fernet(derived_key(secret_key)) for secret_key in secret_keys]
    return MultiFernet(fernets)


def keyring() -> MultiFernet:
    """The current keys: the first encrypts, all decrypt (read from settings on each call)."""
    secret_keys = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    return _fernet(tuple(settings.DATA_KEYS), settings.DATA_KEY_FILE, secret_keys)


def check_data_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: a bad key stops ``xietong migrate``/``serve`` at start, not at first use."""
    try:
        keyring()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="xietong.E001")]
    return []


def check_data_key_configured(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Deployment check: production keeps its data key apart from the secret key."""
    if settings.DEBUG or settings.DATA_KEYS or settings.DATA_KEY_FILE:
        return []
    return [
        checks.Warning(
            "No data key is set: stored secrets are encrypted with a key derived from the secret key.",
            hint="Set XIETONG_DATA_KEY or XIETONG_DATA_KEY_FILE (xietong rotate_data_key --new-key prints one).",
            id="xietong.W002",
        )
    ]


def encrypt(data: bytes) -> bytes:
    return keyring().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """The plaintext; raises InvalidToken if the token was altered or no key fits."""
    return keyring().decrypt(token)


def encrypt_str(text: str) -> str:
    return encrypt(text.encode()).decode("ascii")


def decrypt_str(token: str) -> str:
    return decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    """The same plaintext encrypted under the first key (for re-encryption after a key change)."""
    return keyring().rotate(token.encode("ascii")).decode("ascii")


class EncryptedTextField(models.TextField):
    """Text stored encrypted: encrypted on save, decrypted on load.

    The stored value differs at each save, so the column can be neither filtered on nor made
    unique: only ``isnull`` lookups are offered (a uniqueness rule needs a keyed hash column).
    """

    description = "Text stored encrypted"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_str(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt_str(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None
