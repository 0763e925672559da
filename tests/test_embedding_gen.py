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
  rows = {'paris': [1, 0, 0], 'rome': [0.9, 0.1, 0], 'berlin': [0.8, 0, 0.2],
          'is': [0, 1, 0]}
  glove = _write_glove(tmp_path / 'glove.txt.gz', rows)
  unlabeled = tmp_path / 'text.txt'
  unlabeled.write_text('Paris is big .\n')
  config = EmbeddingConfig(source='pretrained', pretrained_paths=[glove],
                           pretrained_formats=['glove'],
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


def _write_glove(path, rows):
  with gzip.open(path, 'wt') as f:
    for word, vector in rows.items():
      f.write(word + ' ' + ' '.join(map(str, vector)) + '\n')
  return str(path)


def test_stacked_sources_sit_side_by_side_each_with_its_own_lookup(
    tmp_path, splits):
  # Word2Vec, then two vector files; a word one source lacks gets that
  # source's random small values in its part, and the others' vectors.
  first = _write_glove(tmp_path / 'a.txt.gz', {'paris': [1, 2],
                                                'berlin': [3, 4]})
  second = _write_glove(tmp_path / 'b.txt.gz', {'Paris': [5, 6, 7],
                                                 'far': [8, 9, 10]})
  unlabeled = tmp_path / 'text.txt'
  unlabeled.write_text('Paris is big and Rome is far .\n' * 20)
  config = EmbeddingConfig(source='stacked', unlabeled_paths=[str(unlabeled)],
                           dim=4, epochs=1, workers=1,
                           pretrained_paths=[first, second],
                           pretrained_formats=['glove'])
  out = str(tmp_path / 'embedding')
  stats = embedding_gen.build(config, *splits, out)
  assert [p['source'] for p in stats['parts']] == ['word2vec', first, second]
  assert [p['dim'] for p in stats['parts']] == [4, 2, 3]
  assert stats['dim'] == 9
  vocab = embedding_files.load_vocab(out)
  matrix = embedding_files.load_matrix(out)
  has_vector = embedding_files.load_has_vector(out)
  index = embeddings.vocab_index(vocab[2:])
  paris, berlin = (index[w] for w in ('paris', 'berlin'))
  # The training word 'paris' (the vocabulary is lower-cased) finds 'paris'
  # in the first file; the second has only 'Paris', which a lower-cased
  # word never looks for: small random values there.
  np.testing.assert_allclose(matrix[paris, 4:6], [1, 2])
  assert np.abs(matrix[paris, 6:9]).max() < 1
  # 'Paris' is a row of its own (a word of the second file), and the token
  # Paris reads it: the second file's vector, and the first's through the
  # lower-cased key of its chain.
  capital = embeddings.token_id('Paris', index)
  assert vocab[capital] == 'Paris'
  np.testing.assert_allclose(matrix[capital, 4:9], [1, 2, 5, 6, 7])
  np.testing.assert_allclose(matrix[berlin, 4:6], [3, 4])
  far = embeddings.token_id('far', index)
  np.testing.assert_allclose(matrix[far, 6:9], [8, 9, 10])
  assert has_vector[paris] and has_vector[berlin] and has_vector[far]
  assert not has_vector[embeddings.UNK_ID]
  assert stats['eval_oov_rate'] == 0.0  # berlin, is and far have rows now


def test_one_format_for_all_files_or_one_each():
  config = EmbeddingConfig(source='pretrained', pretrained_paths=['a', 'b'],
                           pretrained_formats=['glove'])
  assert config.vector_files() == [('a', 'glove'), ('b', 'glove')]
  config = EmbeddingConfig(source='pretrained', pretrained_paths=['a', 'b'],
                           pretrained_formats=['glove', 'word2vec-binary'])
  assert config.vector_files() == [('a', 'glove'), ('b', 'word2vec-binary')]
  with pytest.raises(ValueError, match='give one for all, or one each'):
    EmbeddingConfig(source='pretrained', pretrained_paths=['a', 'b', 'c'],
                    pretrained_formats=['glove', 'glove'])
  with pytest.raises(ValueError, match='needs --pretrained-vectors'):
    EmbeddingConfig(source='stacked')
  assert EmbeddingConfig(pretrained_paths=['a']).vector_files() == []


def test_word2vec_on_the_training_split_and_unlabelled_text(tmp_path,
                                                            splits):
  unlabeled = tmp_path / 'text.txt'
  unlabeled.write_text('Paris is big and Rome is far .\n' * 20)
  config = EmbeddingConfig(unlabeled_paths=[str(unlabeled)], dim=8, epochs=2,
                           workers=1)
  out = str(tmp_path / 'embedding')
  stats = embedding_gen.build(config, *splits, out)
  assert stats['source'] == 'word2vec' and stats['dim'] == 8
  assert stats['parts'] == [{
      'source': 'word2vec', 'dim': 8, 'vectors_known': stats['vectors_known'],
      'words_with_vectors': stats['words_with_vectors'],
      'unlabeled_invalid_lines': {}}]
  assert embedding_files.load_matrix(out).shape == (stats['rows'], 8)
