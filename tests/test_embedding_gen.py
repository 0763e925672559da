"""EmbeddingGen's executor logic (``build``) for each source of vectors, on
split folders laid out as ConllExampleGen writes them."""

import gzip
import os

import numpy as np
import pytest
import tensorflow as tf

from components import embedding_gen
from models import conll, embedding_files, embeddings, features
from models.config import EmbeddingConfig

TRAIN = [(['Paris', 'is', 'big'], ['B-LOC', 'O', 'O']),
         (['Ann', 'saw', 'Rome'], ['B-PER', 'O', 'B-LOC'])]
EVAL = [(['Berlin', 'is', 'far'], ['B-LOC', 'O', 'O'])]


def _split(folder, sentences):
  os.makedirs(folder)
  with tf.io.TFRecordWriter(os.path.join(folder, 'data.gz'),
                            options='GZIP') as writer:
    for tokens, tags in sentences:
      writer.write(features.to_example(conll.Sentence(
          tokens, tags)).SerializeToString())
  return str(folder)


@pytest.fixture
def splits(tmp_path):
  return (_split(tmp_path / 'Split-train', TRAIN),
          _split(tmp_path / 'Split-eval', EVAL))


def test_pretrained_glove_vectors_with_unlabelled_text_given_too(
    tmp_path, splits):
  # The documented command gives --unlabeled and --pretrained-vectors.
  glove = tmp_path / 'glove.txt.gz'
  rows = {'paris': [1, 0, 0], 'rome': [0.9, 0.1, 0], 'berlin': [0.8, 0, 0.2],
          'is': [0, 1, 0]}
  with gzip.open(glove, 'wt') as f:
    for word, vector in rows.items():
      f.write(word + ' ' + ' '.join(map(str, vector)) + '\n')
  unlabeled = tmp_path / 'text.txt'
  unlabeled.write_text('Paris is big .\n')
  config = EmbeddingConfig(source='pretrained', pretrained_path=str(glove),
                           pretrained_format='glove',
                           unlabeled_paths=[str(unlabeled)])
  out = str(tmp_path / 'embedding')
  stats = embedding_gen.build(config, *splits, out)
  assert stats['source'] == 'pretrained' and stats['dim'] == 3
  assert stats['vectors_known'] == 4
  vocab = embedding_files.load_vocab(out)
  matrix = embedding_files.load_matrix(out)
  index = embeddings.vocab_index(vocab[2:])
  # Training words (lower-cased by default) first, then the vectors' other
  # words; a capitalised token finds its row through the lookup chain.
  assert vocab[:2] == [embeddings.PAD, embeddings.UNK]
  assert sorted(vocab[2:8]) == ['ann', 'big', 'is', 'paris', 'rome', 'saw']
  assert 'berlin' in vocab
  np.testing.assert_allclose(matrix[embeddings.token_id('Paris', index)],
                             rows['paris'])
  np.testing.assert_allclose(matrix[embeddings.token_id('Berlin', index)],
                             rows['berlin'])
  assert stats['eval_oov_rate'] == pytest.approx(1 / 3)  # 'far'


def test_word2vec_on_the_training_split_and_unlabelled_text(tmp_path,
                                                            splits):
  unlabeled = tmp_path / 'text.txt'
  unlabeled.write_text('Paris is big and Rome is far .\n' * 20)
  config = EmbeddingConfig(unlabeled_paths=[str(unlabeled)], dim=8, epochs=2,
                           workers=1)
  out = str(tmp_path / 'embedding')
  stats = embedding_gen.build(config, *splits, out)
  assert stats['source'] == 'word2vec' and stats['dim'] == 8
  assert stats['unlabeled_invalid_lines'] == {}
  assert embedding_files.load_matrix(out).shape == (stats['rows'], 8)
