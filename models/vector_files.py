"""Pre-trained word vectors read strictly, from any filesystem tf.io.gfile
knows, ``.gz`` or not: GloVe (no header), word2vec and fastText text (a
``COUNT DIM`` header) and word2vec binary.

Every problem ends in an error naming the file and the line (the record, in
a binary file): a bad header, rows of another dimension, NaN or inf, an
empty or short file, a file that does not match the format given. A word
given twice keeps its first vector and is counted. Nothing here unpickles:
a file is only ever parsed as text or as float32 bytes.
"""

import gzip
import logging
import warnings
from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf

from models.config import VECTOR_FORMATS
from models.file_errors import FileFormatError

_CHUNK = 1 << 20
_BLOCK_ROWS = 8192  # text rows parsed at once
_TEXT_BYTES = frozenset(b'0123456789.-+eE \t\r\n')


def _open(path: str):
  if not tf.io.gfile.exists(path):
    raise FileFormatError(path, None, 'no such file')
  if tf.io.gfile.isdir(path):
    raise FileFormatError(path, None, 'is a directory; give a vectors file')
  f = tf.io.gfile.GFile(path, 'rb')
  return gzip.GzipFile(fileobj=f, mode='rb') if path.endswith('.gz') else f


def _header(line: str, path: str, fmt: str) -> Tuple[int, int]:
  fields = line.split()
  if len(fields) == 2 and all(x.isdigit() for x in fields):
    return int(fields[0]), int(fields[1])
  raise FileFormatError(
      path, 1, f'expected the header "COUNT DIM" of the {fmt} format, found '
      f'{line[:60]!r}; a GloVe file has no header: pass --vectors-format '
      'glove')


class _Rows:
  """Words and their vectors as they are read; duplicates counted."""

  def __init__(self, path: str, limit: Optional[int]):
    self.path, self.limit = path, limit
    self.words: List[str] = []
    self.vectors: List[np.ndarray] = []  # blocks of rows
    self.seen = set()
    self.duplicates = 0
    self.dim = 0

  def full(self) -> bool:
    return self.limit is not None and len(self.words) >= self.limit

  def check_dim(self, word: str, size: int, where: int, what: str) -> None:
    if not self.dim:
      self.dim = size
    if size != self.dim:
      raise FileFormatError(
          self.path, where, f'expected {self.dim} values after the word '
          f'{word!r} like the {what}s before, found {size}')

  def add(self, words: List[str], block: np.ndarray, where: List[int]) -> None:
    """Rows [n, dim] already of the right width: finite, deduplicated."""
    finite = np.isfinite(block).all(axis=1)
    if not finite.all():
      i = int(np.argmin(finite))
      bad = block[i][~np.isfinite(block[i])][0]
      raise FileFormatError(self.path, where[i],
                            f'the vector of {words[i]!r} holds {bad}')
    keep = []
    for i, word in enumerate(words):
      if self.limit is not None and len(self.words) >= self.limit:
        break
      if word in self.seen:
        self.duplicates += 1
        continue
      self.seen.add(word)
      self.words.append(word)
      keep.append(i)
    self.vectors.append(block[keep])

  def add_text(self, lines: List[Tuple[int, str, str]]) -> None:
    """(line number, word, values as text) rows, parsed as one block: C
    parses the numbers; a block that does not parse cleanly is parsed again
    row by row to name the line at fault."""
    if not lines:
      return
    self.check_dim(lines[0][1], len(lines[0][2].split()), lines[0][0],
                    'line')
    joined = ' '.join(rest for _, _, rest in lines)
    with warnings.catch_warnings():
      warnings.simplefilter('ignore', DeprecationWarning)
      flat = np.fromstring(joined, dtype=np.float32, sep=' ')
    if flat.size == len(lines) * self.dim and all(
        rest.count(' ') == self.dim - 1 for _, _, rest in lines):
      block = flat.reshape(len(lines), self.dim)
    else:
      rows = []
      for where, word, rest in lines:
        fields = rest.split()
        try:
          rows.append(np.array(fields, dtype=np.float32))
        except ValueError:
          raise FileFormatError(
              self.path, where, f'expected a word and numbers, found '
              f'{(word + " " + rest)[:60]!r}') from None
        self.check_dim(word, len(fields), where, 'line')
      block = np.stack(rows)
    self.add([w for _, w, _ in lines], block, [n for n, _, _ in lines])


