import os

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

from models import conll, embedding_files, embeddings, features, preprocessing

VOCAB = ['<PAD>', '<UNK>', 'Paris', 'paris', 'london', '00', 'the']


def _run(tmp_path, sentences):
  uri = str(tmp_path / 'embedding')
  embedding_files.write(uri, VOCAB, np.zeros((len(VOCAB), 2), np.float32), {})
  spec = {features.TOKENS: tf.io.VarLenFeature(tf.string),
          features.TAGS: tf.io.VarLenFeature(tf.string)}
  metadata = dataset_metadata.DatasetMetadata(
      schema_utils.schema_from_feature_spec(spec))
  data = [{features.TOKENS: [t.encode() for t in toks],
           features.TAGS: [t.encode() for t in tags]}
          for toks, tags in sentences]

  def fn(inputs):
    return preprocessing.preprocessing_fn(
        inputs, {embedding_files.URI_KEY: uri})

  with tft_beam.Context(temp_dir=str(tmp_path / 'tft')):
    (out, _), transform_fn = ((data, metadata)
                              | tft_beam.AnalyzeAndTransformDataset(fn))
    _ = transform_fn | tft_beam.WriteTransformFn(str(tmp_path / 'graph'))
  return out, tft.TFTransformOutput(str(tmp_path / 'graph'))


def test_token_ids_follow_the_lookup_chain_and_match_python(tmp_path):
  tokens = ['Paris', 'PARIS', 'London', '12', 'The', 'Berlin', 'paris']
  out, _ = _run(tmp_path, [(tokens, ['B-LOC'] * 3 + ['O'] * 4)])
  ids = list(out[0][features.TOKEN_IDS])
  assert ids == [2, 3, 4, 5, 6, embeddings.UNK_ID, 3]
  index = embeddings.vocab_index(VOCAB[2:])
  assert ids == [embeddings.token_id(t, index) for t in tokens]


def test_tag_vocabulary_and_casing(tmp_path):
  out, tft_output = _run(tmp_path, [
      (['John', 'lives', 'in', 'USA', '3.5', 'x1', 'iPhone', ','],
       ['B-PER', 'O', 'O', 'B-LOC', 'O', 'O', 'O', 'O'])])
  names = [t.decode() for t in tft_output.vocabulary_by_name(
      features.TAG_VOCAB)]
  assert names[0] == 'O' and sorted(names) == ['O', 'S-LOC', 'S-PER']
  assert [names[i] for i in out[0][features.TAG_IDS]] == [
      'S-PER', 'O', 'O', 'S-LOC', 'O', 'O', 'O', 'O']
  classes = [preprocessing.CASING_CLASSES[i] for i in out[0][features.CASING]]
  assert classes == ['title', 'lower', 'lower', 'upper', 'numeric',
                     'has_digit', 'mixed', 'other']


def test_tags_become_bioes_within_each_sentence(tmp_path):
  sentences = [
      (['a'] * 7, ['B-PER', 'I-PER', 'I-PER', 'B-LOC', 'B-LOC', 'I-LOC', 'O']),
      (['a'] * 3, ['B-ORG', 'I-ORG', 'B-MISC']),
      (['a'] * 2, ['I-ORG', 'O']),  # does not continue the previous sentence
  ]
  out, tft_output = _run(tmp_path, sentences)
  names = [t.decode() for t in tft_output.vocabulary_by_name(
      features.TAG_VOCAB)]
  bioes = [[names[i] for i in row[features.TAG_IDS]] for row in out]
  assert bioes == [
      ['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'B-LOC', 'E-LOC', 'O'],
      ['B-ORG', 'E-ORG', 'S-MISC'],
      ['E-ORG', 'O']]
  assert [conll.to_iob2(b) for b in bioes[:2]] == [s[1] for s in sentences[:2]]


def test_char_ids_fixed_slots_per_token(tmp_path):
  out, tft_output = _run(tmp_path, [(['ab', 'b', 'a' * 30], ['O'] * 3)])
  chars = [c.decode() for c in tft_output.vocabulary_by_name(
      features.CHAR_VOCAB)]
  ids = np.array(out[0][features.CHAR_IDS]).reshape(
      3, preprocessing.MAX_WORD_CHARS)
  a, b = chars.index('a') + 1, chars.index('b') + 1
  assert ids[0, :3].tolist() == [a, b, 0] and not ids[0, 2:].any()
  assert ids[1, :2].tolist() == [b, 0]
  assert ids[2].tolist() == [a] * preprocessing.MAX_WORD_CHARS  # truncated


def test_vocabulary_becomes_an_asset_of_the_transform_graph(tmp_path):
  _, tft_output = _run(tmp_path, [(['a'], ['O'])])
  assets = os.listdir(os.path.join(tft_output.transform_savedmodel_dir,
                                   'assets'))
  assert embedding_files.VOCAB_FILE in assets
