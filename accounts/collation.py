"""Vietnamese alphabetical order for people's names, as a plain string the database can sort.

Databases sort "Đặng" after "Trần" (Đ is U+0110) and ignore that Vietnamese lists are ordered
by given name (tên) first. `sort_key` gives a key in which:
- letters follow the Vietnamese alphabet (a ă â b c d đ e ê … o ô ơ … u ư …), and a
  syllable's tone (ngang, huyền, hỏi, ngã, sắc, nặng) orders syllables of the same letters;
- the given name (last word) comes first, then the family and middle names.
"""

import unicodedata

_ALPHABET = [
    *[
        "a",
        "ă",
        "â",
        "b",
        "c",
        "d",
        "đ",
        "e",
        "ê",
        "f",
        "g",
        "h",
        "i",
        "j",
        "k",
        "l",
        "m",
        "n",
        "o",
        "ô",
        "ơ",
        "p",
        "q",
        "r",
        "s",
        "t",
        "u",
        "ư",
        "v",
        "w",
        "x",
        "y",
        "z",
    ],
    *"0123456789",
]


def _code(index: int) -> str:
    return chr(97 + index // 26) + chr(97 + index % 26)


# Keys are made of lower-case ASCII letters only, so any database collation (C, en_US, ICU)
# sorts them the same: "aa" separates words and sorts before every letter's code.
_SEPARATOR = _code(0)
_LETTER = {letter: _code(index + 1) for index, letter in enumerate(_ALPHABET)}
_TONES = {"\u0300": "b", "\u0309": "c", "\u0303": "d", "\u0301": "e", "\u0323": "f"}  # huyền hỏi ngã sắc nặng


def _word_key(word: str) -> str:
    """A syllable's letters, then the word-end mark, then its tone: "An" < "Án" < "Anh"."""
    letters, tone = [], "a"
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONES:
            tone = _TONES[char]
        elif unicodedata.combining(char):  # breve, circumflex, horn: part of the letter
            if letters:
                letters[-1] = unicodedata.normalize("NFC", letters[-1] + char)
        else:
            letters.append(char)
    return "".join(_LETTER[c] for c in letters if c in _LETTER) + _SEPARATOR + tone


def sort_key(full_name: str, max_length: int = 300) -> str:
    words = full_name.split()
    if not words:
        return ""
    ordered = [words[-1], *words[:-1]]  # tên first, then họ and tên đệm
    return _SEPARATOR.join(_word_key(word) for word in ordered)[:max_length]
