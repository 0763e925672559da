"""Pre-trained vector files: every format gensim writes reads back, .gz as
is; every bad file ends in an error naming the file and the line."""

import gzip
import pickle
import struct

import numpy as np
import pytest
from gensim.models import KeyedVectors

from models import vector_files
from models.file_errors import FileFormatError


def _kv(words, dim=4):
  kv = KeyedVectors(dim)
  kv.add_vectors(words, np.random.default_rng(0).normal(
      size=(len(words), dim)).astype(np.float32))
  return kv


def _glove(kv) -> str:
  return ''.join(w + ' ' + ' '.join(repr(float(x)) for x in kv[w]) + '\n'
                 for w in kv.index_to_key)


@pytest.mark.parametrize('fmt', ['word2vec-text', 'word2vec-binary', 'glove',
                                 'fasttext-text'])
@pytest.mark.parametrize('zipped', [False, True])
def test_every_format_reads_back_zipped_or_not(tmp_path, fmt, zipped):
  kv = _kv(['Paris', 'the', 'é', 'New\u00a0York'])
  path = str(tmp_path / 'vectors')
  if fmt == 'glove':
    with open(path, 'w', encoding='utf-8') as f:
      f.write(_glove(kv))
  else:
    kv.save_word2vec_format(path, binary=fmt == 'word2vec-binary')
  if zipped:
    with open(path, 'rb') as f, gzip.open(path + '.gz', 'wb') as z:
      z.write(f.read())
    path += '.gz'
  loaded = vector_files.load(path, fmt)
  assert loaded.index_to_key == kv.index_to_key
  np.testing.assert_allclose(loaded['New\u00a0York'], kv['New\u00a0York'],
                             rtol=1e-5)
  assert vector_files.load(path, fmt, limit=2).index_to_key == ['Paris',
                                                                 'the']


GOOD = 'a 0.1 0.2\nb 0.3 0.4\n'
CASES = [
    ('no header', 'word2vec-text', GOOD, ':1: expected the header "COUNT '
     'DIM" of the word2vec-text format, found \'a 0.1 0.2\'; a GloVe file has '
     'no header: pass --vectors-format glove'),
    ('a header in GloVe', 'glove', '2 2\n' + GOOD, ':1: line 1 is a "COUNT '
     'DIM" header'),
    ('ragged rows', 'glove', GOOD + 'c 0.5\n', ":3: expected 2 values after "
     "the word 'c' like the lines before, found 1"),
    ('NaN', 'glove', GOOD + 'c nan 0.1\n', ":3: the vector of 'c' holds nan"),
    ('inf', 'fasttext-text', '3 2\n' + GOOD + 'c 0.1 -inf\n',
     ":4: the vector of 'c' holds -inf"),
    ('not a number', 'glove', GOOD + 'c 0.1 x\n', ':3: expected a word and '
     'numbers'),
    ('empty file', 'glove', '', ': holds no vectors (an empty file?)'),
    ('short file', 'word2vec-text', '5 2\n' + GOOD, ': the header announces '
     '5 words but the file holds 2 (a short file?)'),
    ('binary read as text', 'word2vec-text', b'2 2\na \x00\x00\x80\xff'
     b'\x00\x00\x80\x7f\n', ':2: not UTF-8 text; is it word2vec binary? '
     'pass --vectors-format word2vec-binary'),
    ('text read as binary', 'word2vec-binary', '2 2\n' + GOOD,
     ':2: the vector bytes are text: is it word2vec text?'),
    ('binary cut short', 'word2vec-binary',
     b'2 2\na ' + struct.pack('<2f', 0.1, 0.2) + b'b ' + b'\x00\x00',
     ':3: the file ends inside the vector of word 2 (a short file)'),
]


@pytest.mark.parametrize('name,fmt,data,message', CASES,
                         ids=[c[0] for c in CASES])
def test_bad_vector_files(tmp_path, name, fmt, data, message):
  path = tmp_path / 'v.txt'
  path.write_bytes(data if isinstance(data, bytes) else data.encode())
  with pytest.raises(FileFormatError) as error:
    vector_files.load(str(path), fmt)
  assert str(error.value) == str(path) + message or (
      str(error.value).startswith(str(path) + message)), str(error.value)


def test_directory_missing_file_and_truncated_gzip(tmp_path):
  with pytest.raises(FileFormatError, match='is a directory'):
    vector_files.load(str(tmp_path), 'glove')
  with pytest.raises(FileFormatError, match='no such file'):
    vector_files.load(str(tmp_path / 'absent'), 'glove')
  zipped = gzip.compress((GOOD * 2000).encode())
  (tmp_path / 'cut.gz').write_bytes(zipped[:len(zipped) // 2])
  with pytest.raises(FileFormatError, match='cannot read it'):
    vector_files.load(str(tmp_path / 'cut.gz'), 'glove')


def test_duplicates_keep_the_first_vector_and_are_counted(tmp_path):
  path = tmp_path / 'v.txt'
  path.write_text(GOOD + 'a 9 9\n')
  loaded = vector_files.load(str(path), 'glove')
  assert loaded.index_to_key == ['a', 'b'] and loaded.duplicates == 1
  np.testing.assert_allclose(loaded['a'], [0.1, 0.2])


class _Payload:
  """Unpickling this creates a file: the proof that a loader unpickled."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return (open, (self.marker, 'w'))


def test_a_pickle_is_never_unpickled(tmp_path):
  marker = tmp_path / 'unpickled'
  data = pickle.dumps(_Payload(str(marker)))
  assert not marker.exists()
  for fmt in ('word2vec-text', 'word2vec-binary', 'glove', 'fasttext-text'):
    for name in ('model.pkl', 'vectors.kv', 'vectors.model'):
      (tmp_path / name).write_bytes(data)
      with pytest.raises(FileFormatError):
        vector_files.load(str(tmp_path / name), fmt)
  assert not marker.exists()
  pickle.loads(data)  # the payload does what the test says it does
  assert marker.exists()
