import tempfile

import numpy as np
import pytest
from gensim.models import KeyedVectors

from models import embedding_files, embeddings as emb


def test_lookup_chain_as_written_lower_digits_then_unk():
  index = emb.vocab_index(['Paris', 'london', '00.0', 'x'])
  assert emb.token_id('Paris', index) == 2
  assert emb.token_id('LONDON', index) == 3
  assert emb.token_id('12.5', index) == 4
  assert emb.token_id('Berlin', index) == emb.UNK_ID
  assert emb.lookup_keys('Ab1') == ['Ab1', 'ab1', 'ab0']


def test_vocabulary_training_words_then_vector_words():
  counts = {'the': 5, 'Paris': 2, 'rare': 1}
  vocab = emb.build_vocabulary(counts, min_count=2,
                               vector_words=['the', 'Berlin', 'a b', 'Rome'],
                               max_size=4)
  assert vocab == ['the', 'Paris', 'Berlin', 'Rome']
  assert emb.build_vocabulary(counts, 1, ['x'], max_size=2) == ['the', 'Paris']


def _vectors(words, dim=4, seed=0):
  kv = KeyedVectors(dim)
  kv.add_vectors(words, np.random.default_rng(seed).normal(
      size=(len(words), dim)).astype(np.float32))
  return kv


def test_matrix_rows_padding_unk_and_lookup_fallbacks():
  kv = _vectors(['paris', 'the', '0'])
  matrix, has = emb.build_matrix(['Paris', 'the', '7', 'nowhere'], kv, 4)
  assert matrix.shape == (6, 4) and matrix.dtype == np.float32
  assert not matrix[emb.PAD_ID].any()
  assert 0 < np.abs(matrix[emb.UNK_ID]).max() < 1.0  # small random normal
  np.testing.assert_array_equal(matrix[2], kv['paris'])  # lower-cased
  np.testing.assert_array_equal(matrix[4], kv['0'])  # digits normalised
  assert has.tolist() == [False, False, True, True, True, False]
  with pytest.raises(ValueError, match='dimension'):
    emb.build_matrix(['x'], kv, 8)


def test_word2vec_learns_from_a_streamed_corpus(tmp_path):
  text = tmp_path / 'u.txt'
  text.write_text('\n'.join(['the cat sat on the mat .'] * 50 +
                            ['', 'dogs do n\'t fly .'] * 10))
  corpus = emb.ChainedCorpus([['the', 'cat']] * 5,
                             emb.TextCorpus([str(text)], max_len=4))
  assert all(len(s) <= 4 for s in corpus)
  kv = emb.train_word2vec(corpus, dim=8, min_count=1, epochs=2, workers=1)
  assert kv.vector_size == 8 and 'cat' in kv.key_to_index
  assert "n't" in kv.key_to_index


def test_word2vec_reads_its_corpus_once(tmp_path, monkeypatch):
  text = tmp_path / 'u.txt'
  text.write_text('\n'.join(['the cat sat on the mat .'] * 30))
  corpus = emb.TextCorpus([str(text)])
  passes = []
  scratch = tmp_path / 'tmp'
  scratch.mkdir()
  monkeypatch.setattr(tempfile, 'tempdir', str(scratch))

  class Counting:
    def __iter__(self):
      passes.append(1)
      return iter(corpus)
  kv = emb.train_word2vec(Counting(), dim=8, min_count=1, epochs=3,
                          workers=1)
  assert len(passes) == 1  # not 1 + epochs: tokenised once, then cached
  assert 'mat' in kv.key_to_index
  assert not list(scratch.iterdir())  # the cache's file is gone


def test_token_cache_gives_the_same_sentences_on_every_pass(tmp_path):
  sentences = [['the', 'cat'], [], ['the', 'dog', "n't", 'the'], ['x']]
  cache = emb.TokenCache(sentences, str(tmp_path))
  assert list(cache) == sentences
  assert list(cache) == sentences
  assert cache.words == ['the', 'cat', 'dog', "n't", 'x']  # each word once
  (tmp_path / 'empty').mkdir()
  assert list(emb.TokenCache([], str(tmp_path / 'empty'))) == []


def test_tokenize_like_conll():
  assert emb.tokenize("U.S. sales rose 5.93 pct, don't they? 1,750 dlrs") == [
      'U.S.', 'sales', 'rose', '5.93', 'pct', ',', 'do', "n't", 'they', '?',
      '1,750', 'dlrs']


def test_coverage_counts_occurrences():
  index = emb.vocab_index(['a', 'b'])
  has = np.array([False, False, True, False])
  assert emb.coverage({'a': 3, 'B': 1, 'c': 4}, index) == 0.5
  assert emb.coverage({'a': 3, 'B': 1, 'c': 4}, index, has) == 3 / 8


def test_expand_text_paths(tmp_path):
  (tmp_path / 'b.txt').write_text('x')
  (tmp_path / 'a.txt').write_text('x')
  (tmp_path / 'README.x').write_text('x')
  assert emb.expand_text_paths([str(tmp_path)]) == [
      str(tmp_path / 'a.txt'), str(tmp_path / 'b.txt')]
  with pytest.raises(FileNotFoundError):
    emb.expand_text_paths([str(tmp_path / 'none')])


def test_artifact_files_round_trip(tmp_path):
  matrix = np.arange(8, dtype=np.float32).reshape(4, 2)
  embedding_files.write(str(tmp_path), ['<PAD>', '<UNK>', 'a', 'b'], matrix,
                  {'rows': 4})
  np.testing.assert_array_equal(embedding_files.load_matrix(str(tmp_path)), matrix)
  assert embedding_files.load_has_vector(str(tmp_path)) is None
  has_vector = np.array([False, False, True, False])
  embedding_files.write(str(tmp_path), ['<PAD>', '<UNK>', 'a', 'b'], matrix,
                  {'rows': 4}, has_vector)
  np.testing.assert_array_equal(embedding_files.load_has_vector(str(tmp_path)),
                                has_vector)
  assert embedding_files.load_vocab(str(tmp_path)) == ['<PAD>', '<UNK>', 'a', 'b']
  assert embedding_files.load_stats(str(tmp_path)) == {'rows': 4}


def test_normalized_corpus_and_counts_pool_case_and_digits():
  corpus = emb.NormalizedCorpus([['The', 'PARIS', 'in', '1996'], ['the']])
  assert list(corpus) == [['the', 'paris', 'in', '0000'], ['the']]
  assert list(corpus) == list(corpus)  # re-iterable, as gensim needs
  counts = emb.normalized_counts({'The': 2, 'the': 3, '1996': 1, '2001': 1})
  assert counts == {'the': 5, '0000': 2}
  # Every lookup reaches the normalised form last, so a lower-cased
  # vocabulary still finds capitalised and numeric tokens.
  index = emb.vocab_index(emb.build_vocabulary(counts))
  assert emb.token_id('THE', index) == emb.token_id('the', index) == 2
  assert emb.token_id('1815', index) == 3


def test_invalid_bytes_in_unlabelled_text_are_counted_once(tmp_path):
  text = tmp_path / 'u.txt'
  text.write_bytes(b'the cat .\ncaf\xe9 au lait .\n\nna\xefve \xff .\n')
  corpus = emb.TextCorpus([str(text)])
  first = list(corpus)
  assert list(corpus) == first  # gensim iterates again: counted once
  assert corpus.invalid_lines == {str(text): [2, 2]}
  assert first[0][:4] == ['the', 'cat', '.', 'caf']  # U+FFFD is no token
