"""Encryption at rest: round trips, key rotation, tampering fails loudly, key configuration."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from xietong.core import crypto
from xietong.core.crypto import InvalidToken, check_data_key_configured

OLD_KEY = crypto.generate_key()
NEW_KEY = crypto.generate_key()


def test_bytes_and_text_round_trip_and_ciphertext_hides_the_plaintext(settings):
    settings.DATA_KEYS = [NEW_KEY]
    token = crypto.encrypt(b"\x00binary\xff")
    assert crypto.decrypt(token) == b"\x00binary\xff"
    text = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=密钥-PLAINMARK"
    stored = crypto.encrypt_str(text)
    assert "PLAINMARK" not in stored and "qyapi" not in stored
    assert crypto.decrypt_str(stored) == text
    # A fresh IV each time: equal plaintexts do not show as equal ciphertexts.
    assert crypto.encrypt_str(text) != stored


@pytest.mark.parametrize("position", [0, 10, 40, -5])
def test_a_changed_byte_fails_loudly(settings, position):
    settings.DATA_KEYS = [NEW_KEY]
    token = bytearray(crypto.encrypt(b"https://oapi.dingtalk.com/robot/send?access_token=abc"))
    token[position] = ord("A") if token[position] != ord("A") else ord("B")
    with pytest.raises(InvalidToken):
        crypto.decrypt(bytes(token))
    with pytest.raises(InvalidToken):
        crypto.decrypt(bytes(token[:-3]))


def test_rotation_first_key_encrypts_all_keys_decrypt(settings):
    settings.DATA_KEYS = [OLD_KEY]
    old_token = crypto.encrypt_str("secret")
    settings.DATA_KEYS = [NEW_KEY, OLD_KEY]
    assert crypto.decrypt_str(old_token) == "secret"
    rotated = crypto.rotate(old_token)
    new_token = crypto.encrypt_str("secret")
    settings.DATA_KEYS = [NEW_KEY]
    assert crypto.decrypt_str(rotated) == crypto.decrypt_str(new_token) == "secret"
    with pytest.raises(InvalidToken):
        crypto.decrypt_str(old_token)


def test_without_a_key_the_key_is_derived_from_secret_key_and_stable(settings):
    settings.DATA_KEYS = []
    settings.DATA_KEY_FILE = ""
    settings.SECRET_KEY = "one installation's secret key " * 2
    token = crypto.encrypt_str("secret")
    assert crypto.derived_key(settings.SECRET_KEY) == crypto.derived_key(settings.SECRET_KEY)
    assert crypto.decrypt_str(token) == "secret"
    # A configured key takes over encryption; what was written before still reads.
    settings.DATA_KEYS = [NEW_KEY]
    assert crypto.decrypt_str(token) == "secret"
    configured = crypto.encrypt_str("secret")
    settings.DATA_KEYS = []
    with pytest.raises(InvalidToken):
        crypto.decrypt_str(configured)
    # A changed secret key reads it while the old one is among the fallbacks.
    old_secret_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another installation's key " * 2
    settings.SECRET_KEY_FALLBACKS = [old_secret_key]
    assert crypto.decrypt_str(token) == "secret"
    # Another installation (another SECRET_KEY) cannot read it.
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidToken):
        crypto.decrypt_str(token)


def test_keys_from_a_file(settings, tmp_path):
    key_file = tmp_path / "data_key"
    key_file.write_text(f"{NEW_KEY}\n{OLD_KEY}\n")
    settings.DATA_KEYS = []
    settings.DATA_KEY_FILE = str(key_file)
    token = crypto.encrypt_str("secret")
    settings.DATA_KEY_FILE = ""
    settings.DATA_KEYS = [NEW_KEY]
    assert crypto.decrypt_str(token) == "secret"


@pytest.mark.parametrize(
    ("keys", "key_file", "variable"),
    [(["not-a-key"], "", "XIETONG_DATA_KEY"), ([], "missing", "XIETONG_DATA_KEY_FILE")],
)
def test_a_bad_key_stops_with_the_variable_named(settings, tmp_path, keys, key_file, variable):
    settings.DATA_KEYS = keys
    settings.DATA_KEY_FILE = str(tmp_path / key_file) if key_file else ""
    with pytest.raises(ImproperlyConfigured, match=variable):
        crypto.encrypt_str("secret")


def test_a_bad_key_stops_the_start_up_checks(settings):
    settings.DATA_KEYS = ["not-a-key"]
    with pytest.raises(SystemCheckError, match="XIETONG_DATA_KEY"):
        call_command("check")
    settings.DATA_KEYS = [NEW_KEY]
    call_command("check")


def test_deployment_check_warns_when_production_has_no_data_key(settings):
    settings.DEBUG, settings.DATA_KEYS, settings.DATA_KEY_FILE = False, [], ""
    assert [m.id for m in check_data_key_configured()] == ["xietong.W002"]
    settings.DATA_KEYS = [Fernet.generate_key().decode()]
    assert check_data_key_configured() == []
