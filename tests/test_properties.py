"""Property-based tests (hypothesis): the CoNLL parser and the tag-scheme
conversions over generated inputs, and the in-graph tokeniser's offsets
over arbitrary Unicode text."""

import string
import unicodedata

import tensorflow as tf
from hypothesis import given, settings, strategies as st

from models import conll
from serving import text as text_lib

TYPES = ['PER', 'LOC', 'ORG', 'MISC', 'PRODUCT']
# Tokens: any characters but the column separators (space, tab) and line
# ends (\n, \r), so U+00A0, U+0085 and U+2028 too, which str.split() or
# str.splitlines() would cut at; not only invisible ones (an error).
TOKEN = st.text(st.characters(blacklist_categories=('Cs',),
                              blacklist_characters=' \t\n\r'),
                min_size=1, max_size=8).filter(
                    lambda t: t != conll.DOCSTART and not all(
                        unicodedata.category(c) in ('Cc', 'Cf') for c in t))


@st.composite
def iob2_tags(draw, n):
  tags, inside = [], None
  for _ in range(n):
    choice = draw(st.sampled_from(['O', 'B', 'I']))
    if choice == 'I' and inside:
      tags.append('I-' + inside)
    elif choice == 'O':
      tags.append('O')
      inside = None
    else:
      inside = draw(st.sampled_from(TYPES))
      tags.append('B-' + inside)
  return tags


@st.composite
def sentences(draw):
  n = draw(st.integers(1, 12))
  return conll.Sentence(tokens=draw(st.lists(TOKEN, min_size=n, max_size=n)),
                        tags=draw(iob2_tags(n)))


def to_bioes(tags):
  out = []
  for i, tag in enumerate(tags):
    nxt = tags[i + 1] if i + 1 < len(tags) else 'O'
    ends = not nxt.startswith('I-')
    if tag.startswith('B-'):
      out.append(('S-' if ends else 'B-') + tag[2:])
    elif tag.startswith('I-'):
      out.append(('E-' if ends else 'I-') + tag[2:])
    else:
      out.append(tag)
  return out


def to_iob1(tags):
  """B- only where an entity follows one of its own type."""
  out, prev = [], 'O'
  for tag in tags:
    if tag.startswith('B-') and prev[2:] != tag[2:]:
      out.append('I-' + tag[2:])
    else:
      out.append(tag)
    prev = tag
  return out


@settings(max_examples=150, deadline=None)
@given(st.lists(sentences(), min_size=1, max_size=5))
def test_written_sentences_parse_back_unchanged(written):
  text = conll.format_sentences(written)
  parsed = list(conll.parse_lines(conll.split_lines(text)))
  assert [(s.tokens, s.tags) for s in parsed] == [
      (s.tokens, s.tags) for s in written]


@settings(max_examples=150, deadline=None)
@given(st.lists(sentences(), min_size=1, max_size=3))
def test_every_scheme_converts_to_the_same_iob2(written):
  for s in written:
    assert conll.to_iob2(s.tags) == s.tags
    assert conll.to_iob2(to_bioes(s.tags), 'bioes') == s.tags
    assert conll.to_iob2(to_iob1(s.tags), 'iob1') == s.tags
    assert conll.to_iob2(conll.to_iob2(to_iob1(s.tags))) == s.tags


LINE = st.text(st.sampled_from(string.printable + 'éß\u00a0\u0085\u200b\u2028'
                               'ÿ'), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=8), st.sampled_from(conll.TAG_SCHEMES))
def test_any_lines_parse_or_fail_with_the_projects_error(lines, scheme):
  try:
    for sentence in conll.parse_lines(lines, 'f.conll', scheme):
      assert len(sentence.tokens) == len(sentence.tags) > 0
      assert all(t.startswith(('B-', 'I-')) or t == 'O'
                 for t in sentence.tags)
  except conll.ConllFormatError as e:
    assert str(e).startswith('f.conll:')


@settings(max_examples=120, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=('Cs',)),
                        max_size=60), min_size=1, max_size=4))
def test_token_offsets_slice_the_input_to_the_token(texts):
  tokens, starts, ends = text_lib.tokenize(tf.constant(texts))
  for text, row, first, last in zip(texts, tokens.to_list(), starts.to_list(),
                                    ends.to_list()):
    previous_end = 0
    for token, start, end in zip(row, first, last):
      assert text[start:end] == token.decode('utf-8')
      assert previous_end <= start < end
      previous_end = end
