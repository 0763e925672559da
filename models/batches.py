"""A split's sentences read once into numpy, then batched in numpy each epoch:
shuffled, grouped by length so that padding stays small, padded.

tf.data did this one sentence at a time (a 20,000-sentence shuffle buffer,
``bucket_by_sequence_length``, and ``from_generator`` for mention
replacement): 3-5 s a pass over CoNLL-2003's training split against 0.4 s
here, CPU that the three taggers side by side share; a tagger-epoch became
13% shorter (docs/benchmarks.md, "Batches made in numpy").
"""

from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from models import features
from models.preprocessing import MAX_WORD_CHARS

Sentence = Dict[str, np.ndarray]
KEYS = (features.TOKEN_IDS, features.CASING, features.CHAR_IDS,
        features.TAG_IDS)
# Upper bounds (exclusive) of the length groups, and one group beyond them
# (CoNLL-2003 sentences: mean 14 tokens, longest 124).
BUCKETS = (8, 16, 24, 32, 48, 64)
# (inputs, tag ids, weights) of a batch; weights are 0 at padding.
SIGNATURE = (
    {features.TOKEN_IDS: tf.TensorSpec([None, None], tf.int64),
     features.CASING: tf.TensorSpec([None, None], tf.int64),
     features.CHAR_IDS: tf.TensorSpec([None, None, MAX_WORD_CHARS], tf.int64)},
    tf.TensorSpec([None, None], tf.int64),
    tf.TensorSpec([None, None], tf.float32))


def read(file_patterns: Sequence[str], feature_spec) -> List[Sentence]:
  """Every sentence of the transformed GZIP TFRecord files, in file order:
  token ids, casing and tag ids [length], character ids [length,
  MAX_WORD_CHARS]."""
  paths = sorted(p for pattern in file_patterns
                 for p in tf.io.gfile.glob(pattern))
  spec = {k: feature_spec[k] for k in KEYS}
  out = []
  records = tf.data.TFRecordDataset(paths, compression_type='GZIP')
  for chunk in records.batch(2048):
    columns = {}
    for key, sparse in tf.io.parse_example(chunk, spec).items():
      ragged = tf.RaggedTensor.from_sparse(sparse)
      columns[key] = np.split(ragged.flat_values.numpy(),
                              ragged.row_splits.numpy()[1:-1])
    for i in range(len(columns[features.TOKEN_IDS])):
      sentence = {k: columns[k][i] for k in KEYS}
      sentence[features.CHAR_IDS] = sentence[features.CHAR_IDS].reshape(
          -1, MAX_WORD_CHARS)
      out.append(sentence)
  return out


def pad(group: Sequence[Sentence]):
  """One batch, (inputs, tag ids, weights), padded with 0 to its longest
  sentence."""
  width = max(len(s[features.TOKEN_IDS]) for s in group)
  arrays = {k: np.zeros((len(group), width) + (
      (MAX_WORD_CHARS,) if k == features.CHAR_IDS else ()), np.int64)
            for k in KEYS}
  for row, sentence in enumerate(group):
    n = len(sentence[features.TOKEN_IDS])
    for k in KEYS:
      arrays[k][row, :n] = sentence[k]
  tags = arrays.pop(features.TAG_IDS)
  weights = (arrays[features.TOKEN_IDS] != 0).astype(np.float32)
  return arrays, tags, weights


def groups(sentences: Sequence[Sentence]) -> np.ndarray:
  """Each sentence's length group (an index into ``BUCKETS``, or one past
  it)."""
  lengths = [len(s[features.TOKEN_IDS]) for s in sentences]
  return np.searchsorted(BUCKETS, lengths, side='right')


def count(group_of: np.ndarray, batch_size: int) -> int:
  """How many batches ``batches`` makes of sentences in these groups."""
  sizes = np.bincount(group_of, minlength=len(BUCKETS) + 1)
  return int(np.sum(-(-sizes // batch_size)))


def batches(sentences: Sequence[Sentence], group_of: np.ndarray,
            batch_size: int,
            rng: Optional[np.random.Generator] = None) -> Iterator:
  """Padded batches of ``batch_size`` sentences of one group (``group_of``
  [sentence], from ``groups``), in the order of the sentences, shuffled
  first by ``rng`` when given: a group's batch goes out when it fills, the
  groups' remainders at the end. The groups are given rather than measured
  so that an epoch of sentences with replaced mentions, a little longer or
  shorter, has as many batches as any other (Keras takes the number of its
  first epoch as every epoch's)."""
  order = rng.permutation(len(sentences)) if rng is not None else range(
      len(sentences))
  pending = [[] for _ in range(len(BUCKETS) + 1)]
  for i in order:
    group = pending[group_of[i]]
    group.append(sentences[i])
    if len(group) == batch_size:
      yield pad(group)
      group.clear()
  for group in pending:
    if group:
      yield pad(group)
