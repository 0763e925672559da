"""CoNLL reading and tag-scheme normalisation.

Everything downstream speaks IOB2 (``B-X`` opens every entity), because that is
what the served model returns. Input may be IOB1 (CoNLL-2003), IOB2 or BIOES;
parsing is strict and every error names the file and line so that a user can
fix a bad corpus without guessing.
"""

import dataclasses
import re
import unicodedata
from typing import Iterable, Iterator, List, Optional, Sequence

import tensorflow as tf

from models.config import MAX_SENTENCE_TOKENS, TAG_SCHEMES
from models.file_errors import FileFormatError

DOCSTART = '-DOCSTART-'
_TAG_RE = re.compile(r'^(?:O|([BIESLU])-(\S+))$')
# Columns are separated by spaces and tabs only: str.split() would also cut
# at U+00A0, U+0085 and other Unicode spaces that may sit inside a token.
_COLUMNS = re.compile(r'[ \t]+')
# Lines end at \n, \r\n or \r only (str.splitlines() also ends them at
# U+0085, which is byte 0x85 of a Latin-1 file, and at U+2028 and others).
_LINES = re.compile(r'\r\n|\r|\n')


class ConllFormatError(FileFormatError):
  """Malformed CoNLL input; the message names file, line and problem."""


@dataclasses.dataclass
class Sentence:
  tokens: List[str]
  tags: List[str]
  pos: Optional[List[str]] = None
  chunk: Optional[List[str]] = None
  line: int = 0  # 1-based line of the first token, for error messages


def _invisible(char: str) -> bool:
  """Control characters, and format characters such as zero-width spaces
  and marks: nothing a reader sees."""
  return unicodedata.category(char) in ('Cc', 'Cf')


def _check_token(token: str, path: str, line: int) -> None:
  if all(map(_invisible, token)):
    raise ConllFormatError(
        path, line, f'the token {token!r} holds only control or zero-width '
        'characters, which leaves it empty; remove the line or fix its token')


def _check_tag(tag: str, path: str, line: int) -> None:
  if not _TAG_RE.match(tag):
    raise ConllFormatError(
        path, line, f'invalid NER tag {tag!r} (expected O or PREFIX-TYPE with '
        'PREFIX one of B, I, E, S)')


def to_iob2(tags: Sequence[str], scheme: str = 'auto') -> List[str]:
  """Converts one sentence's tags from IOB1, IOB2 or BIOES to IOB2.

  IOB1 and IOB2 need the same rewrite (an ``I-X`` that does not continue an X
  entity opens one), so 'auto' only has to tell BIOES apart, which it does by
  its ``E-``/``S-`` (or BILOU ``L-``/``U-``) prefixes.
  """
  if scheme not in TAG_SCHEMES:
    raise ValueError(f'unknown tag scheme {scheme!r}; choose from '
                     f'{TAG_SCHEMES}')
  out = []
  prev_type = None  # type of the entity the previous token belongs to
  for tag in tags:
    if tag == 'O':
      out.append('O')
      prev_type = None
      continue
    prefix, etype = tag[0], tag[2:]
    if prefix in 'SU' or prefix == 'B':
      out.append('B-' + etype)
    elif prefix in 'IEL':
      out.append(('I-' if prev_type == etype else 'B-') + etype)
    else:
      raise ValueError(f'invalid tag {tag!r}')
    prev_type = etype
  return out


def parse_lines(lines: Iterable[str], path: str = '<input>',
                scheme: str = 'auto') -> Iterator[Sentence]:
  """Yields sentences from CoNLL lines (token first, NER tag last).

  Accepts 2 to 4+ columns separated by spaces or tabs. With 3 columns the
  middle one is POS; with 4 or more, the 2nd and 3rd are POS and chunk. All
  non-blank lines of a file must have the same number of columns.
  """
  ncols = None
  tokens, tags, pos, chunk = [], [], [], []
  start = 0

  def flush():
    sentence = Sentence(
        tokens=list(tokens), tags=to_iob2(tags, scheme),
        pos=list(pos) if ncols and ncols >= 3 else None,
        chunk=list(chunk) if ncols and ncols >= 4 else None, line=start)
    tokens.clear(), tags.clear(), pos.clear(), chunk.clear()
    return sentence

  lineno = 0
  for lineno, raw in enumerate(lines, start=1):
    line = raw.strip(' \t\r\n')
    if not line:
      if tokens:
        yield flush()
      continue
    cols = _COLUMNS.split(line)
    if cols[0] == DOCSTART:
      if tokens:
        yield flush()
      continue
    if len(cols) < 2:
      raise ConllFormatError(
          path, lineno,
          f'expected at least 2 columns (token ... tag), found {len(cols)}: '
          f'{line!r}')
    if ncols is None:
      ncols = len(cols)
    elif len(cols) != ncols:
      raise ConllFormatError(
          path, lineno, f'expected {ncols} columns like the lines before, found '
          f'{len(cols)}: {line!r}')
    _check_token(cols[0], path, lineno)
    _check_tag(cols[-1], path, lineno)
    if scheme in ('iob1', 'iob2') and cols[-1][0] in 'ESLU':
      raise ConllFormatError(
          path, lineno, f'tag {cols[-1]!r} is not valid in scheme {scheme}')
    if not tokens:
      start = lineno
    tokens.append(cols[0])
    tags.append(cols[-1])
    if ncols >= 3:
      pos.append(cols[1])
    if ncols >= 4:
      chunk.append(cols[2])
  if tokens:
    yield flush()


