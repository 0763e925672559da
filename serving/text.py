"""Raw text to CoNLL-2003 tokens with character offsets, in the TensorFlow
graph (core ops only, so a stock TF Serving binary runs it), and the pieces
and entity spans the served signatures are built from.

Offsets count Unicode code points, as Python's ``str`` indexes do:
``text[start:end] == token``. Tokenisation inserts a marker character between
tokens with regular expressions (RE2) and never changes or removes a
character, so a position in the marked text minus the markers before it is a
position in the input. Control and zero-width characters read as spaces
(one code point for one), so they never become or split into empty tokens.
"""

import tensorflow as tf

_MARK = '\x01'
# One code point for one: control characters and zero-width spaces become
# spaces; _MARK is among them, so the input never holds a marker of its own.
_BLANKS = r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{200b}-\x{200d}\x{2060}\x{feff}]'
_SPACE = r'[\s\p{Z}]'
_NOT = r"n't|N'T"
_CLITIC = r"'(?:s|S|re|RE|ve|VE|ll|LL|d|D|m|M)"
# Markers inside words: do|n't, Clinton|'s (not O'Malley, o'clock).
_SPLIT_INSIDE = (
    (r"(\pL)(" + _NOT + ")", '\\1' + _MARK + '\\2'),
    (r"([\pL\pN])(" + _CLITIC + r")([^\pL\pN]|$)",
     '\\1' + _MARK + '\\2\\3'),
)
_ABBREVIATIONS = (
    'Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Lt|Sgt|Capt|Rev|Sen|Rep|Gov|Pres|'
    'Inc|Corp|Co|Ltd|Bros|Mt|Ft|Ave|vs|vol|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|'
    'Sep|Sept|Oct|Nov|Dec|Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|'
    'Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|Nev|Okla|Ore|Pa|Tenn|Tex|'
    'Va|Vt|Wash|Wis|Wyo')
# Leftmost-first alternation, most specific first: an ellipsis, a dash of
# hyphens, dotted abbreviations (U.S., a.m.), known abbreviations (Corp.),
# initials (M.), numbers with inner punctuation (1,000 5.3 1996-08-22 10:30
# 1/2), n't and clitics, words (with inner - & ' : first-half, S&P, O'Neill),
# then any other single character.
_TOKEN = ('|'.join((
    r'\.\.+', r'--+',
    r'(?:[A-Za-z]\.){2,}',
    r'(?:' + _ABBREVIATIONS + r')\.',
    r'[A-Z]\.',
    r'\pN+(?:[.,:/-]\pN+)+',
    _NOT, _CLITIC,
    r"[\pL\pN_][\pL\pN\pM_]*(?:[-&'][\pL\pN][\pL\pN\pM_]*)*",
    r'[^\s\p{Z}\x01]',
)))
SENTENCE_ENDS = ('.', '!', '?')


def _shift(flat, row_starts, value, forward):
  """``flat`` moved one place along each row (``value`` where it falls off):
  forward=True gives each element its predecessor's value."""
  fill = tf.fill([1], value)
  if forward:
    moved = tf.concat([fill, flat[:-1]], axis=0)
    return tf.where(row_starts, value, moved)
  moved = tf.concat([flat[1:], fill], axis=0)
  row_ends = tf.concat([row_starts[1:], [True]], axis=0)
  return tf.where(row_ends, value, moved)


def _row_starts(ragged):
  """bool per value of ``ragged``: the first value of its row."""
  positions = tf.range(tf.shape(ragged.flat_values, out_type=tf.int64)[0])
  return tf.equal(positions, tf.gather(ragged.row_splits,
                                       ragged.value_rowids()))


