"""Group-robot webhooks of WeCom, DingTalk and Feishu: addresses, signing, payloads, answers.

Plain functions (no database), following /work/shared/reference/integrations.md §1:
- WeCom: the key in the URL is the only credential; markdown ≤ 4096 bytes, and in markdown
  a person is @-mentioned only as ``<@userid>``; without a user id we send a text message
  (≤ 2048 bytes) with ``mentioned_mobile_list``. 20 messages/minute per robot.
- DingTalk: timestamp (ms) and sign in the query; sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg="timestamp\\nsecret"))); body ≤ 20000 bytes, serialised with ensure_ascii=False;
  @ by mobile or user id in ``at`` and repeated in the text. 20/minute, 10-minute throttle.
- Feishu: timestamp (s) and sign in the body; sign = base64(HMAC-SHA256(key="timestamp\\nsecret",
  msg=b"")), not URL-encoded; body ≤ 20 KB; @ only by open_id/user_id. 100/minute and 5/s.

Text typed by people (a topic title, a decision, a name) reaches three markdown dialects; it is
made inert for each (``inert``) so that it shows as typed and never becomes a link, a tag, a
heading or a mention: Feishu's lark_md takes HTML character references; DingTalk's markdown
takes backslash escapes, and its ``<`` is replaced by a look-alike; WeCom documents no escape at
all, so its markdown characters are replaced by their full-width look-alikes. Mentions are built
only from the ids stored on the person, and only when an id has a plain id's shape.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

WECOM, DINGTALK, FEISHU = "wecom", "dingtalk", "feishu"

HOSTS = {
    WECOM: ("qyapi.weixin.qq.com",),
    DINGTALK: ("oapi.dingtalk.com",),
    FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}
PATHS = {
    WECOM: re.compile(r"^/cgi-bin/webhook/send$"),
    DINGTALK: re.compile(r"^/robot/send$"),
    FEISHU: re.compile(r"^/open-apis/bot/v2/hook/[A-Za-z0-9-]{8,64}$"),
}
# The credential each vendor puts in the query string.
QUERY_KEY = {WECOM: "key", DINGTALK: "access_token"}
CREDENTIAL = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
SECRET_SHAPE = {
    DINGTALK: re.compile(r"^SEC[0-9a-fA-F]{20,128}$"),
    FEISHU: re.compile(r"^[A-Za-z0-9]{8,64}$"),
}

# Minimum spacing between two sends to one robot, in seconds: 60/20 for WeCom and DingTalk,
# 1/5 s and 60/100 for Feishu (the larger of the two applies).
SPACING = {WECOM: 3.0, DINGTALK: 3.0, FEISHU: 0.6}
# How long to stay away after the vendor says "too many": DingTalk throttles for 10 minutes.
THROTTLE_PAUSE = {WECOM: 60, DINGTALK: 600, FEISHU: 60}
# Vendor answers meaning "too fast" (the WeCom and DingTalk codes are reported, not verified).
THROTTLE_CODES = {WECOM: {45009}, DINGTALK: {90030, 410100, 130101}, FEISHU: {11232}}

WECOM_MARKDOWN_MAX = 4096
WECOM_TEXT_MAX = 2048
BODY_MAX = {DINGTALK: 20000, FEISHU: 20000}
TRUNCATED = "…"


class InvalidRobot(ValueError):
    def __init__(self, field: str, code: str):
        self.field = field
        self.code = code
        super().__init__(code)


def validate(kind: str, url: str, secret: str, *, test_hosts: tuple[str, ...] = ()) -> None:
    """Raise InvalidRobot(field, code) unless ``url``/``secret`` have the vendor's shape.

    The address must be https on the vendor's own host (a listed local test host may use
    http), on the webhook path, with the credential present.
    """
    if kind not in HOSTS:
        raise InvalidRobot("kind", "unknown_kind")
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        raise InvalidRobot("webhook_url", "invalid_url") from None
    host = (parts.hostname or "").lower()
    test = host in test_hosts
    if parts.scheme != "https" and not (test and parts.scheme == "http"):
        raise InvalidRobot("webhook_url", "not_https")
    if host not in HOSTS[kind] and not test:
        raise InvalidRobot("webhook_url", "wrong_host")
    if parts.username or parts.password or parts.fragment:
        raise InvalidRobot("webhook_url", "invalid_url")
    if not PATHS[kind].match(parts.path):
        raise InvalidRobot("webhook_url", "wrong_path")
    if kind in QUERY_KEY:
        query = urllib.parse.parse_qs(parts.query)
        values = query.get(QUERY_KEY[kind], [])
        if len(values) != 1 or not CREDENTIAL.match(values[0]):
            raise InvalidRobot("webhook_url", "missing_key")
    secret = secret.strip()
    if kind == WECOM:
        if secret:
            raise InvalidRobot("secret", "no_secret_for_wecom")
    elif secret and not SECRET_SHAPE[kind].match(secret):
        raise InvalidRobot("secret", "bad_secret")


# ---- signing ------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: URL-encoded base64 of HMAC-SHA256(key=secret, msg="ts\\nsecret")."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu signing: base64 of HMAC-SHA256(key="ts\\nsecret", msg=empty); not URL-encoded."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


# ---- payloads -----------------------------------------------------------------------------


def truncate_bytes(text: str, limit: int, marker: str = TRUNCATED) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary, with a marker."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    room = limit - len(marker.encode())
    return raw[:room].decode("utf-8", errors="ignore") + marker


@dataclass(frozen=True)
class Mention:
    name: str
    mobile: str = ""
    wecom_userid: str = ""
    dingtalk_userid: str = ""
    feishu_userid: str = ""


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: bytes


def dumps(payload: dict) -> bytes:
    # ensure_ascii=False: CJK as 3 UTF-8 bytes, not a 6-byte \\uXXXX escape (size limits).
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _fit(build, text: str, limit: int, more: str) -> bytes:
    """The body built from ``text``, shortened (with ``more`` appended) until it fits ``limit``."""
    body = build(text)
    if len(body) <= limit:
        return body
    overflow = len(body) - limit
    keep = max(0, len(text.encode()) - overflow - len(more.encode()) - 8)
    return build(truncate_bytes(text, keep) + more)


# ---- text typed by people, made inert per dialect ---------------------------------------

# Ids a vendor gives a person (WeCom/DingTalk user ids, Feishu open_id/user_id): letters, digits
# and a few separators. "all" mentions everyone in DingTalk and Feishu and is never an id here.
_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_MENTION_ALL = {"all", "@all", "everyone", "here"}

# Feishu lark_md: characters that start markup, as numeric character references.
_FEISHU = str.maketrans({c: f"&#{ord(c)};" for c in "&<>*_~`[]()#!|\\"})
# DingTalk markdown: backslash escapes for the markdown punctuation; "<" and ">" (its renderer
# passes some HTML through, e.g. <font>) become full-width look-alikes.
_DINGTALK = str.maketrans({**{c: f"\\{c}" for c in "\\`*_[]#|~"}, "<": "\uff1c", ">": "\uff1e"})
# WeCom markdown: no escape is documented, so the characters that start markup become their
# full-width forms (＜＞［］（）＊＃｀＿～).
_WECOM = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "<>[]()*#`_~"})
_DIALECTS = {FEISHU: _FEISHU, DINGTALK: _DINGTALK, WECOM: _WECOM}


def inert(kind: str, text: str) -> str:
    """``text`` as it must be written into ``kind``'s markdown to show as typed."""
    return text.translate(_DIALECTS[kind])


