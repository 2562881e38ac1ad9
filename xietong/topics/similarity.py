"""Similar-topic detection: jieba word segmentation and a weighted set similarity.

Plain Python, no Django. Seed 02 三、(三)1 asks for the share of repeated topics to be
watched; a liaison drafting a topic should see the earlier ones that look the same.

A text becomes a set of *content tokens*: jieba words, lower-cased, without punctuation,
stop words (function words and the words every topic here shares, such as 协调/科室) and
single characters — except a few single characters that carry meaning on their own
(车, 钱, 网 …). Two token sets are compared with an IDF-weighted blend of cosine similarity
and query coverage, so a short query ("停车位") still finds the long topic that contains it,
and words common to many candidates count for little.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import jieba

__all__ = ["MAX_TEXT", "MIN_SCORE", "rank", "similarity", "token_string", "tokenize"]

# Longer input is cut: segmentation time grows with the text and the head of a topic says enough.
MAX_TEXT = 6000
# Scores below this are noise (one shared ordinary word between two long texts).
MIN_SCORE = 0.2

STOP_WORDS = frozenset(
    """
    的 了 和 与 及 或 在 是 对 为 等 将 把 被 从 到 由 以 之 其 这 那 有 也 就 都 而 并 且 又 还 但
    我们 你们 他们 我 你 他 她 它 本 该 此 各 每 一个 一些 一下 一直 一起
    进行 需要 相关 有关 以及 如何 什么 是否 目前 已经 通过 对于 关于 根据 按照 由于 因此 所以 如果 可以
    能够 希望 请 予以 给予 开展 做好 加强 推进 落实 情况 方面 问题 工作 事项 事宜 内容 要求 意见
    协调 协作 协同 配合 沟通 跨科室 跨部门 科室 部门 议题 会议 例会 本周 下周 本月
    the a an of and or to for in on at by with is are be this that it as from
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Single characters that name a thing on their own; every other single character is dropped.
MEANINGFUL_SINGLE = frozenset("车钱税票账证卡章印电水气油网药房岗薪粮煤")

_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, initialised once (it loads a dictionary of ~350k words) with its chatter silenced."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def _keep(token: str) -> bool:
    if not any(ch.isalnum() for ch in token):
        return False  # punctuation, spaces, symbols
    if token in STOP_WORDS:
        return False
    if len(token) == 1:
        return token in MEANINGFUL_SINGLE
    return True


def tokenize(text: str) -> list[str]:
    """Content tokens of ``text`` in order of appearance (repeats kept)."""
    if not text:
        return []
    words = _segmenter().lcut(text[:MAX_TEXT])
    return [w for w in (word.strip().lower() for word in words) if _keep(w)]


def token_string(*texts: str) -> str:
    """The distinct tokens of ``texts``, space separated, first appearance first (what Topic.tokens stores)."""
    seen: dict[str, None] = {}
    for text in texts:
        for token in tokenize(text):
            seen.setdefault(token, None)
    return " ".join(seen)


def _weights(sets: Sequence[frozenset[str]]) -> Counter:
    df: Counter = Counter()
    for tokens in sets:
        df.update(tokens)
    return df


def _idf(df: Counter, n: int, token: str) -> float:
    seen = df.get(token, 0)
    if not seen:
        # A word no candidate has tells nothing about which one matches: the lowest weight,
        # so a new topic's own new words do not drown the words it shares with an old one.
        return 1.0
    return math.log((n + 1) / (seen + 1)) + 1.0


def similarity(query: Iterable[str], other: Iterable[str], *, idf=None) -> float:
    """0…1: half IDF-weighted cosine of the two token sets, half the share of the query found in ``other``."""
    a, b = frozenset(query), frozenset(other)
    if not a or not b:
        return 0.0
    weight = idf or (lambda _token: 1.0)
    common = a & b
    if not common:
        return 0.0
    wa = {t: weight(t) for t in a}
    wb_sq = sum(weight(t) ** 2 for t in b)
    wa_sq = sum(w * w for w in wa.values())
    cosine = sum(wa[t] ** 2 for t in common) / math.sqrt(wa_sq * wb_sq)
    coverage = sum(wa[t] for t in common) / sum(wa.values())
    return 0.5 * cosine + 0.5 * coverage


def rank(
    query: Iterable[str],
    candidates: Iterable[tuple[int, str]],
    *,
    limit: int = 5,
    min_score: float = MIN_SCORE,
) -> list[tuple[int, float]]:
    """The best ``limit`` candidates ``(id, stored token string)`` for ``query``, best first.

    Document frequencies are taken over the candidates themselves, so words found in most
    topics weigh little. Ties go to the later (higher) id.
    """
    q = frozenset(query)
    if not q:
        return []
    parsed = [(pk, frozenset(tokens.split())) for pk, tokens in candidates if tokens]
    # Only candidates sharing a word with the query can score; the rest are skipped early.
    sharing = [(pk, tokens) for pk, tokens in parsed if not q.isdisjoint(tokens)]
    if not sharing:
        return []
    df = _weights([tokens for _pk, tokens in parsed])
    n = len(parsed)
    cache: dict[str, float] = {}

    def idf(token: str) -> float:
        value = cache.get(token)
        if value is None:
            value = cache[token] = _idf(df, n, token)
        return value

    scored = [(pk, similarity(q, tokens, idf=idf)) for pk, tokens in sharing]
    scored = [(pk, round(score, 4)) for pk, score in scored if score >= min_score]
    scored.sort(key=lambda item: (-item[1], -item[0]))
    return scored[:limit]