def tokenize(text):
  """Tokens of each string [batch], as three ragged tensors [batch, (n)]:
  tokens (str), start and end (int64 code-point offsets into the input).
  Invalid UTF-8 raises InvalidArgumentError."""
  text = tf.convert_to_tensor(text, tf.string)
  chars = tf.strings.unicode_split(text, 'UTF-8', errors='strict')
  marked = tf.strings.regex_replace(text, _BLANKS, ' ')
  for pattern, rewrite in _SPLIT_INSIDE:
    marked = tf.strings.regex_replace(marked, pattern, rewrite)
  marked = tf.strings.regex_replace(marked, _TOKEN, _MARK + '\\0' + _MARK)
  marked = tf.strings.unicode_split(marked, 'UTF-8')
  flat = marked.flat_values
  is_mark = tf.equal(flat, _MARK)
  in_token = ~is_mark & ~tf.strings.regex_full_match(flat, _SPACE)
  starts_row = _row_starts(marked)
  row_ids = marked.value_rowids()
  # Position in the input: characters before this one, markers excluded.
  counted = tf.cumsum(tf.cast(~is_mark, tf.int64))
  position = counted - tf.gather(
      tf.concat([[0], counted], axis=0)[:-1],
      tf.gather(marked.row_splits, row_ids)) - 1
  first = in_token & ~_shift(in_token, starts_row, False, forward=True)
  last = in_token & ~_shift(in_token, starts_row, False, forward=False)
  nrows = marked.nrows()
  start = tf.RaggedTensor.from_value_rowids(
      tf.boolean_mask(position, first), tf.boolean_mask(row_ids, first),
      nrows=nrows)
  end = tf.RaggedTensor.from_value_rowids(
      tf.boolean_mask(position, last) + 1, tf.boolean_mask(row_ids, last),
      nrows=nrows)
  return span_text(chars, start, end), start, end


def span_text(chars, start, end):
  """The text of each span [batch, (n)] of ``chars`` [batch, (characters)],
  spans sorted and disjoint within a row; spaces inside a span are kept."""
  row_offsets = chars.row_splits[:-1]
  starts = start.flat_values + tf.gather(row_offsets, start.value_rowids())
  ends = end.flat_values + tf.gather(row_offsets, end.value_rowids())
  count = tf.shape(starts, out_type=tf.int64)[0]
  positions = tf.range(tf.shape(chars.flat_values, out_type=tf.int64)[0])
  span = tf.searchsorted(starts, positions, side='right',
                         out_type=tf.int64) - 1
  # A spare end after the last, so that the gather has something to read
  # when there are no spans.
  span_end = tf.gather(tf.concat([ends, [0]], axis=0), tf.maximum(span, 0))
  inside = (span >= 0) & (positions < span_end)
  joined = tf.strings.unsorted_segment_join(
      chars.flat_values, tf.where(inside, span, count), count + 1)[:-1]
  return start.with_flat_values(joined)


def pieces(tokens, max_tokens):
  """Row ids [total tokens] of pieces the tagger can take: a piece ends after
  a sentence-final token (. ! ?) and holds at most ``max_tokens``. Pieces
  never span two input rows; they follow the flat token order."""
  flat = tokens.flat_values
  starts_row = _row_starts(tokens)
  ended = _shift(tf.reduce_any(tf.equal(flat[:, None], SENTENCE_ENDS),
                               axis=1), starts_row, True, forward=True)
  sentence = tf.cumsum(tf.cast(ended, tf.int64)) - 1
  index = tf.range(tf.shape(flat, out_type=tf.int64)[0])
  first = tf.math.unsorted_segment_min(
      index, sentence, tf.maximum(tf.reduce_max(sentence) + 1, 0))
  within = index - tf.gather(first, sentence)
  new_piece = tf.equal(within % max_tokens, 0)
  return tf.cumsum(tf.cast(new_piece, tf.int64)) - 1


def entity_spans(tags):
  """Entities in IOB2 tags [rows, length] (each opens with B-X): flat
  tensors of (row, first token, last token, type), in row-major order."""
  width = tf.shape(tags, out_type=tf.int64)[1]
  flat = tf.reshape(tags, [-1])
  opens = tf.strings.regex_full_match(flat, 'B-.*')
  inside = tf.not_equal(flat, 'O') & tf.not_equal(flat, '')
  entity = tf.cumsum(tf.cast(opens, tf.int64)) - 1
  count = tf.reduce_sum(tf.cast(opens, tf.int64))
  index = tf.range(tf.shape(flat, out_type=tf.int64)[0])
  keep = inside & (entity >= 0)
  first = tf.math.unsorted_segment_min(
      tf.boolean_mask(index, keep), tf.boolean_mask(entity, keep), count)
  last = tf.math.unsorted_segment_max(
      tf.boolean_mask(index, keep), tf.boolean_mask(entity, keep), count)
  kind = tf.strings.substr(tf.gather(flat, first), 2, -1)
  return first // width, first % width, last % width, kind