def _read_text(f, path: str, fmt: str, rows: _Rows) -> Optional[int]:
  """Reads text rows; returns the header's count (None for GloVe)."""
  count = None
  pending: List[Tuple[int, str, str]] = []
  for lineno, raw in enumerate(f, start=1):
    try:
      line = raw.decode('utf-8').rstrip()
    except UnicodeDecodeError:
      hint = ('; is it word2vec binary? pass --vectors-format '
              'word2vec-binary' if lineno == 2 and count is not None else '')
      raise FileFormatError(path, lineno, f'not UTF-8 text{hint}') from None
    if lineno == 1 and fmt != 'glove':
      count, _ = _header(line, path, fmt)
      continue
    if not line:
      continue
    word, _, rest = line.partition(' ')
    if lineno == 1 and rest.isdigit() and word.isdigit():
      raise FileFormatError(
          path, 1, f'line 1 is a "COUNT DIM" header ({line!r}), which GloVe '
          'files do not have: pass --vectors-format word2vec-text')
    pending.append((lineno, word, rest))
    if len(pending) == _BLOCK_ROWS:
      rows.add_text(pending)
      pending = []
      if rows.full():
        return count
  rows.add_text(pending)
  return count


class _Buffer:
  """Reads a binary stream in chunks: up to a separator, or n bytes."""

  def __init__(self, f):
    self.f, self.data, self.pos = f, b'', 0

  def _fill(self) -> bool:
    more = self.f.read(_CHUNK)
    self.data = self.data[self.pos:] + more
    self.pos = 0
    return bool(more)

  def until(self, sep: bytes) -> Optional[bytes]:
    while True:
      end = self.data.find(sep, self.pos)
      if end >= 0:
        out, self.pos = self.data[self.pos:end], end + 1
        return out
      if not self._fill():
        rest = self.data[self.pos:]
        self.pos = len(self.data)
        return rest or None

  def take(self, n: int) -> bytes:
    while len(self.data) - self.pos < n and self._fill():
      pass
    out = self.data[self.pos:self.pos + n]
    self.pos += len(out)
    return out


def _read_binary(f, path: str, rows: _Rows) -> int:
  buf = _Buffer(f)
  head = buf.until(b'\n')
  if not head:
    return 0
  try:
    count, dim = _header(head.decode('utf-8'), path, 'word2vec-binary')
  except UnicodeDecodeError:
    raise FileFormatError(path, 1, 'not a word2vec binary header') from None
  rows.dim = dim
  words, vectors, where = [], [], []
  for record in range(1, count + 1):
    word = buf.until(b' ')
    if word is None:
      break  # the count check in load() reports the short file
    vector = buf.take(4 * dim)
    if len(vector) < 4 * dim:
      raise FileFormatError(path, record + 1, f'the file ends inside the '
                            f'vector of word {record} (a short file)')
    if all(b in _TEXT_BYTES for b in vector):
      raise FileFormatError(
          path, record + 1, 'the vector bytes are text: is it word2vec text? '
          'pass --vectors-format word2vec-text')
    try:
      words.append(word.lstrip(b'\n').decode('utf-8'))
    except UnicodeDecodeError:
      raise FileFormatError(path, record + 1,
                            f'word {record} is not UTF-8') from None
    vectors.append(vector)
    where.append(record + 1)
    if len(words) == _BLOCK_ROWS:  # parsed and checked a block at a time
      rows.add(words, np.frombuffer(b''.join(vectors), '<f4').reshape(
          -1, dim), where)
      words, vectors, where = [], [], []
      if rows.full():
        return count
  if words:
    rows.add(words, np.frombuffer(b''.join(vectors), '<f4').reshape(-1, dim),
             where)
  return count


def load(path: str, fmt: str, limit: Optional[int] = None):
  """The vectors of a file as gensim KeyedVectors, at most ``limit`` of
  them (the first ones: such files list frequent words first). Lines of a
  binary file are its records, the header being line 1."""
  from gensim.models import KeyedVectors  # pylint: disable=g-import-not-at-top
  if fmt not in VECTOR_FORMATS:
    raise ValueError(f'unknown vector format {fmt!r}; choose from '
                     f'{VECTOR_FORMATS}')
  rows = _Rows(path, limit)
  try:
    with _open(path) as f:
      if fmt == 'word2vec-binary':
        count = _read_binary(f, path, rows)
      else:
        count = _read_text(f, path, fmt, rows)
  except (OSError, EOFError) as e:  # e.g. a truncated .gz
    raise FileFormatError(path, None, f'cannot read it: {e}') from None
  if not rows.words:
    raise FileFormatError(path, None, 'holds no vectors (an empty file?)')
  expected = count if limit is None or count is None else min(count, limit)
  if expected is not None and len(rows.words) + rows.duplicates < expected:
    raise FileFormatError(
        path, None, f'the header announces {count} words but the file holds '
        f'{len(rows.words) + rows.duplicates} (a short file?)')
  if rows.duplicates:
    logging.warning('%s: %d words appear more than once; the first vector '
                    'of each is kept', path, rows.duplicates)
  vectors = KeyedVectors(rows.dim)
  vectors.add_vectors(rows.words, np.concatenate(rows.vectors))
  vectors.duplicates = rows.duplicates
  return vectors
