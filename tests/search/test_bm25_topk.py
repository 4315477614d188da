"""PostingsIndex.top_k's paths against a brute-force top k of `full_scores`.

`top_k` picks a path by the query's postings: sorting the matches (few), a dense
accumulator read term at a time (many), MaxScore pruning with look-ups by binary
search or by one pass over a list (many, common words). Each test forces every path in turn (module constants) and checks the
same exact list: score descending, position ascending on ties, only passages
holding a query term, restricted to a position range when one is given, never
a deleted passage. rank-bm25 itself is the reference in test_bm25_reference.py;
here `full_scores` (checked there against it) is, so corpora can be larger.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import bot.search.bm25 as bm25_module
from search.zipf import zipf_corpus
from bot.search.bm25 import BM25Params, Part, PostingsIndex

# (SMALL_POSTINGS, PRUNE_MIN_POSTINGS, SCAN_RATIO, WALK_RATIO, SWITCH_RATIO, SCORED_MIN_POSTINGS[, SCAN_END_MIN])
KEEP = 4000  # lists kept scored from this length: none but the commonest words' here
OFF = 10**12
PATHS = {
    "sparse": (10**12, 10**12, 12, 16, 16, KEEP),
    "dense": (0, 10**12, 12, 16, 16, KEEP),
    "pruned-search": (0, 0, 0, 0, 0, KEEP),  # MaxScore's look-ups only, by binary search
    "pruned-scan": (0, 0, 10**9, 0, 0, KEEP),  # ... by one pass over each list
    "pruned-search-kept": (0, 0, 0, 0, 0, 1),  # look-ups in lists kept scored, by binary search
    "pruned-scan-kept": (0, 0, 10**9, 0, 0, 1),  # ... by one pass
    "pruned-walk": (0, 0, 12, 10**12, 10**12, KEEP),  # the terms left walked over the accumulator
    "pruned-walk-kept": (0, 0, 12, 10**12, 10**12, 1),  # ... every list kept scored (`_scored_postings`)
    "pruned-walk-then-search": (0, 0, 0, 10**12, 0, 1),  # one term walked, then look-ups
    "pruned-scan-end": (0, 0, 12, 16, 16, KEEP, 0),  # the last term scanned for theta (`_scan_end`)
}


def force(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    small, prune, scan, walk, switch, keep, *scan_end = PATHS[path]
    monkeypatch.setattr(bm25_module, "SMALL_POSTINGS", small)
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", prune)
    monkeypatch.setattr(bm25_module, "SCAN_RATIO", scan)
    monkeypatch.setattr(bm25_module, "WALK_RATIO", walk)
    monkeypatch.setattr(bm25_module, "SWITCH_RATIO", switch)
    monkeypatch.setattr(bm25_module, "SCORED_MIN_POSTINGS", keep)
    on = bool(scan_end)
    monkeypatch.setattr(bm25_module, "SCAN_END_MIN", scan_end[0] if on else OFF)
    monkeypatch.setattr(bm25_module, "SCAN_END_TOUCHED", 0 if on else 2)
    monkeypatch.setattr(bm25_module, "SCAN_END_RATIO", 0 if on else 16)
    monkeypatch.setattr(bm25_module, "SMALL_RANGE", -1)  # ranges too take the path forced (see test_small_ranges_*)


def random_queries(seed: int, vocab: int, n: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    out = [["w0", "w1", "w2", "w3", "w4"], ["w0", "w0", "w1"], ["w1", "nowhere", "w2"]]
    for _ in range(n):
        size = int(rng.integers(1, 7))
        words = [f"w{int(x)}" for x in rng.integers(0, vocab, size)]
        words += [f"w{int(x)}" for x in rng.integers(0, 6, int(rng.integers(0, 4)))]  # common ones
        if rng.random() < 0.2:
            words.append(words[0])  # a repeated query word counts twice, as in rank-bm25
        out.append(words)
    return out


def brute_top(index: PostingsIndex, ids: list[int | None], k: int,
              position_range: tuple[int, int] | None = None) -> list[tuple[int, float]]:
    """Every live position holding a query term (in the range), by score desc, position asc."""
    scores = index.full_scores(ids)
    held = np.zeros(index.n_positions, dtype=bool)
    for t in ids:
        if t is not None and t < index.df.shape[0]:
            pos, _ = index.postings(t)
            held[pos] = True
    if position_range is not None:
        outside = np.ones(index.n_positions, dtype=bool)
        outside[position_range[0] : position_range[1]] = False
        held[outside] = False
    cand = np.flatnonzero(held)
    order = np.lexsort((cand, -scores[cand]))[:k]
    return [(int(cand[i]), float(scores[cand[i]])) for i in order]


def assert_same(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    assert [p for p, _ in got] == [p for p, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=0, atol=1e-9)


def assert_scratch_clean(index: PostingsIndex) -> None:
    if index._scratch is not None:
        acc, slot = index._scratch
        assert not acc.any() and not slot.any()


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("variant", ["okapi", "plus"])
def test_random_corpora_every_path(path: str, variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    force(monkeypatch, path)
    for seed in (1, 2):
        tokens = zipf_corpus(seed, 6000, 2000)
        index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params(variant=variant))
        for words in random_queries(seed, 2000, 25):
            ids = [vocab.get(w) for w in words]
            for k in (1, 10, 60):
                assert_same(index.top_k(ids, k), brute_top(index, ids, k))
        assert_scratch_clean(index)


@pytest.mark.parametrize("path", list(PATHS))
def test_ties_at_the_kth_place_go_to_lower_positions(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole blocks of identical passages: the k-th place is inside a block of equal scores."""
    force(monkeypatch, path)
    rng = np.random.default_rng(5)
    kinds = [["a", "b", "c"], ["a", "b", "x", "y"], ["a", "c", "z"], ["b", "z", "z"], ["a"], ["q", "r"]]
    tokens = [list(kinds[int(i)]) for i in rng.integers(0, len(kinds), 3000)]
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params())
    cut_in_a_tie = 0
    for words in (["a", "b", "c"], ["a", "b"], ["z", "a"], ["a"], ["c", "y", "b"]):
        ids = [vocab.get(w) for w in words]
        for k in (1, 7, 10, 60, 500):
            want = brute_top(index, ids, k + 1)
            cut_in_a_tie += len(want) == k + 1 and want[k - 1][1] == want[k][1]
            assert_same(index.top_k(ids, k), want[:k])
    assert cut_in_a_tie >= 10  # the corpus does put the k-th place inside a tie