def plain_id(value: str) -> str:
    """``value`` when it has a plain id's shape (and is not a mention of everyone), else ""."""
    value = (value or "").strip()
    if not _PLAIN_ID.match(value) or value.lower() in _MENTION_ALL:
        return ""
    return value


def _wecom(url: str, title: str, text: str, mention: Mention | None, link: str) -> Outgoing:
    end = f"\n{link}" if link else ""
    userid = plain_id(mention.wecom_userid) if mention is not None else ""
    if userid:
        head, end = f"**{inert(WECOM, title)}**\n", f"{end}\n<@{userid}>"
        room = WECOM_MARKDOWN_MAX - len(head.encode()) - len(end.encode())
        content = head + truncate_bytes(inert(WECOM, text), room) + end
        return Outgoing(url, dumps({"msgtype": "markdown", "markdown": {"content": content}}))
    # A text message shows its content as typed: nothing to make inert.
    payload_text: dict = {}
    if mention is not None and _mobile(mention.mobile):
        payload_text["mentioned_mobile_list"] = [_mobile(mention.mobile)]
    elif mention is not None:
        end = f"{end}\n@{mention.name}"
    head = f"{title}\n"
    room = WECOM_TEXT_MAX - len(head.encode()) - len(end.encode())
    payload_text["content"] = head + truncate_bytes(text, room) + end
    return Outgoing(
        url, dumps({"msgtype": "text", "text": {"content": payload_text.pop("content"), **payload_text}})
    )


