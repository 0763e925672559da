import collections

import numpy as np
import pytest
import tensorflow as tf

from models import features, mentions, trainer
from models.config import TrainerConfig
from models.preprocessing import MAX_WORD_CHARS

TAGS = ['O', 'S-LOC', 'B-PER', 'I-PER', 'E-PER', 'S-ORG', 'B-ORG', 'E-ORG']


def _sentence(tags, first_id):
  n = len(tags)
  ids = np.arange(first_id, first_id + n, dtype=np.int64)
  return {features.TOKEN_IDS: ids, features.CASING: ids % 4,
          features.CHAR_IDS: np.repeat(ids[:, None], MAX_WORD_CHARS, axis=1),
          features.TAG_IDS: np.array([TAGS.index(t) for t in tags])}


def test_spans_reads_bioes_entities_and_skips_broken_ones():
  tags = ['S-LOC', 'B-PER', 'I-PER', 'E-PER', 'O', 'B-ORG', 'E-ORG',
          'B-PER', 'E-ORG', 'I-PER', 'E-PER', 'S-ORG']
  ids = np.array([TAGS.index(t) for t in tags])
  assert mentions.spans(ids, TAGS) == [(0, 1, 'LOC'), (1, 4, 'PER'),
                                       (5, 7, 'ORG'), (11, 12, 'ORG')]


def _entities(sentence):
  """(type, token ids) of each entity, the features checked to move along."""
  out = []
  for start, end, kind in mentions.spans(sentence[features.TAG_IDS], TAGS):
    ids = sentence[features.TOKEN_IDS][start:end]
    np.testing.assert_array_equal(sentence[features.CASING][start:end],
                                  ids % 4)
    np.testing.assert_array_equal(
        sentence[features.CHAR_IDS][start:end, 0], ids)
    out.append((kind, tuple(ids)))
  return out


def test_replacement_swaps_mentions_of_one_type_and_keeps_the_context():
  sentences = [_sentence(['O', 'S-LOC', 'O', 'B-PER', 'E-PER'], 10),
               _sentence(['B-PER', 'I-PER', 'E-PER', 'O', 'S-LOC'], 20),
               _sentence(['O', 'O'], 30)]
  pool = collections.defaultdict(set)
  for s in sentences:
    for kind, ids in _entities(s):
      pool[kind].add(ids)
  unchanged = list(mentions.replaced(sentences, TAGS, 0.0, seed=0)())
  for before, after in zip(sentences, unchanged):
    for k in before:
      np.testing.assert_array_equal(before[k], after[k])

  generate = mentions.replaced(sentences, TAGS, 1.0, seed=0)
  epochs = [list(generate()) for _ in range(20)]
  lengths = set()
  for epoch in epochs:
    assert len(epoch) == len(sentences)
    for before, after in zip(sentences, epoch):
      kinds = [kind for kind, _ in _entities(after)]
      assert kinds == [kind for kind, _ in _entities(before)]
      for kind, ids in _entities(after):
        assert ids in pool[kind]
      # Words outside the entities stay, in order.
      outside = lambda s: [i for i, t in zip(s[features.TOKEN_IDS],
                                             s[features.TAG_IDS]) if t == 0]
      assert outside(after) == outside(before)
    lengths.add(len(epoch[0][features.TOKEN_IDS]))
  # Each epoch draws anew: the one-word LOC of the first sentence stays
  # one word, its two-word PER is sometimes the three-word one.
  assert lengths == {5, 6}


def _training_dataset(tmp_path, **options):
  """``trainer.dataset`` over GZIP TFRecords of two sentences, each
  with a one-word LOC (ids 10 and 21)."""
  sentences = [_sentence(['S-LOC', 'O'], 10), _sentence(['O', 'S-LOC'], 20)]
  with tf.io.TFRecordWriter(str(tmp_path / 'part-0.gz'), options='GZIP') as w:
    for s in sentences:
      w.write(tf.train.Example(features=tf.train.Features(feature={
          k: tf.train.Feature(int64_list=tf.train.Int64List(
              value=v.reshape(-1))) for k, v in s.items()})).SerializeToString())
  spec = {k: tf.io.VarLenFeature(tf.int64) for k in sentences[0]}
  return trainer.dataset([str(tmp_path / '*.gz')], spec, batch_size=1,
                                shuffle=False, tag_names=TAGS, **options)


def test_training_dataset_replaces_mentions_anew_each_epoch(tmp_path):
  ds = _training_dataset(tmp_path, mention_replace=1.0)
  places = set()
  for _ in range(10):
    epoch = [(inputs[features.TOKEN_IDS].numpy()[0].tolist(),
              inputs[features.CHAR_IDS].numpy()[0, :, 0].tolist(),
              tags.numpy()[0].tolist()) for inputs, tags, _ in ds]
    assert [e[2] for e in epoch] == [[1, 0], [0, 1]]
    # Context words stay; characters move with their word.
    assert (epoch[0][0][1], epoch[1][0][0]) == (11, 20)
    assert all(e[0] == e[1] for e in epoch)
    places.add((epoch[0][0][0], epoch[1][0][1]))
  # Both one-word LOC mentions (10 and 21) turn up in both places.
  assert places == {(10, 21), (21, 10), (10, 10), (21, 21)}


def test_replacement_probabilities_are_checked():
  with pytest.raises(ValueError, match='mention_replace'):
    TrainerConfig(mention_replace=1.5)
  with pytest.raises(ValueError, match='dropout'):
    TrainerConfig(dropout=-0.1)