@pytest.mark.parametrize("path", list(PATHS))
def test_k_larger_than_the_matches_returns_them_all(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    force(monkeypatch, path)
    tokens = zipf_corpus(3, 3000, 1500)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params())
    for words in (["w900", "w1200"], ["w0", "w1400"], ["w1", "w2"]):
        ids = [vocab.get(w) for w in words]
        matches = sum(1 for doc in tokens if set(words) & set(doc))
        got = index.top_k(ids, matches + 50)
        assert len(got) == matches
        assert_same(got, brute_top(index, ids, matches + 50))
    assert index.top_k([vocab["w0"]], 0) == []
    assert index.top_k([None, 10**9], 10) == []


@pytest.mark.parametrize("path", list(PATHS))
def test_position_ranges(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    force(monkeypatch, path)
    tokens = zipf_corpus(4, 5000, 1500)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params())
    rng = np.random.default_rng(4)
    for words in random_queries(4, 1500, 12):
        ids = [vocab.get(w) for w in words]
        for _ in range(3):
            a = int(rng.integers(0, 5000))
            b = min(5000, a + int(rng.choice([1, 30, 400, 3000])))
            for k in (10, 60):
                assert_same(index.top_k(ids, k, (a, b)), brute_top(index, ids, k, (a, b)))
    assert_scratch_clean(index)


