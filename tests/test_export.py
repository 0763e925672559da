"""The serving signatures (models/export.py) on a small untrained ensemble
(small_model.py); test_pipeline.py checks them on a trained model."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import small_model
from models import export, features

@pytest.fixture(scope='module')
def module():
  return small_model.module()


def _decode(x):
  return x.decode() if isinstance(x, bytes) else x


def _rows(out):
  """Per input row: its tokens and entities as dicts, padding dropped."""
  out = {k: v.numpy().tolist() for k, v in out.items()}
  rows = []
  for i in range(len(out['tokens'])):
    n = sum(1 for t in out['tokens'][i] if t)
    m = sum(1 for t in out['entity_type'][i] if t)
    rows.append({
        'tokens': [{k: _decode(out[k][i][j]) for k in
                    ('tokens', 'tags', 'scores', 'token_start', 'token_end')}
                   for j in range(n)],
        'entities': [{k: _decode(out[k][i][j]) for k in
                      ('entity_type', 'entity_text', 'entity_start',
                       'entity_end', 'entity_score')} for j in range(m)]})
    # Padding: '' for strings, -1 for offsets, 0 for scores.
    assert set(out['tags'][i][n:]) <= {b''} and set(out['scores'][i][n:]) <= {0}
    assert set(out['token_start'][i][n:]) <= {-1}
    assert set(out['entity_end'][i][m:]) <= {-1}
    assert set(out['entity_score'][i][m:]) <= {0}
  return rows


def test_tag_text_offsets_entities_and_scores_agree(module):
  texts = ['Peter Blackburn visited Paris and Acme Corp. on Monday.',
           'U.S. stocks fell 5.3% (Reuters).', '', '  \t ']
  rows = _rows(module.tag_text(tf.constant(texts)))
  assert [len(r['tokens']) for r in rows[2:]] == [0, 0]
  for text, row in zip(texts, rows):
    tokens = row['tokens']
    for t in tokens:
      assert text[t['token_start']:t['token_end']] == t['tokens']
      assert 0 < t['scores'] <= 1
    # Entities are the B-/I- runs of the tags, with their text and offsets.
    runs = []
    for j, t in enumerate(tokens):
      if t['tags'].startswith('B-'):
        runs.append([t['tags'][2:], j, j])
      elif t['tags'].startswith('I-'):
        assert runs and runs[-1][0] == t['tags'][2:] and runs[-1][2] == j - 1
        runs[-1][2] = j
    assert [(e['entity_type'], e['entity_start'], e['entity_end'])
            for e in row['entities']] == [
                (kind, tokens[a]['token_start'], tokens[b]['token_end'])
                for kind, a, b in runs]
    for e, (_, a, b) in zip(row['entities'], runs):
      assert e['entity_text'] == text[e['entity_start']:e['entity_end']]
      # A whole span is no likelier than any one of its tags.
      assert 0 < e['entity_score'] <= min(
          t['scores'] for t in tokens[a:b + 1]) + 1e-6
  assert sum(len(r['entities']) for r in rows) > 0


def test_tag_tokens_and_tag_examples_agree_with_tag_text(module):
  text = 'Peter Blackburn visited Paris and Acme Corp. on Monday .'
  [row] = _rows(module.tag_text(tf.constant([text])))
  tokens = [t['tokens'] for t in row['tokens']]
  padded = tf.constant([tokens, tokens[:3] + [''] * (len(tokens) - 3)])
  out = module.tag_tokens(padded)
  tags = [[_decode(t) for t in r] for r in out['tags'].numpy().tolist()]
  assert tags[0] == [t['tags'] for t in row['tokens']]
  np.testing.assert_allclose(out['scores'].numpy()[0],
                             [t['scores'] for t in row['tokens']], rtol=1e-5)
  assert tags[1][3:] == ['O'] * (len(tokens) - 3)  # padding
  assert (out['scores'].numpy()[1][3:] == 0).all()
  example = tf.train.Example(features=tf.train.Features(feature={
      features.TOKENS: tf.train.Feature(bytes_list=tf.train.BytesList(
          value=[t.encode() for t in tokens]))}))
  raw = tf.train.Example(features=tf.train.Features(feature={
      features.TEXT: tf.train.Feature(bytes_list=tf.train.BytesList(
          value=[text.encode()]))}))
  from_examples = module.tag_examples(tf.constant(
      [example.SerializeToString(), raw.SerializeToString()]))
  for i in range(2):  # given tokens, then a raw text tokenised in the graph
    assert [_decode(t) for t in from_examples['tokens'].numpy()[i]] == tokens
    assert [_decode(t) for t in from_examples['tags'].numpy()[i]] == tags[0]


def test_sentences_of_a_long_text_are_tagged_as_alone(module):
  sentences = ['Peter Blackburn visited Paris .', 'Acme Corp. hired Mary .',
               'The U.S. team won 6-3 in Rome !']
  alone = [[(t['tokens'], t['tags']) for t in r['tokens']]
           for r in _rows(module.tag_text(tf.constant(sentences)))]
  long_text = ' '.join(sentences * 700)  # about 60,000 characters
  [row] = _rows(module.tag_text(tf.constant([long_text])))
  assert len(long_text) > 50000
  assert [(t['tokens'], t['tags']) for t in row['tokens']] == sum(
      alone, []) * 700
  assert all(long_text[t['token_start']:t['token_end']] == t['tokens']
             for t in row['tokens'])
  # One endless sentence is cut into pieces the tagger can take.
  [row] = _rows(module.tag_text(tf.constant(['word ' * 20000])))
  assert len(row['tokens']) == 20000


def test_invalid_utf8_is_refused(module):
  with pytest.raises(tf.errors.InvalidArgumentError):
    module.tag_text(tf.constant([b'caf\xe9']))


_LOAD = '''
import json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
out = model.signatures['serving_default'](text=tf.constant(['Peter went .']))
project = [m for m in sys.modules if m.split('.')[0] in
           ('models', 'serving', 'components', 'pipeline')]
print(json.dumps({'signatures': sorted(model.signatures),
                  'tokens': [t.decode() for t in out['tokens'].numpy()[0]],
                  'project_modules': project}))
'''


def test_saved_model_loads_with_tensorflow_alone(module, tmp_path):
  export.save(module, str(tmp_path / 'model'))
  result = subprocess.run([sys.executable, '-c', _LOAD, str(tmp_path / 'model')],
                          capture_output=True, text=True, check=True,
                          cwd=str(tmp_path))
  got = json.loads(result.stdout.strip().splitlines()[-1])
  assert got == {'signatures': ['serving_default', 'tag_examples', 'tag_text',
                                'tag_tokens'],
                 'tokens': ['Peter', 'went', '.'], 'project_modules': []}


def test_a_tf1_graph_loader_finds_every_weight(module, tmp_path):
  # TF Serving, saved_model_cli and BulkInferrer read the SavedModel as a
  # graph in a session, which finds only variables the module tracks itself.
  path = str(tmp_path / 'model')
  export.save(module, path)
  graph = tf.Graph()
  with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
    meta = tf.compat.v1.saved_model.loader.load(session, ['serve'], path)
    text = meta.signature_def['serving_default']
    got = session.run(text.outputs['tokens'].name,
                      {text.inputs['text'].name: ['Peter went .']})
    tokens = meta.signature_def['tag_tokens']
    tags = session.run(tokens.outputs['tags'].name,
                       {tokens.inputs['tokens'].name: [['Peter', 'went']]})
  assert got.tolist() == [[b'Peter', b'went', b'.']]
  assert tags.shape == (1, 2)


# Inputs a service meets: empty, blank, control characters, emoji (a ZWJ
# sequence too), a combining mark, right-to-left scripts, 100,000+
# characters.
HARD_TEXTS = ['', ' \t  ', 'Peter\x00went\x07 to\x1bParis .',
              'Tom \U0001F600 met \U0001F469\u200d\U0001F469\u200d\U0001F467 '
              'in K\u00f6ln .', 'Cafe\u0301 de Flore , Paris .',
              '\u05e9\u05dc\u05d5\u05dd Peter \u0645\u0631\u062d\u0628\u0627 .',
              'Peter went to Paris . ' * 4600]


def test_hard_texts_are_tagged_with_offsets_into_the_input(module):
  out = module.tag_text(tf.constant(HARD_TEXTS))
  assert len(HARD_TEXTS[-1]) > 100000
  for i, text in enumerate(HARD_TEXTS):
    tokens = [t.decode() for t in out['tokens'].numpy()[i] if t]
    starts = out['token_start'].numpy()[i][:len(tokens)]
    ends = out['token_end'].numpy()[i][:len(tokens)]
    assert [text[s:e] for s, e in zip(starts, ends)] == tokens
    for kind, start, end, span in zip(out['entity_type'].numpy()[i],
                                      out['entity_start'].numpy()[i],
                                      out['entity_end'].numpy()[i],
                                      out['entity_text'].numpy()[i]):
      if kind:
        assert text[start:end] == span.decode()
  assert not out['tokens'].numpy()[0].any() and not out['tokens'].numpy()[1].any()
  assert len([t for t in out['tokens'].numpy()[6] if t]) == 5 * 4600