def _dingtalk_mention(mention: Mention | None) -> tuple[dict, str]:
    """The ``at`` block of a DingTalk message and the mention written at its end."""
    at: dict = {"isAtAll": False}
    if mention is None:
        return at, ""
    userid, mobile = plain_id(mention.dingtalk_userid), _mobile(mention.mobile)
    if userid:
        at["atUserIds"] = [userid]
        return at, f"@{userid}"
    if mobile:
        at["atMobiles"] = [mobile]
        return at, f"@{mobile}"
    return at, f"@{inert(DINGTALK, mention.name)}"


def _line(link: str) -> str:
    return f"\n{link}" if link else ""


def _mobile(value: str) -> str:
    value = (value or "").strip()
    return value if re.fullmatch(r"\+?[0-9]{5,20}", value) else ""


def _dingtalk(
    url: str, secret: str, title: str, text: str, mention: Mention | None, now_ms: int, more: str, link: str
) -> Outgoing:
    at, tail = _dingtalk_mention(mention)
    if secret:
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}timestamp={now_ms}&sign={dingtalk_sign(secret, now_ms)}"

    def body_for(t: str) -> bytes:
        return dumps(
            {
                "msgtype": "markdown",
                "markdown": {
                    "title": title[:64],
                    "text": f"#### {inert(DINGTALK, title)}\n\n{t}{_line(link)}\n\n{tail}",
                },
                "at": at,
            }
        )

    return Outgoing(url, _fit(body_for, inert(DINGTALK, text), BODY_MAX[DINGTALK], more))


def _feishu(
    url: str, secret: str, title: str, text: str, mention: Mention | None, now_ms: int, more: str, link: str
) -> Outgoing:
    # A message card: its lark_md block renders markdown (plain "text" messages do not);
    # inside lark_md a mention is <at id=…></at>.
    if mention is not None and plain_id(mention.feishu_userid):
        tail = f"<at id={plain_id(mention.feishu_userid)}></at>"
    elif mention is not None:
        tail = f"@{inert(FEISHU, mention.name)}"
    else:
        tail = ""
    signed: dict = {}
    if secret:
        ts = now_ms // 1000
        signed = {"timestamp": str(ts), "sign": feishu_sign(secret, ts)}

    def body_for(t: str) -> bytes:
        card = {
            "header": {"title": {"tag": "plain_text", "content": title}},
            "elements": [
                {"tag": "div", "text": {"tag": "lark_md", "content": f"{t}{_line(link)}\n{tail}".rstrip()}}
            ],
        }
        return dumps({**signed, "msg_type": "interactive", "card": card})

    return Outgoing(url, _fit(body_for, inert(FEISHU, text), BODY_MAX[FEISHU], more))


def build(
    kind: str,
    *,
    url: str,
    secret: str,
    title: str,
    text: str,
    mention: Mention | None,
    now_ms: int,
    more: str = TRUNCATED,
    link: str = "",
) -> Outgoing:
    """The request for one notification. ``title`` and ``text`` are shown as typed (made inert
    for the dialect); ``link``, the product's own address, follows the text as it is; ``more``
    ends a text shortened to fit."""
    if kind == WECOM:
        return _wecom(url, title, text, mention, link)
    if kind == DINGTALK:
        return _dingtalk(url, secret, title, text, mention, now_ms, more, link)
    if kind == FEISHU:
        return _feishu(url, secret, title, text, mention, now_ms, more, link)
    raise ValueError(kind)


# ---- answers ------------------------------------------------------------------------------

OK, THROTTLED, FAILED = "ok", "throttled", "failed"


def classify(kind: str, status: int, body: bytes) -> tuple[str, str]:
    """(outcome, reason) for a webhook answer: ok, throttled (come back later) or failed."""
    if status == 429:
        return THROTTLED, f"HTTP {status}"
    if status >= 300:
        return FAILED, f"HTTP {status}"
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return FAILED, "invalid JSON answer"
    if not isinstance(data, dict):
        return FAILED, "invalid JSON answer"
    code: Any = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
    message = str(data.get("errmsg", data.get("msg", data.get("StatusMessage", ""))))[:200]
    try:
        code = int(code)
    except (TypeError, ValueError):
        return FAILED, f"unexpected answer {code!r}"
    if code == 0:
        return OK, ""
    if code in THROTTLE_CODES[kind]:
        return THROTTLED, f"{code} {message}".strip()
    return FAILED, f"{code} {message}".strip()