def segmented(tokens: list[list[str]], cuts: list[int], dead: np.ndarray,
              params: BM25Params) -> tuple[PostingsIndex, dict[str, int]]:
    """The passages in several parts (as the persisted segments give them), some deleted."""
    vocab: dict[str, int] = {}
    for doc in tokens:
        for w in doc:
            vocab.setdefault(w, len(vocab))
    parts = []
    bounds = [0, *cuts, len(tokens)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        t_ids, pos, tfs = [], [], []
        for i in range(lo, hi):
            counts: dict[int, int] = {}
            for w in tokens[i]:
                counts[vocab[w]] = counts.get(vocab[w], 0) + 1
            for t, c in counts.items():
                t_ids.append(t)
                pos.append(i - lo)
                tfs.append(c)
        one = PostingsIndex.build(np.array(t_ids, dtype=np.int64), np.array(pos), np.array(tfs),
                                  np.ones(hi - lo), len(vocab), params)
        filtered = bool(dead[lo:hi].any())
        parts.append(Part(one.term_offsets, one.post_pos, one.post_tf.astype(np.uint16), lo, filtered))
    live = ~dead
    df = np.zeros(len(vocab), dtype=np.int64)
    for i in np.flatnonzero(live):
        for t in {vocab[w] for w in tokens[i]}:
            df[t] += 1
    lengths = np.array([len(d) for d in tokens], dtype=np.float64)
    return PostingsIndex.from_parts(parts, lengths, params, live, df), vocab


@pytest.mark.parametrize("path", list(PATHS))
def test_deleted_passages_and_segments(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three parts, one article's passages deleted in each of two, and a whole part
    deleted: the top k equals that of an index built from the live passages only."""
    force(monkeypatch, path)
    tokens = zipf_corpus(6, 6000, 1500)
    dead = np.zeros(6000, dtype=bool)
    dead[100:400] = True  # in part 0
    dead[2500:4000] = True  # all of part 1
    dead[4100:4200] = True  # in part 2
    params = BM25Params()
    index, vocab = segmented(tokens, [2500, 4000], dead, params)
    alive = np.flatnonzero(~dead)
    fresh, fresh_vocab = PostingsIndex.from_token_lists([tokens[i] for i in alive], params)
    for words in random_queries(6, 1500, 25):
        for k in (10, 60):
            got = index.top_k([vocab.get(w) for w in words], k)
            want = fresh.top_k([fresh_vocab.get(w) for w in words], k)
            assert [p for p, _ in got] == [int(alive[p]) for p, _ in want]
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=0, atol=1e-9)
            assert not dead[[p for p, _ in got]].any()


def test_pruning_reads_fewer_postings_of_common_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five common words (no rare one): MaxScore still stops reading lists before
    the end; counted like test_bm25_reference's pruning test."""
    tokens = zipf_corpus(8, 30000, 3000, max_len=20)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params())
    query = [vocab[w] for w in ("w3", "w5", "w8", "w13", "w21")]
    read = {"n": 0}
    real_postings, real_lookup = PostingsIndex.postings, PostingsIndex._lookup

    def postings(self, term_id, position_range=None):
        pos, tf = real_postings(self, term_id, position_range)
        read["n"] += pos.shape[0]
        return pos, tf

    def lookup(self, t, cand, slot=None):
        df = int(self.df[t])
        read["n"] += df if slot is not None and cand.shape[0] * bm25_module.SCAN_RATIO > df else cand.shape[0]
        return real_lookup(self, t, cand, slot)

    monkeypatch.setattr(PostingsIndex, "postings", postings)
    monkeypatch.setattr(PostingsIndex, "_lookup", lookup)
    force(monkeypatch, "dense")
    full = index.top_k(query, 10)
    full_read, read["n"] = read["n"], 0
    force(monkeypatch, "pruned-search")
    monkeypatch.setattr(bm25_module, "SCAN_RATIO", 12)
    pruned = index.top_k(query, 10)
    assert_same(pruned, full)
    assert read["n"] * 5 < full_read * 4, (read["n"], full_read)


def test_a_second_thread_gets_its_own_accumulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """While one query holds the index's scratch arrays, another still answers
    (with arrays of its own) and the shared ones stay clean."""
    force(monkeypatch, "pruned-scan")
    tokens = zipf_corpus(9, 4000, 1000)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params())
    ids = [vocab[w] for w in ("w0", "w1", "w2", "w7")]
    want = brute_top(index, ids, 10)
    assert_same(index.top_k(ids, 10), want)  # allocates the shared arrays
    assert index._scratch_lock.acquire(blocking=False)
    try:
        got: list = []
        worker = threading.Thread(target=lambda: got.append(index.top_k(ids, 10)))
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive()
        assert_same(got[0], want)
    finally:
        index._scratch_lock.release()
    assert_scratch_clean(index)