def read_bytes(path: str) -> bytes:
  """A whole file from any filesystem tf.io.gfile knows (local, gs://); a
  directory, a missing or an unreadable path is a ConllFormatError."""
  try:
    if tf.io.gfile.isdir(path):
      raise ConllFormatError(path, None, 'is a directory; give a file')
    with tf.io.gfile.GFile(path, 'rb') as f:
      return f.read()
  except tf.errors.NotFoundError:
    raise ConllFormatError(path, None, 'no such file') from None
  except (tf.errors.PermissionDeniedError, tf.errors.OpError) as e:
    raise ConllFormatError(path, None,
                           f'cannot read it: {e.message}') from None


def split_lines(text: str) -> List[str]:
  """Lines of a text ending at \n, \r\n or \r (and nothing else); a final
  line ending does not start an empty line."""
  lines = _LINES.split(text)
  return lines[:-1] if lines and not lines[-1] else lines


def decode(data: bytes, encoding: str, path: str) -> str:
  """Text from bytes, without a byte-order mark; an invalid byte is a
  ConllFormatError naming its line."""
  try:
    text = data.decode(encoding)
  except UnicodeDecodeError as e:
    before = data[:e.start].decode(encoding, 'replace')
    line = len(_LINES.findall(before)) + 1
    raise ConllFormatError(
        path, line, f'cannot decode as {encoding} (byte {data[e.start]:#x}); '
        'pass the right encoding with --encoding, e.g. latin-1') from None
  return text[1:] if text.startswith('\ufeff') else text


def read_lines(path: str, encoding: str = 'utf-8') -> List[str]:
  """A text file's lines (``read_bytes``, ``decode``, ``split_lines``)."""
  return split_lines(decode(read_bytes(path), encoding, path))


def looks_like_conll(lines: Iterable[str], sample: int = 200) -> bool:
  """Whether text lines are CoNLL (every non-blank line of the first
  ``sample`` has 2+ columns ending in a tag, or is -DOCSTART-) rather than
  raw text, one text per line."""
  seen = 0
  for line in lines:
    cols = line.split()
    if not cols or cols[0] == DOCSTART:
      continue
    if len(cols) < 2 or not _TAG_RE.match(cols[-1]):
      return False
    seen += 1
    if seen == sample:
      break
  return seen > 0


def read_file(path: str, encoding: str = 'utf-8',
              scheme: str = 'auto') -> Iterator[Sentence]:
  """Parses a CoNLL file (``read_lines``, then ``parse_lines``); a file
  without a sentence is a ConllFormatError."""
  empty = True
  for sentence in parse_lines(read_lines(path, encoding), path=path,
                              scheme=scheme):
    empty = False
    yield sentence
  if empty:
    raise ConllFormatError(path, None, 'holds no sentence (token and tag '
                           'lines); is it the right file?')


def split_long(sentence: Sentence,
               max_tokens: int = MAX_SENTENCE_TOKENS) -> List[Sentence]:
  """A sentence cut into parts of at most ``max_tokens`` tokens, each cut
  moved back before the entity it would fall into (IOB2 tags), so that no
  entity is split unless one is longer than ``max_tokens``."""
  parts, start, n = [], 0, len(sentence.tokens)
  while n - start > max_tokens:
    cut = start + max_tokens
    while cut > start + 1 and sentence.tags[cut].startswith('I-'):
      cut -= 1
    if sentence.tags[cut].startswith('I-') and cut == start + 1:
      cut = start + max_tokens  # one entity longer than a part
    parts.append((start, cut))
    start = cut
  parts.append((start, n))
  if len(parts) == 1:
    return [sentence]
  part = lambda values, a, b: None if values is None else values[a:b]
  return [Sentence(tokens=sentence.tokens[a:b],
                   tags=to_iob2(sentence.tags[a:b], 'iob2'),
                   pos=part(sentence.pos, a, b),
                   chunk=part(sentence.chunk, a, b),
                   line=sentence.line + a) for a, b in parts]


def format_sentences(sentences: Iterable[Sentence],
                     predicted: Optional[Sequence[Sequence[str]]] = None
                     ) -> str:
  """Writes sentences back as CoNLL text (inverse of parse_lines). With
  ``predicted``, each token's predicted tag follows its tag: the layout
  conlleval scores."""
  blocks = []
  for n, s in enumerate(sentences):
    rows = []
    for i, (tok, tag) in enumerate(zip(s.tokens, s.tags)):
      cols = [tok]
      if s.pos is not None:
        cols.append(s.pos[i])
      if s.chunk is not None:
        cols.append(s.chunk[i])
      cols.append(tag)
      if predicted is not None:
        cols.append(predicted[n][i])
      rows.append(' '.join(cols))
    blocks.append('\n'.join(rows))
  return '\n\n'.join(blocks) + '\n'
