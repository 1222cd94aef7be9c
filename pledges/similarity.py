"""Near-identical pledges: word-shingle Jaccard similarity on normalised text.

Each pledge keeps the hashes of its 3-word shingles (computed once, when it is saved), so the
check for a cell and year is one query for the fingerprints and set arithmetic in memory,
with prefix filtering so that only plausible pairs are compared in full.
"""

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict

SHINGLE = 3
THRESHOLD = 0.9
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def fingerprint(text: str) -> list[int]:
    tokens = words(text)
    if len(tokens) < SHINGLE:
        grams = [" ".join(tokens)] if tokens else []
    else:
        grams = [" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)]
    # 6-byte hashes: exact enough for tens of thousands of shingles, and safe as JSON numbers.
    return sorted({int.from_bytes(hashlib.blake2b(g.encode(), digest_size=6).digest(), "big") for g in grams})


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def similar_pairs(fingerprints: dict[int, list[int]], threshold: float = THRESHOLD) -> list[tuple[int, int, float]]:
    """(id_a, id_b, score) for every pair at or above the threshold, highest first.

    Prefix filtering (as in the AllPairs algorithm): Jaccard >= t means the two sets share at
    least ceil(t * |s|) shingles of each set s, so with every set sorted rarest shingle first,
    two such sets must share one of the first |s| - ceil(t * |s|) + 1. Only pairs that do are
    compared in full: near-identical ones, and few others, however many pledges the cell has.
    """
    sets = {pk: set(fp) for pk, fp in fingerprints.items() if fp}
    frequency = Counter(token for tokens in sets.values() for token in tokens)
    index: dict[int, list[int]] = defaultdict(list)
    candidates: set[tuple[int, int]] = set()
    for pk in sorted(sets):
        tokens = sorted(sets[pk], key=lambda token: (frequency[token], token))
        prefix = len(tokens) - math.ceil(threshold * len(tokens)) + 1
        for token in tokens[:prefix]:
            for other in index[token]:
                candidates.add((other, pk))
            index[token].append(pk)
    pairs = []
    for a, b in candidates:
        sa, sb = sets[a], sets[b]
        small, large = sorted((len(sa), len(sb)))
        if small < threshold * large:  # Jaccard <= small / large: cannot reach the threshold
            continue
        common = len(sa & sb)
        score = common / (len(sa) + len(sb) - common)
        if score >= threshold:
            pairs.append((a, b, score))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))