def test_each_maxscore_ending_is_taken_and_gives_the_same_top_k(monkeypatch: pytest.MonkeyPatch) -> None:
    """Common words with rarer ones: MaxScore's end by look-ups, by walking the accumulator
    (`_walk`), and by a walk that turns to look-ups, each taken (counted) and each equal to
    the brute-force top k, scores bit for bit equal between the three."""
    tokens = zipf_corpus(12, 8000, 2000, max_len=20)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params())
    queries = [[vocab.get(w) for w in words] for words in random_queries(12, 2000, 30)]
    queries += [[vocab[w] for w in ("w0", "w1", "w2", "w3")], [vocab[w] for w in ("w2", "w4", "w5", "w9", "w30")]]
    results = {}
    for path in ("pruned-search", "pruned-walk", "pruned-walk-then-search"):
        force(monkeypatch, path)
        walks, switches = index.walks, index.walk_switches
        results[path] = [index.top_k(ids, k) for ids in queries for k in (10, 60)]
        if path == "pruned-search":
            assert index.walks == walks
        else:
            assert index.walks > walks + 5
        if path == "pruned-walk-then-search":
            assert index.walk_switches - switches > 5  # (every walk with two terms left or more)
        elif path == "pruned-walk":
            assert index.walk_switches - switches < (index.walks - walks) / 2  # (only when none is left)
        assert_scratch_clean(index)
    assert results["pruned-walk"] == results["pruned-search"] == results["pruned-walk-then-search"]
    want = [brute_top(index, ids, k) for ids in queries for k in (10, 60)]
    for got, exp in zip(results["pruned-walk"], want):
        assert_same(got, exp)


