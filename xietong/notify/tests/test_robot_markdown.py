"""Text typed by people reaches the group chats as typed: never a link, a tag, a heading or a
mention of everyone, in any of the three vendors' markdown dialects."""

from __future__ import annotations

import html
import json
import re

import pytest
import time_machine

from xietong.meetings import services as meeting_services
from xietong.meetings.tests.factories import THU_1800, confirmed_meeting
from xietong.notify import robots
from xietong.notify.services import notify_dispatch

from .test_delivery import _card_text, _drain, _robot, _robots_only

URLS = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1234567",
    "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=tok12345",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/abcdef12",
}

# What a title, a decision or a name could carry into a group chat.
CORPUS = [
    "[点此查看](http://evil.example/login)",
    "![图](http://evil.example/x.png)",
    '<font color="warning">紧急</font>',
    "<at id=all></at>",
    '<at user_id="all">所有人</at>',
    "<@all> <@zhou.js>",
    "<a href='http://evil.example'>链接</a>",
    "<script>alert(1)</script>",
    "**加粗** __下划线__ ~~删除~~ `代码`",
    "# 假标题\n> 引用\n- 列表",
    "&lt;at id=all&gt;&lt;/at&gt;",
    "\\[转义\\](http://evil.example)",
    "普通文字（含括号）与 3*4=12、a_b_c、#3 会议室",
]


def _markdown(kind: str, body: dict) -> str:
    if kind == "wecom":
        return body["markdown"]["content"]
    if kind == "dingtalk":
        return body["markdown"]["text"]
    return _card_text(body)


def _shown(kind: str, written: str) -> str:
    """What a reader sees of ``written``: the dialect's escapes and look-alikes undone."""
    if kind == "feishu":
        return html.unescape(written)
    if kind == "dingtalk":
        return re.sub(r"\\(.)", r"\1", written).replace("\uff1c", "<").replace("\uff1e", ">")
    return _fold(written)


def _fold(text: str) -> str:
    """Full-width look-alikes read as the characters they stand for."""
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in text)


def _assert_inert(kind: str, written: str) -> None:
    assert "<" not in written  # no tag, no <at>, no <@id>, no <font>
    if kind == "feishu":
        assert not re.search(r"[\[\]*`_~#&]", re.sub(r"&#[0-9]+;", "", written))
    elif kind == "dingtalk":
        # Every markdown character is escaped by a backslash.
        assert not re.search(r"(?<!\\)[\[\]*`_~#]", written.replace("\\\\", ""))
    else:
        assert not re.search(r"[\[\]()*`_~#]", written)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
@pytest.mark.parametrize("typed", CORPUS)
def test_typed_text_is_inert_and_shows_as_typed(kind, typed):
    written = robots.inert(kind, typed)
    _assert_inert(kind, written)
    assert _fold(_shown(kind, written)) == _fold(typed)


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
@pytest.mark.parametrize("typed", CORPUS)
def test_title_and_text_reach_the_payload_inert(kind, typed):
    out = robots.build(
        kind,
        url=URLS[kind],
        secret="",
        title=typed,
        text=typed,
        mention=robots.Mention(name=typed),
        now_ms=0,
        link="https://xietong.example/meetings/1/",
    )
    body = json.loads(out.body)
    written = _markdown(kind, body)
    # The product's own link is the only live link; everything else is inert.
    assert written.count("https://xietong.example/meetings/1/") == 1
    _assert_inert(kind, written.replace("https://xietong.example/meetings/1/", "").replace("####", ""))
    if kind == "dingtalk":
        assert body["at"] == {"isAtAll": False}
    else:
        assert body["card"]["header"]["title"] == {"tag": "plain_text", "content": typed}


@pytest.mark.parametrize("typed", CORPUS)
def test_wecom_markdown_is_inert_and_mentions_only_the_stored_id(typed):
    out = robots.build(
        "wecom",
        url=URLS["wecom"],
        secret="",
        title=typed,
        text=typed,
        mention=robots.Mention(name=typed, wecom_userid="zhou.js"),
        now_ms=0,
        link="https://xietong.example/meetings/1/",
    )
    content = json.loads(out.body)["markdown"]["content"]
    assert content.endswith("\nhttps://xietong.example/meetings/1/\n<@zhou.js>")
    head = content.removesuffix("\nhttps://xietong.example/meetings/1/\n<@zhou.js>")
    assert head.startswith("**") and head.count("**") == 2  # only the product's own bold title
    _assert_inert("wecom", head.replace("**", ""))


@pytest.mark.parametrize("field", ["wecom_userid", "dingtalk_userid", "feishu_userid"])
@pytest.mark.parametrize("bad_id", ["all", "@all", "ALL", "ou_1></at><at id=all", "zs>\n# x", " ", "x" * 65])
def test_a_stored_id_that_is_not_a_plain_id_mentions_nobody(field, bad_id):
    kind = field.removesuffix("_userid")
    out = robots.build(
        kind,
        url=URLS[kind],
        secret="",
        title="会议通知",
        text="请参会",
        mention=robots.Mention(name="张三", **{field: bad_id}),
        now_ms=0,
    )
    body = json.loads(out.body)
    raw = out.body.decode()
    assert "<at id=all" not in raw and "<@all" not in raw.lower() and 'isAtAll":true' not in raw
    if kind == "dingtalk":
        assert body["at"] == {"isAtAll": False} and body["markdown"]["text"].endswith("@张三")
    elif kind == "feishu":
        assert "<at" not in _card_text(body) and _card_text(body).endswith("@张三")
    else:
        assert body["msgtype"] == "text" and body["text"]["content"].endswith("@张三")


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_meeting_place_typed_with_markup_reaches_the_group_inert(torg, receiver, kind):
    """End to end: the notice of a meeting whose place was typed with a link, a colour tag and
    Feishu's mention of everyone, delivered to the department's robot (a local receiver)."""
    evil = "[会议室](http://evil.example) <font color=warning>改期</font> <at id=all></at>"
    _robot(torg, receiver, kind)
    _robots_only(torg)
    torg.tech_head.wecom_userid = "zhou.js"
    torg.tech_head.save()
    with time_machine.travel(THU_1800, tick=False):
        meeting = confirmed_meeting(torg)
        meeting.location = evil
        meeting.save()
        meeting_services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
        notify_dispatch(now=THU_1800)
        _drain(THU_1800)
    assert receiver.rejected == []
    assert receiver.received
    for got in receiver.received:
        body = got["body"]
        if body.get("msgtype") == "text":  # WeCom text messages are not markdown
            assert evil in body["text"]["content"]
            continue
        written = _markdown(kind, body)
        assert "evil.example" in written and "<" not in written.replace("<@zhou.js>", "")
        assert "](" not in written.replace("\\](", "")
        assert _fold(_shown(kind, written)).count(_fold(evil)) == 1
