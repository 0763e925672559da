"""Vocabulary and embedding-matrix building (pure Python, gensim, numpy).

Layout of the matrix every other part relies on: row 0 is padding (zeros),
row 1 is ``<UNK>``, row ``i >= 2`` is line ``i`` of ``vocab.txt``. A token is
looked up as written, then lower-cased, then lower-cased with digits replaced
by 0, and only then falls back to ``<UNK>``; the Transform graph applies the
same chain (``models/preprocessing.py``), so training and serving agree.
"""

import array
import collections
import logging
import os
import re
import tempfile
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf


PAD, UNK = '<PAD>', '<UNK>'
PAD_ID, UNK_ID = 0, 1

_DIGITS = re.compile('[0-9]')
_TOKEN = re.compile(r"""(?:[A-Za-z]\.){2,}        # abbreviations: U.S.
                      | \d+(?:[.,:/-]\d+)*        # numbers: 1,750  5.93
                      | \w+(?=n't\b)              # do|n't
                      | n't\b | '(?:s|re|ve|ll|d|m)\b
                      | \w+(?:[-&']\w+)*          # words: first-half
                      | [^\w\s]                   # punctuation
                      """, re.VERBOSE)


def normalize_digits(word: str) -> str:
  return _DIGITS.sub('0', word)


def normalize(word: str) -> str:
  """The last lookup key: lower-cased, digits as 0."""
  return normalize_digits(word.lower())


def lookup_keys(word: str) -> List[str]:
  """The keys tried for a word, in order (no duplicates)."""
  keys = []
  for key in (word, word.lower(), normalize(word)):
    if key not in keys:
      keys.append(key)
  return keys


def token_id(token: str, index: Mapping[str, int]) -> int:
  """Python mirror of the in-graph lookup, for statistics and tests."""
  for key in lookup_keys(token):
    if key in index:
      return index[key]
  return UNK_ID


def tokenize(text: str) -> List[str]:
  """Splits raw text into CoNLL-2003-like tokens (punctuation, clitics)."""
  return _TOKEN.findall(text)


class TextCorpus:
  """Re-iterable token sequences from plain-text files, one block at a time.

  Blank lines separate blocks (documents, paragraphs); long blocks are cut
  into pieces of ``max_len`` tokens, so memory stays bounded whatever the size
  of the files. A line with bytes invalid in the encoding is read with
  U+FFFD in their place and counted in ``invalid_lines`` (path: [count,
  first line]), filled by the first pass.
  """

  def __init__(self, paths: Sequence[str], max_len: int = 1000,
               encoding: str = 'utf-8'):
    self.paths = list(paths)
    self.max_len = max_len
    self.encoding = encoding
    self.invalid_lines: Dict[str, List[int]] = {}
    self._passes = 0

  def __iter__(self) -> Iterator[List[str]]:
    self._passes += 1
    for path in self.paths:
      block: List[str] = []
      with tf.io.gfile.GFile(path, 'rb') as f:
        for lineno, raw in enumerate(f, start=1):
          try:
            line = raw.decode(self.encoding)
          except UnicodeDecodeError:
            line = raw.decode(self.encoding, errors='replace')
            if self._passes == 1:
              seen = self.invalid_lines.setdefault(path, [0, lineno])
              seen[0] += 1
          if not line.strip():
            if block:
              yield block
            block = []
            continue
          block.extend(tokenize(line))
          while len(block) >= self.max_len:
            yield block[:self.max_len]
            block = block[self.max_len:]
      if block:
        yield block


def expand_text_paths(paths: Iterable[str]) -> List[str]:
  """Files as given; a directory stands for the files directly inside it."""
  out = []
  for path in paths:
    if tf.io.gfile.isdir(path):
      out.extend(sorted(
          os.path.join(path, name) for name in tf.io.gfile.listdir(path)
          if not tf.io.gfile.isdir(os.path.join(path, name))
          and not name.startswith(('.', 'README'))))
    elif tf.io.gfile.exists(path):
      out.append(path)
    else:
      raise FileNotFoundError(f'unlabelled text not found: {path}')
  return out


class NormalizedCorpus:
  """Sentences with every word passed through ``normalize``: Word2Vec then
  pools the counts of "The", "the" and "THE" into one better-trained vector
  (the tagger gets capitalisation from its casing and character features)."""

  def __init__(self, corpus: Iterable[List[str]]):
    self.corpus = corpus

  def __iter__(self):
    for sentence in self.corpus:
      yield [normalize(w) for w in sentence]


def normalized_counts(counts: Mapping[str, int]) -> collections.Counter:
  merged: collections.Counter = collections.Counter()
  for word, count in counts.items():
    merged[normalize(word)] += count
  return merged


class ChainedCorpus:
  """Concatenation of re-iterable corpora (gensim iterates several times)."""

  def __init__(self, *corpora: Iterable[List[str]]):
    self.corpora = corpora

  def __iter__(self):
    for corpus in self.corpora:
      yield from corpus