@pytest.mark.parametrize("variant", ["okapi", "plus"])
def test_small_ranges_in_python_equal_the_general_path_bit_for_bit(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`_top_k_small_range` (one article's few passages, scored in plain Python) gives the very
    list the numpy path gives (positions and scores ==), and the brute-force top k: over three
    parts with deleted passages, ranges across part boundaries and past the end, repeated
    and unknown words, ties."""
    tokens = zipf_corpus(14, 3000, 800)
    rng = np.random.default_rng(14)
    kinds = [["w1", "w2", "w3"], ["w1", "w2"], ["w3", "w1"]]
    for i in range(1000, 1060):  # identical passages: ties at the k-th place
        tokens[i] = list(kinds[int(rng.integers(0, 3))])
    dead = np.zeros(3000, dtype=bool)
    dead[rng.integers(0, 3000, 300)] = True
    dead[1020:1030] = True
    params = BM25Params(variant=variant)
    index, vocab = segmented(tokens, [1200, 1230], dead, params)
    ranges = [(1000, 1060), (1190, 1250), (1229, 1231), (2950, 3100), (0, 40), (1225, 1226), (500, 500)]
    ranges += [(a, a + int(rng.integers(1, 120))) for a in rng.integers(0, 3000, 25).tolist()]
    queries = [["w1", "w2", "w3"], ["w1", "w1", "nowhere", "w2"], ["nowhere"]] + random_queries(14, 800, 20)
    checked = ties = 0
    for words in queries:
        ids = [vocab.get(w) for w in words]
        for a, b in ranges:
            for k in (1, 3, 10, 60):
                monkeypatch.setattr(bm25_module, "SMALL_RANGE", -1)
                general = index.top_k(ids, k, (a, b))
                monkeypatch.setattr(bm25_module, "SMALL_RANGE", 10**9)
                before = index.small_ranges
                small = index.top_k(ids, k, (a, b))
                assert index.small_ranges == before + (1 if any(i is not None for i in ids) else 0)
                assert small == general
                assert all(type(p) is int and type(s) is float for p, s in small)
                want = brute_top(index, ids, k + 1, (a, b))
                ties += len(want) == k + 1 and want[k - 1][1] == want[k][1]
                assert_same(small, want[:k])
                assert not dead[[p for p, _ in small]].any()
                checked += bool(small)
    assert checked > 300 and ties >= 5


def test_deleted_passages_found_by_search_or_by_the_live_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filtered part's lists lose their deleted passages the same way whether these are
    searched for in each list (few of them) or the live mask is read at every posting;
    only live passages that hold the term remain, in position order."""
    tokens = zipf_corpus(15, 4000, 1000)
    dead = np.zeros(4000, dtype=bool)
    dead[[0, 1, 17, 999, 1000, 2999, 3998, 3999]] = True
    dead[1500:1530] = True
    index, vocab = segmented(tokens, [1000, 3000], dead, BM25Params())
    searched = 0
    for word, t in vocab.items():
        want = np.array([i for i, doc in enumerate(tokens) if word in doc and not dead[i]], dtype=np.int64)
        for ratio in (0, 10**9):
            monkeypatch.setattr(bm25_module, "DEAD_RATIO", ratio)
            for rng in (None, (990, 1600), (3990, 4000)):
                pos, tf = index.postings(t, rng)
                sub = want if rng is None else want[(want >= rng[0]) & (want < rng[1])]
                assert pos.tolist() == sub.tolist()
                assert tf.tolist() == [tokens[i].count(word) for i in sub.tolist()]
        searched += int(index.df[t]) > 8 * 38
    assert searched > 20  # (lists long enough for the search with the default ratio too)


@pytest.mark.parametrize("variant", ["okapi", "plus"])
def test_a_walks_end_from_the_passages_written_and_reached(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A walk's end finds the passages at theta among those it wrote and those already at
    theta before it (`reached`), or by a pass over the accumulator: both taken (counted),
    the same lists bit for bit, equal to the brute-force top k, the accumulator left clean."""
    tokens = zipf_corpus(16, 8000, 2000, max_len=20)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params(variant=variant))
    queries = [[vocab.get(w) for w in words] for words in random_queries(16, 2000, 30)]
    queries += [[vocab[w] for w in ("w0", "w1", "w2", "w3")], [vocab[w] for w in ("w2", "w4", "w5", "w9", "w30")],
                [vocab[w] for w in ("w0", "w0", "w1", "w6", "w700")]]
    force(monkeypatch, "pruned-walk")
    results = {}
    for ratio in (0, 10**12):
        monkeypatch.setattr(bm25_module, "REACHED_RATIO", ratio)
        walks, reached, switches = index.walks, index.walk_reached, index.walk_switches
        results[ratio] = [index.top_k(ids, k) for ids in queries for k in (1, 10, 60)]
        assert index.walks > walks + 10
        if ratio == 0:
            # (every walk that ends by itself; the others went on with look-ups)
            assert index.walk_reached - reached == index.walks - walks - (index.walk_switches - switches) > 10
        else:
            assert index.walk_reached == reached
        assert_scratch_clean(index)
    assert results[0] == results[10**12]
    want = [brute_top(index, ids, k) for ids in queries for k in (1, 10, 60)]
    for got, exp in zip(results[0], want):
        assert_same(got, exp)


@pytest.mark.parametrize("variant", ["okapi", "plus"])
def test_rare_words_short_of_k_each_give_theta_together(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three rare words each in fewer than k passages but together in more, and a common
    word: theta comes from the rare words' distinct passages (each list alone holds too
    few), so MaxScore looks the common word up for the candidates instead of reading its
    postings (counted); the top k equals the brute-force one. Queries whose every list is
    read end from MaxScore's pool and the last list (counted) with the same top k."""
    tokens = zipf_corpus(21, 20000, 4000, max_len=20)
    index, vocab = PostingsIndex.from_token_lists(tokens, BM25Params(variant=variant))
    k = 30
    df = {w: int(index.df[i]) for w, i in vocab.items()}
    rare = [w for w, n in sorted(df.items(), key=lambda x: (-x[1], x[0])) if n < k][:3]
    assert len(rare) == 3 and sum(df[w] for w in rare) > k + 10
    common = "w0"
    read = {"n": 0}
    real_postings = PostingsIndex.postings

    def postings(self, term_id, position_range=None):
        pos, tf = real_postings(self, term_id, position_range)
        read["n"] += pos.shape[0]
        return pos, tf

    monkeypatch.setattr(PostingsIndex, "postings", postings)
    force(monkeypatch, "pruned-search")
    ids = [vocab[w] for w in rare + [common]]
    want = brute_top(index, ids, k)
    before, read["n"] = index.union_thetas, 0
    assert_same(index.top_k(ids, k), want)
    assert read["n"] < df[common] / 4, (read["n"], df[common])
    assert index.union_thetas == before + 1
    assert_scratch_clean(index)
    ends = index.pool_ends
    for path in ("pruned-search", "pruned-walk", "pruned-scan"):
        force(monkeypatch, path)
        for words in random_queries(21, 4000, 40):
            qids = [vocab.get(w) for w in words]
            assert_same(index.top_k(qids, 10), brute_top(index, qids, 10))
    assert index.pool_ends > ends
    assert_scratch_clean(index)


def test_short_lists_read_whole_are_kept_scored_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the module's own SCORED_MIN_POSTINGS, a rare word's list that a global top k
    reads whole is kept like a common word's: asked again, no list is scored again, and
    the top k is the same. The kept bytes count each list's overhead."""
    monkeypatch.setattr(bm25_module, "SMALL_POSTINGS", 0)
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 10**12)  # every list read whole
    index, vocab = PostingsIndex.from_token_lists(zipf_corpus(22, 4000, 2000), BM25Params())
    rare = [w for w in vocab if 2 <= int(index.df[vocab[w]]) <= 5][:3]
    ids = [vocab[w] for w in [*rare, "w0"]]
    want = brute_top(index, ids, 10)
    assert_same(index.top_k(ids, 10), want)
    assert index.scored_computed == 4
    assert index._scored_bytes >= 4 * bm25_module.SCORED_ENTRY_BYTES
    assert index.top_k(ids, 10) == index.top_k(ids, 10)
    assert_same(index.top_k(ids, 10), want)
    assert index.scored_computed == 4


@pytest.mark.parametrize("variant", ["okapi", "plus"])
def test_scan_end_ties_at_theta_and_touched_candidates(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`_scan_end`: a common word whose passages all have one length (its contributions all
    tie, so theta is that value and ties at the k-th place go to the lowest positions) and
    a rarer word read first (its bound is lifted by a short passage that is deleted) whose
    live passages score below the tie, or just above it with the common word: each answer
    (the scan ending counted) equals the brute-force top k of an index of the live passages."""
    monkeypatch.setattr(bm25_module, "SMALL_POSTINGS", 0)
    monkeypatch.setattr(bm25_module, "PRUNE_MIN_POSTINGS", 0)
    monkeypatch.setattr(bm25_module, "SCAN_END_MIN", 0)
    monkeypatch.setattr(bm25_module, "SMALL_RANGE", -1)
    rng = np.random.default_rng(31)
    tokens: list[list[str]] = []
    for i in range(3000):
        if i % 3 == 0:
            tokens.append(["c", *(f"f{int(x)}" for x in rng.integers(0, 500, 3))])  # 1000 ties
        else:
            tokens.append([f"f{int(x)}" for x in rng.integers(0, 500, int(rng.integers(2, 9)))])
    for i, at in enumerate(range(7, 3000, 301)):  # the rare word, in long passages (some with "c")
        tokens[at] = ["r", *(["c"] if i % 2 else []), *(f"g{j}" for j in range(int(rng.integers(20, 200))))]
    tokens[1] = ["r", "f1"]  # short: lifts r's bound above c's; deleted
    dead = np.zeros(len(tokens), dtype=bool)
    dead[1] = True
    params = BM25Params(variant=variant)
    index, vocab = segmented(tokens, [1500], dead, params)
    alive = np.flatnonzero(~dead)
    fresh, fresh_vocab = PostingsIndex.from_token_lists([tokens[i] for i in alive], params)
    assert index._upper_bound(vocab["r"]) > index._upper_bound(vocab["c"])
    before = index.scan_ends
    for k in (1, 5, 9, 10, 11, 30, 60):
        for words in (["r", "c"], ["c", "r"], ["r", "c", "c"]):
            got = index.top_k([vocab[w] for w in words], k)
            want = brute_top(fresh, [fresh_vocab[w] for w in words], k)
            assert [p for p, _ in got] == [int(alive[p]) for p, _ in want]
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=0, atol=1e-9)
    assert index.scan_ends > before + 10
    assert_scratch_clean(index)
