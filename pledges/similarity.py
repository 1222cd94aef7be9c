"""Near-identical pledges: word-shingle Jaccard similarity on normalised text.

Each pledge keeps the hashes of its 3-word shingles (computed once, when it is saved), so the
check for a cell and year is one query for the fingerprints and set arithmetic in memory:
a cell has tens of members, so comparing every pair of sets costs milliseconds.
"""

import hashlib
import re
import unicodedata
from itertools import combinations

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
    """(id_a, id_b, score) for every pair at or above the threshold, highest first."""
    sets = {pk: set(fp) for pk, fp in fingerprints.items() if fp}
    pairs = []
    for (a, sa), (b, sb) in combinations(sorted(sets.items()), 2):
        # Jaccard can't reach the threshold when the sizes differ too much: skip the set work.
        small, large = sorted((len(sa), len(sb)))
        if small < threshold * large:
            continue
        score = jaccard(sa, sb)
        if score >= threshold:
            pairs.append((a, b, score))
    return sorted(pairs, key=lambda p: -p[2])