def build_vocabulary(train_counts: Mapping[str, int], min_count: int = 1,
                     vector_words: Iterable[str] = (),
                     max_size: Optional[int] = None) -> List[str]:
  """Training words (count >= min_count, most frequent first), then words
  that have a vector, in the vectors' own order, up to ``max_size`` in all.

  Adding vector words is what lets a static embedding help on words that the
  labelled data never shows.
  """
  words = [w for w, c in sorted(train_counts.items(), key=lambda x: (-x[1], x[0]))
           if c >= min_count and w not in (PAD, UNK)]
  seen = set(words)
  for w in vector_words:
    if max_size is not None and len(words) >= max_size:
      break
    # A word with whitespace could not be one line of vocab.txt.
    if (w and w not in seen and w not in (PAD, UNK)
        and not any(c.isspace() for c in w)):
      words.append(w)
      seen.add(w)
  return words[:max_size] if max_size is not None else words


class TokenCache:
  """A corpus read and tokenised once, for gensim's 1 + epochs passes.

  Re-reading, tokenising and normalising the text on every pass kept Python
  busy beside the two Word2Vec threads: 10 epochs over ``unlabeled_en`` took
  153-166 s streamed against 114-122 s from this cache (docs/benchmarks.md,
  "Word2Vec from a token cache"). Token ids go to a file in ``directory``, so
  memory holds the distinct words (each string once, its hash computed once)
  and 8 bytes a sentence, not the tokens.
  """

  def __init__(self, corpus: Iterable[List[str]], directory: str):
    self.words: List[str] = []
    index: Dict[str, int] = {}
    ends, total = array.array('q'), 0
    path = os.path.join(directory, 'token_ids.int32')
    with open(path, 'wb') as f:
      for sentence in corpus:
        ids = []
        for word in sentence:
          row = index.get(word)
          if row is None:
            row = index[word] = len(self.words)
            self.words.append(word)
          ids.append(row)
        np.asarray(ids, np.int32).tofile(f)
        total += len(ids)
        ends.append(total)
    self.ends = ends
    self.ids = (np.memmap(path, np.int32, 'r') if total
                else np.zeros(0, np.int32))

  def __iter__(self) -> Iterator[List[str]]:
    words, start = self.words, 0
    for end in self.ends:
      yield [words[i] for i in self.ids[start:end].tolist()]
      start = end


def train_word2vec(corpus: Iterable[List[str]], dim: int = 100,
                   window: int = 5, min_count: int = 2, epochs: int = 5,
                   negative: int = 5, sg: bool = True, workers: int = 2,
                   seed: int = 0):
  """Trains gensim Word2Vec (skip-gram or CBOW) on ``corpus``, read once
  into a ``TokenCache``; returns its KeyedVectors."""
  from gensim.models import Word2Vec  # pylint: disable=g-import-not-at-top
  logging.info('Training Word2Vec: dim=%d window=%d min_count=%d epochs=%d '
               'negative=%d %s', dim, window, min_count, epochs, negative,
               'skip-gram' if sg else 'CBOW')
  with tempfile.TemporaryDirectory(prefix='word2vec-') as scratch:
    cache = TokenCache(corpus, scratch)
    model = Word2Vec(sentences=cache, vector_size=dim, window=window,
                     min_count=min_count, epochs=epochs, negative=negative,
                     sg=1 if sg else 0, workers=workers, seed=seed)
    del cache  # its file is open (memory-mapped) until then
  return model.wv


def build_matrix(vocab: Sequence[str], vectors, dim: int,
                 seed: int = 0, unk_scale: float = 0.1):
  """Returns (matrix, has_vector) for rows PAD, UNK, *vocab.

  A word takes the vector of its first lookup key that ``vectors`` knows;
  words with none (and ``<UNK>``) get small random normal rows. ``vectors``
  may be None for a randomly initialised embedding.
  """
  rng = np.random.default_rng(seed)
  matrix = rng.normal(0.0, unk_scale, size=(len(vocab) + 2, dim)).astype(
      np.float32)
  matrix[PAD_ID] = 0.0
  has_vector = np.zeros(len(vocab) + 2, dtype=bool)
  if vectors is not None:
    if vectors.vector_size != dim:
      raise ValueError(f'vectors have dimension {vectors.vector_size}, '
                       f'expected {dim}')
    for row, word in enumerate(vocab, start=2):
      for key in lookup_keys(word):
        if key in vectors.key_to_index:
          matrix[row] = vectors[key]
          has_vector[row] = True
          break
  return matrix, has_vector


def coverage(counts: Mapping[str, int], index: Mapping[str, int],
             has_vector: Optional[np.ndarray] = None) -> float:
  """Share of token occurrences that map to a known row (with a vector,
  when ``has_vector`` is given)."""
  total = sum(counts.values())
  if not total:
    return 0.0
  hit = 0
  for word, count in counts.items():
    row = token_id(word, index)
    if row != UNK_ID and (has_vector is None or has_vector[row]):
      hit += count
  return hit / total


def vocab_index(vocab: Sequence[str]) -> Dict[str, int]:
  return {w: i for i, w in enumerate(vocab, start=2)}


def count_tokens(sentences: Iterable[Sequence[str]]) -> collections.Counter:
  counts: collections.Counter = collections.Counter()
  for tokens in sentences:
    counts.update(tokens)
  return counts
