"""CLIP's byte-pair tokenizer without torch or open_clip, quick to load.

open_clip's ``SimpleTokenizer`` returns torch tensors, and importing it imports
torch, torchvision and timm (about 3 s and 700 MB here). A text query needs only
the token ids, so this is the same algorithm (OpenAI CLIP's, MIT licence) over the
same vocabulary file, returning plain lists. It is built for a one-off command-line
search: only the part of the file that holds the merges is decompressed, and ftfy
(text repair, 60 ms to import) is imported only for text that it could change.
The text tower checks these ids against open_clip's before it is trusted, and
keeps a copy of the vocabulary, so it needs no open_clip later (``text_tower``).
"""

from __future__ import annotations

import html
import importlib.util
import re
import zlib
from functools import lru_cache
from pathlib import Path

import regex

VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"  # in the open_clip package
MERGES = 49152 - 256 - 2
START, END = "<start_of_text>", "<end_of_text>"
WORD_CACHE = 20_000  # merged words remembered; queries repeat words
# Text that ftfy.fix_text returns unchanged: printable ASCII without HTML entities
# (its repairs all concern other characters; tests/test_clip_tokenizer.py checks this).
PLAIN_TEXT = re.compile(r"[ -%'-~\t\n]*")


def vocabulary_file() -> Path:
    """open_clip's vocabulary, found without importing open_clip."""
    spec = importlib.util.find_spec("open_clip")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / VOCAB_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"open_clip's {VOCAB_FILE} was not found")


def read_merges(path: Path, count: int = MERGES) -> list[str]:
    """The first ``count`` merges of a gzipped vocabulary file ("a b" per line, after a
    header line), decompressing only as far as they go (a tenth of the file)."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = path.read_bytes()
    text = b""
    while text.count(b"\n") <= count and pending:
        text += inflate.decompress(pending, 1 << 20)
        pending = inflate.unconsumed_tail
    lines = text.decode("utf-8", "ignore").split("\n")[1:count + 1]
    if len(lines) < count or not all(line.count(" ") == 1 for line in (lines[0], lines[-1])):
        raise ValueError(f"{path} is not a CLIP vocabulary file")
    return lines


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


def clean(text: str) -> str:
    """open_clip's text cleaning: ftfy's repairs, HTML entities, runs of whitespace, case."""
    if not PLAIN_TEXT.fullmatch(text):
        import ftfy

        text = html.unescape(html.unescape(ftfy.fix_text(text)))
    return " ".join(text.split()).lower()


class ClipTokenizer:
    """Text -> CLIP token ids: lower-cased, byte-pair encoded, framed by start and end."""

    def __init__(self, context_length: int = 77, vocabulary: Path | None = None):
        self.context_length = context_length
        merges = read_merges(vocabulary or vocabulary_file())
        symbols = list(_byte_to_char().values())
        vocab = [*symbols, *(s + "</w>" for s in symbols), *(m.replace(" ", "") for m in merges),
                 START, END]
        self._ids = dict(zip(vocab, range(len(vocab))))
        self._ranks = dict(zip(merges, range(len(merges))))  # "a b": merges never hold spaces
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
        byte_to_char = _byte_to_char()
        ids = []
        for piece in self._pattern.findall(clean(text)):
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
        ranks, unknown = self._ranks, len(self._ranks)
        while len(parts) > 1:
            rank, at = min((ranks.get(f"{a} {b}", unknown), i)
                           for i, (a, b) in enumerate(zip(parts, parts[1:])))
            if rank == unknown:
                break
            best = (parts[at], parts[at + 1])
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
