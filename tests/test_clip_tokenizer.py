"""The tokenizer without torch or open_clip: open_clip's ids for any text, loaded cheaply."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from photofinder.clip_tokenizer import PLAIN_TEXT, VOCAB_FILE, ClipTokenizer, vocabulary_file

TRICKY_TEXTS = [
    "a dog on a beach at sunset", "A DOG  on\ta beach!!", "Ça va? naïve café — 東京タワー 🐶🌅",
    "&amp;lt;b&amp;gt; don't we'll I'm", "x" * 500, "word " * 100, "", "   ",
    "3.14159 2026-11-21 #tags @me", "<start_of_text>odd<end_of_text>", "ſtraße ﬁne", "\u200bzero",
    "fish & chips", "a&b &#39;quoted&#39; &NotAnEntity;", "cafÃ© mojibake", "\x1b[31mred\x1b[0m text",
    "line\r\nbreaks\rand\x0cfeeds", "ＦＵＬＬ ｗｉｄｔｈ", "e\u0301t\u00e9 l'été", "‘curly’ “quotes”",
    "👩‍👩‍👧 family", "DOG'S DON'T", "1234567890 12th 3D", "tab\tand\x00null\x7fdel",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]
ASCII = "".join(map(chr, range(128)))


def random_texts(alphabet: str, count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(alphabet), rng.integers(0, 40))) for _ in range(count)]


@pytest.mark.parametrize("context_length", [16, 77])
def test_tokens_match_open_clip(context_length):
    import open_clip

    texts = [*TRICKY_TEXTS, *random_texts(ASCII, 300, seed=1),
             *random_texts("ab cd&;'#19\téÃ©東🐶-", 300, seed=2)]
    reference = open_clip.tokenize(texts, context_length=context_length).tolist()
    ours = ClipTokenizer(context_length)
    for text, row in zip(texts, reference):
        ids = ours(text)
        assert ids + [0] * (context_length - len(ids)) == row, repr(text)  # 0 pads ("!" is 0 too)


def test_text_taken_as_plain_is_what_ftfy_leaves_unchanged():
    """The tokenizer skips ftfy (and its import) for text it calls plain: ftfy must agree."""
    import ftfy

    plain = [t for t in random_texts(ASCII, 3000, seed=3) + TRICKY_TEXTS if PLAIN_TEXT.fullmatch(t)]
    assert len(plain) > 100 and any("<" in t for t in plain)
    for text in plain:
        assert ftfy.fix_text(text) == text, repr(text)
    assert not PLAIN_TEXT.fullmatch("fish & chips") and not PLAIN_TEXT.fullmatch("café")


def test_a_copied_vocabulary_gives_the_same_ids_and_a_bad_one_is_refused(tmp_path):
    copy = tmp_path / VOCAB_FILE
    shutil.copyfile(vocabulary_file(), copy)
    assert ClipTokenizer(vocabulary=copy)(TRICKY_TEXTS[2]) == ClipTokenizer()(TRICKY_TEXTS[2])
    copy.write_bytes(copy.read_bytes()[:5000])  # cut short
    with pytest.raises((ValueError, OSError)):
        ClipTokenizer(vocabulary=copy)


def test_plain_queries_import_neither_ftfy_nor_torch():
    script = textwrap.dedent("""
        import json, sys
        from photofinder.clip_tokenizer import ClipTokenizer
        ids = ClipTokenizer()("A dog on a beach, at sunset (2024)!")
        print(json.dumps({"ids": ids, "loaded": [m for m in ("ftfy", "torch", "open_clip")
                                                 if m in sys.modules]}))
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", script], check=True,
                                    capture_output=True, text=True).stdout)
    assert out["loaded"] == []
    assert out["ids"] == ClipTokenizer()("A dog on a beach, at sunset (2024)!")
