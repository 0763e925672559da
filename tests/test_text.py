"""The in-graph tokeniser, pieces and entity spans (serving/text.py)."""

import random

import pytest
import tensorflow as tf

from serving import text


def _tokenize(strings):
  tokens, start, end = text.tokenize(tf.constant(strings))
  return [([t.decode() for t in row], s, e) for row, s, e in zip(
      tokens.to_list(), start.to_list(), end.to_list())]


@pytest.mark.parametrize('raw, want', [
    ('U.S. stocks fell 5.3% on Monday (Reuters).',
     ['U.S.', 'stocks', 'fell', '5.3', '%', 'on', 'Monday', '(', 'Reuters',
      ')', '.']),
    ("Clinton's aide didn't say -- he's at AT&T.",
     ['Clinton', "'s", 'aide', 'did', "n't", 'say', '--', 'he', "'s", 'at',
      'AT&T', '.']),
    ("O'Neill won 6-3 on 1996-08-22 at 10:30 a.m. ... 1,000 fans",
     ["O'Neill", 'won', '6-3', 'on', '1996-08-22', 'at', '10:30', 'a.m.',
      '...', '1,000', 'fans']),
    ('Mr. Smith of Acme Corp. met M. Jones in Calif. vs. the U.N.',
     ['Mr.', 'Smith', 'of', 'Acme', 'Corp.', 'met', 'M.', 'Jones', 'in',
      'Calif.', 'vs.', 'the', 'U.N.']),
    ('the first-half lead, 1/2 point; "yes"!',
     ['the', 'first-half', 'lead', ',', '1/2', 'point', ';', '"', 'yes',
      '"', '!']),
])
def test_conll_2003_conventions(raw, want):
  [(tokens, _, _)] = _tokenize([raw])
  assert tokens == want


def test_offsets_slice_the_input_in_code_points():
  strings = ['Zoë 🎉 visited São\u200bPaulo', 'مرحبا بك في Dubai',
             'e\u0301te\u0301 in Ko\u0308ln', 'a\x00b\tc\x01d\re\u00a0f']
  for raw, (tokens, start, end) in zip(strings, _tokenize(strings)):
    assert tokens and all(raw[s:e] == t for t, s, e in zip(tokens, start, end))
  # Zero-width and control characters separate tokens, never make one.
  assert _tokenize([strings[0]])[0][0] == ['Zoë', '🎉', 'visited', 'São',
                                           'Paulo']
  assert _tokenize([strings[3]])[0][0] == list('abcdef')
  # Combining marks stay inside their word.
  assert _tokenize([strings[2]])[0][0] == ['e\u0301te\u0301', 'in',
                                           'Ko\u0308ln']


def test_empty_and_blank_strings_have_no_tokens():
  assert _tokenize(['', '   \n\t', '\u200b']) == [([], [], [])] * 3


def test_invalid_utf8_is_an_error():
  with pytest.raises(tf.errors.InvalidArgumentError):
    text.tokenize(tf.constant([b'ok', b'bad \xff byte']))


def test_random_strings_keep_offsets_and_cover_every_visible_character():
  rng = random.Random(0)
  alphabet = ('abcXYZ019 .,;:-\'"()%$&/\t\n\u00e9\u0301\u4e2d\u0627'
              '\U0001f600\u200b\x00\x7f')
  strings = [''.join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
             for _ in range(300)]
  for raw, (tokens, start, end) in zip(strings, _tokenize(strings)):
    assert all(raw[s:e] == t and t for t, s, e in zip(tokens, start, end))
    assert all(e <= s for e, s in zip(end, start[1:]))  # in order, disjoint
    covered = {i for s, e in zip(start, end) for i in range(s, e)}
    visible = {i for i, c in enumerate(raw) if not (c.isspace() or c in
                                                    '\u200b\x00\x7f')}
    assert covered == visible


def test_a_100000_character_text_is_tokenized_whole():
  raw = 'Peter Blackburn visited Paris . ' * 3200
  [(tokens, start, end)] = _tokenize([raw])
  assert len(tokens) == 5 * 3200 and end[-1] == len(raw.rstrip())
  assert raw[start[-2]:end[-2]] == 'Paris'


def test_pieces_end_at_sentence_ends_and_at_the_length_cap():
  tokens = tf.ragged.constant([['a', '.', 'b', 'c', 'd', 'e', 'f', 'g'],
                               [], ['x', 'y']])
  assert text.pieces(tokens, 3).numpy().tolist() == [0, 0, 1, 1, 1, 2, 2, 2,
                                                     3, 3]
  assert text.pieces(tf.ragged.constant([[], []], tf.string), 3).shape == [0]


def test_entity_spans_read_iob2_rows():
  rows, first, last, kind = text.entity_spans(tf.constant(
      [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG', 'B-ORG', 'I-ORG', '']]))
  assert rows.numpy().tolist() == [0, 0, 1, 1]
  assert first.numpy().tolist() == [0, 3, 0, 1]
  assert last.numpy().tolist() == [1, 3, 0, 2]
  assert [k.decode() for k in kind.numpy()] == ['PER', 'LOC', 'ORG', 'ORG']


def test_span_text_keeps_the_spaces_inside_a_span():
  chars = tf.strings.unicode_split(['New  York is', 'a b'], 'UTF-8')
  got = text.span_text(chars, tf.ragged.constant([[0, 10], []], tf.int64),
                       tf.ragged.constant([[9, 12], []], tf.int64))
  assert got.to_list() == [[b'New  York', b'is'], []]
