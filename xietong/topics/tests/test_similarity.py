"""similarity.py is plain Python: no database."""

from xietong.topics import similarity

PARKING = similarity.token_string("新办公楼停车位不足", "员工停车位严重不足，早高峰排队进入停车场。")
PARKING_AGAIN = similarity.token_string("办公楼停车位不足的问题", "员工反映停车难，停车位不够。")
BUDGET = similarity.token_string("年度预算编制口径统一", "各部门预算编制口径不一致，财务汇总困难。")
PRINTER = similarity.token_string("打印机耗材采购流程", "打印机硒鼓经常缺货，采购审批周期长。")


def test_tokenize_drops_stop_words_punctuation_and_single_characters():
    tokens = similarity.tokenize("关于技术部和市场部的协调问题，需要尽快解决！")
    assert "技术部" in tokens
    assert "市场部" in tokens
    for dropped in ("关于", "和", "的", "协调", "问题", "需要", "，", "！"):
        assert dropped not in tokens


def test_meaningful_single_characters_are_kept():
    assert "车" in similarity.tokenize("公司 车 的 调度")
    assert "的" not in similarity.tokenize("公司 车 的 调度")


def test_token_string_is_distinct_in_order():
    assert similarity.token_string("停车位 停车位 员工", "员工 食堂") == "停车位 员工 食堂"
    assert similarity.token_string("", "   ") == ""


def test_near_duplicate_ranks_first_and_unrelated_is_absent():
    query = similarity.tokenize("办公楼停车位紧张") + similarity.tokenize("员工停车难")
    ranked = similarity.rank(query, [(1, BUDGET), (2, PARKING), (3, PRINTER), (4, PARKING_AGAIN)])
    ids = [pk for pk, _score in ranked]
    assert ids[0] in (2, 4)
    assert set(ids) == {2, 4}
    assert 1 not in ids and 3 not in ids


def test_rank_is_empty_for_an_empty_query_or_no_overlap():
    assert similarity.rank([], [(1, PARKING)]) == []
    assert similarity.rank(similarity.tokenize("食堂菜品改进"), [(1, PARKING), (2, BUDGET)]) == []


def test_similarity_bounds():
    tokens = PARKING.split()
    assert similarity.similarity(tokens, tokens) == 1.0
    assert similarity.similarity(tokens, BUDGET.split()) == 0.0
    assert similarity.similarity([], tokens) == 0.0


def test_rank_limit_and_ties_prefer_later_topics():
    ranked = similarity.rank(PARKING.split(), [(1, PARKING), (2, PARKING), (3, PARKING)], limit=2)
    assert [pk for pk, _ in ranked] == [3, 2]


def test_rank_stays_fast_over_two_thousand_candidates():
    import time

    filler = [f"词{i}" for i in range(4000)]
    candidates = [(i, " ".join(filler[(i * 7) % 3900 : (i * 7) % 3900 + 60])) for i in range(2000)]
    candidates.append((5000, PARKING))
    start = time.perf_counter()
    ranked = similarity.rank(PARKING_AGAIN.split(), candidates)
    assert time.perf_counter() - start < 0.5
    assert ranked[0][0] == 5000
