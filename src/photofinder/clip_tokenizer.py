"""CLIP's byte-pair tokenizer without torch.

open_clip's ``SimpleTokenizer`` returns torch tensors, and importing it imports
torch, torchvision and timm (about 3 s and 700 MB here). A text query needs only
the token ids, so this is the same algorithm (OpenAI CLIP's, MIT licence) over the
same vocabulary file that open_clip ships, returning plain lists. The text tower
checks its ids against open_clip's before it is trusted (see ``text_tower``).
"""

from __future__ import annotations

import gzip
import html
import importlib.util
from functools import lru_cache
from pathlib import Path

import ftfy
import regex

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"  # in the open_clip package
MERGES = 49152 - 256 - 2
START, END = "<start_of_text>", "<end_of_text>"
WORD_CACHE = 20_000  # merged words remembered; queries repeat words


def vocabulary_file() -> Path:
    """open_clip's vocabulary, found without importing open_clip."""
    spec = importlib.util.find_spec("open_clip")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / VOCAB_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"open_clip's {VOCAB_FILE} was not found")


@lru_cache(maxsize=None)
def _byte_to_char() -> dict[int, str]:
    """Each byte as a printable character, so merges never meet whitespace or controls."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


class ClipTokenizer:
    """Text -> CLIP token ids: lower-cased, byte-pair encoded, framed by start and end."""

    def __init__(self, context_length: int = 77):
        self.context_length = context_length
        lines = gzip.open(vocabulary_file()).read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1:MERGES + 1]]
        symbols = list(_byte_to_char().values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocab += [START, END]
        self._ids = {token: i for i, token in enumerate(vocab)}
        self._ranks = {merge: i for i, merge in enumerate(merges)}
        self._words: dict[str, list[str]] = {}
        self.start_id, self.end_id = self._ids[START], self._ids[END]
        self._pattern = regex.compile(
            rf"{START}|{END}|'s|'t|'re|'ve|'m|'ll|'d|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+",
            regex.IGNORECASE)

    def __call__(self, text: str) -> list[int]:
        """The ids of one text, cut to the context length (ending with the end id)."""
        ids = [self.start_id, *self.encode(text), self.end_id]
        if len(ids) > self.context_length:
            ids = ids[:self.context_length]
            ids[-1] = self.end_id
        return ids

    def encode(self, text: str) -> list[int]:
        text = " ".join(html.unescape(html.unescape(ftfy.fix_text(text))).split()).lower()
        byte_to_char = _byte_to_char()
        ids = []
        for piece in self._pattern.findall(text):
            word = "".join(byte_to_char[b] for b in piece.encode("utf-8"))
            ids.extend(self._ids[part] for part in self._merged(word))
        return ids

    def _merged(self, word: str) -> list[str]:
        """Apply the learned merges, lowest rank first, until none applies."""
        if word in self._words:
            return self._words[word]
        if word in (START, END):
            return [word]
        parts = [*word[:-1], word[-1] + "</w>"]
        while len(parts) > 1:
            pairs = {(a, b) for a, b in zip(parts, parts[1:])}
            best = min(pairs, key=lambda pair: self._ranks.get(pair, float("inf")))
            if best not in self._ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        if len(self._words) > WORD_CACHE:
            self._words.clear()
        self._words[word] = parts
        return parts
