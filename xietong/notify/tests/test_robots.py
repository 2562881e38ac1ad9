"""The webhook rules as plain functions (no database)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

import pytest

from xietong.notify import robots

SECRET = "SEC" + "ab12" * 16


def test_dingtalk_sign_is_urlencoded_base64_of_hmac_keyed_by_the_secret():
    ts = 1700000000123
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    sign = robots.dingtalk_sign(SECRET, ts)
    assert sign == urllib.parse.quote_plus(expected)
    assert urllib.parse.unquote_plus(sign) == expected


def test_feishu_sign_is_hmac_keyed_by_timestamp_and_secret_over_nothing():
    ts = 1700000000
    key = f"{ts}\nabcSecret123".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert robots.feishu_sign("abcSecret123", ts) == expected
    # Not the DingTalk construction, and not URL-encoded.
    assert robots.feishu_sign("abcSecret123", ts) != urllib.parse.unquote_plus(
        robots.dingtalk_sign("abcSecret123", ts)
    )


def test_dingtalk_request_puts_timestamp_and_sign_in_the_query():
    out = robots.build(
        "dingtalk",
        url="https://oapi.dingtalk.com/robot/send?access_token=tok12345",
        secret=SECRET,
        title="会议通知",
        text="请参会",
        mention=robots.Mention(name="张三", mobile="13800001111"),
        now_ms=1700000000123,
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(out.url).query)
    assert query["timestamp"] == ["1700000000123"]
    assert query["access_token"] == ["tok12345"]
    body = json.loads(out.body)
    assert body["at"] == {"isAtAll": False, "atMobiles": ["13800001111"]}
    assert "@13800001111" in body["markdown"]["text"]
    # CJK is sent as UTF-8, not \\uXXXX escapes.
    assert "会议通知".encode() in out.body


def test_feishu_request_signs_in_the_body_and_mentions_by_user_id():
    out = robots.build(
        "feishu",
        url="https://open.feishu.cn/open-apis/bot/v2/hook/abcdef12",
        secret="abcSecret123",
        title="T",
        text="x",
        mention=robots.Mention(name="张三", feishu_userid="ou_123"),
        now_ms=1700000000999,
    )
    body = json.loads(out.body)
    assert body["timestamp"] == "1700000000"
    assert body["sign"] == robots.feishu_sign("abcSecret123", 1700000000)
    assert body["msg_type"] == "interactive"  # a card, whose lark_md block renders markdown
    assert body["card"]["header"]["title"]["content"] == "T"
    block = body["card"]["elements"][0]["text"]
    assert block["tag"] == "lark_md"
    assert block["content"] == "x\n<at id=ou_123></at>"


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_oversized_text_is_cut_with_a_marker_within_the_documented_limit(kind):
    urls = {
        "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1234567",
        "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=tok12345",
        "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/abcdef12",
    }
    out = robots.build(
        kind,
        url=urls[kind],
        secret="",
        title="标题",
        text="很长的纪要" * 3000,
        mention=robots.Mention(name="张三", mobile="13800001111", wecom_userid="zs"),
        now_ms=0,
        link="https://x/1",
    )
    body = json.loads(out.body)
    limit = {"wecom": 4096, "dingtalk": 20000, "feishu": 20000}[kind]
    if kind == "wecom":
        assert len(body["markdown"]["content"].encode()) <= limit
        assert robots.TRUNCATED in body["markdown"]["content"]
        # The link and the mention survive the cut.
        assert body["markdown"]["content"].endswith("…\nhttps://x/1\n<@zs>")
    else:
        assert len(out.body) <= limit
        assert robots.TRUNCATED in out.body.decode()
        assert "https://x/1" in out.body.decode()


def test_truncate_keeps_whole_characters():
    cut = robots.truncate_bytes("协同" * 10, 10)
    assert len(cut.encode()) <= 10 and cut.endswith(robots.TRUNCATED)
    cut.encode().decode()  # valid UTF-8


@pytest.mark.parametrize(
    ("kind", "url", "secret", "field", "code"),
    [
        (
            "dingtalk",
            "http://oapi.dingtalk.com/robot/send?access_token=tok12345",
            "",
            "webhook_url",
            "not_https",
        ),
        (
            "dingtalk",
            "https://evil.example.com/robot/send?access_token=tok12345",
            "",
            "webhook_url",
            "wrong_host",
        ),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send", "", "webhook_url", "missing_key"),
        (
            "dingtalk",
            "https://oapi.dingtalk.com/robot/send?access_token=tok12345",
            "nope",
            "secret",
            "bad_secret",
        ),
        (
            "wecom",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1234567",
            "SECabc",
            "secret",
            "no_secret_for_wecom",
        ),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/other?key=k1234567", "", "webhook_url", "wrong_path"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/../../x", "", "webhook_url", "wrong_path"),
        (
            "feishu",
            "https://open.feishu.cn/open-apis/bot/v2/hook/abcdef12",
            "bad secret!",
            "secret",
            "bad_secret",
        ),
        (
            "feishu",
            "https://user:pw@open.feishu.cn/open-apis/bot/v2/hook/abcdef12",
            "",
            "webhook_url",
            "invalid_url",
        ),
        ("feishu", "http://127.0.0.1:9/open-apis/bot/v2/hook/abcdef12", "", "webhook_url", "not_https"),
    ],
)
def test_invalid_robot_addresses_and_secrets_are_refused(kind, url, secret, field, code):
    with pytest.raises(robots.InvalidRobot) as err:
        robots.validate(kind, url, secret)
    assert (err.value.field, err.value.code) == (field, code)


def test_valid_addresses_pass_and_test_hosts_need_listing():
    robots.validate("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=tok12345", SECRET)
    robots.validate("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/abcdef12", "abcSecret123")
    robots.validate("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1234567", "")
    robots.validate(
        "feishu", "http://127.0.0.1:9/open-apis/bot/v2/hook/abcdef12", "", test_hosts=("127.0.0.1",)
    )


@pytest.mark.parametrize(
    ("kind", "status", "body", "outcome"),
    [
        ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', "ok"),
        ("wecom", 200, b'{"errcode":45009,"errmsg":"api freq out of limit"}', "throttled"),
        ("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}', "failed"),
        ("feishu", 200, b'{"code":11232,"msg":"frequency limited"}', "throttled"),
        ("feishu", 200, b'{"code":0,"msg":"success","data":{}}', "ok"),
        ("feishu", 502, b"bad gateway", "failed"),
        ("dingtalk", 429, b"", "throttled"),
        ("dingtalk", 200, b"<html>", "failed"),
    ],
)
def test_answers_are_classified(kind, status, body, outcome):
    assert robots.classify(kind, status, body)[0] == outcome
