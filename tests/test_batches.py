import collections

import keras
import numpy as np
import tensorflow as tf

from models import batches, features, model as model_lib, trainer
from models.config import TrainerConfig
from models.preprocessing import MAX_WORD_CHARS

_SPEC = {k: tf.io.VarLenFeature(tf.int64) for k in batches.KEYS}
TAGS = ['O', 'S-LOC', 'B-PER', 'I-PER', 'E-PER']


def _sentence(n, first_id, tags=None):
  ids = np.arange(first_id, first_id + n, dtype=np.int64)
  return {features.TOKEN_IDS: ids, features.CASING: ids % 4,
          features.CHAR_IDS: np.stack([(ids * 31 + c) % 2999 + 1
                                       for c in range(MAX_WORD_CHARS)], 1),
          features.TAG_IDS: np.array(tags if tags else [0] * n, np.int64)}


def _write(path, sentences):
  with tf.io.TFRecordWriter(str(path), options='GZIP') as w:
    for s in sentences:
      w.write(tf.train.Example(features=tf.train.Features(feature={
          k: tf.train.Feature(int64_list=tf.train.Int64List(
              value=v.reshape(-1))) for k, v in s.items()}))
              .SerializeToString())


def test_read_gives_every_sentence_of_every_file_in_order(tmp_path):
  first = [_sentence(n, 10 * i + 1) for i, n in enumerate([3, 1, 7])]
  second = [_sentence(n, 500 + i) for i, n in enumerate([2, 40])]
  _write(tmp_path / 'part-1.gz', second)
  _write(tmp_path / 'part-0.gz', first)
  read = batches.read([str(tmp_path / 'part-*.gz')], _SPEC)
  assert len(read) == 5
  for got, want in zip(read, first + second):
    assert set(got) == set(batches.KEYS)
    for k in batches.KEYS:
      np.testing.assert_array_equal(got[k], want[k])
    assert got[features.CHAR_IDS].shape == (len(want[features.TOKEN_IDS]),
                                            MAX_WORD_CHARS)


def test_batches_hold_each_sentence_once_grouped_by_length_and_padded():
  lengths = [3, 5, 40, 41, 4, 39, 2, 9, 12, 70, 7, 6, 1]
  sentences = [_sentence(n, 1000 * i + 1) for i, n in enumerate(lengths)]
  group_of = batches.groups(sentences)
  assert group_of.tolist() == [0, 0, 4, 4, 0, 4, 0, 1, 1, 6, 0, 0, 0]
  rng = np.random.default_rng(0)
  orders = set()
  for _ in range(5):
    made = list(batches.batches(sentences, group_of, 3, rng))
    assert len(made) == batches.count(group_of, 3) == 6
    seen = []
    for inputs, tags, weights in made:
      assert len(weights) <= 3
      rows = weights.sum(axis=1).astype(int)
      assert len({group_of[lengths.index(n)] for n in rows}) == 1
      assert weights.shape[1] == rows.max()  # padded to its longest only
      for row, n in enumerate(rows):
        s = sentences[lengths.index(n)]
        np.testing.assert_array_equal(inputs[features.TOKEN_IDS][row, :n],
                                      s[features.TOKEN_IDS])
        np.testing.assert_array_equal(inputs[features.CHAR_IDS][row, :n],
                                      s[features.CHAR_IDS])
        np.testing.assert_array_equal(tags[row, :n], s[features.TAG_IDS])
        assert not inputs[features.CASING][row, n:].any()
        assert not inputs[features.CHAR_IDS][row, n:].any()
      np.testing.assert_array_equal(inputs[features.TOKEN_IDS] != 0,
                                    weights > 0)
      seen.extend(rows)
    assert sorted(seen) == sorted(lengths)
    orders.add(tuple(seen))
  assert len(orders) > 1  # shuffled anew each epoch
  unshuffled = [w.sum(axis=1).astype(int).tolist()
                for _, _, w in batches.batches(sentences, group_of, 3)]
  # A group's batch as it fills, then the remainders, group by group.
  assert unshuffled == [[3, 5, 4], [40, 41, 39], [2, 7, 6], [1], [9, 12],
                        [70]]


def test_an_epoch_with_replaced_mentions_keeps_its_batch_count(tmp_path):
  # Mentions of one to four tokens swap places: each epoch the lengths
  # change, some across a group's bound, but not the number of batches.
  sentences = []
  for i in range(24):
    n = 1 + i % 4
    tags = ([1] if n == 1 else [2] + [3] * (n - 2) + [4])
    sentences.append(_sentence(5 + n, 100 * i + 1, tags + [0] * 5))
  _write(tmp_path / 'part-0.gz', sentences)
  data = trainer.dataset([str(tmp_path / '*.gz')], _SPEC, 4, True, seed=3,
                         mention_replace=1.0, tag_names=TAGS)
  expected = batches.count(batches.groups(sentences), 4)
  assert int(data.cardinality()) == expected
  totals, straddling = set(), 0
  for _ in range(4):
    epoch = [w.numpy().sum(axis=1) for _, _, w in data]
    assert len(epoch) == expected
    assert sum(len(rows) for rows in epoch) == 24
    totals.add(sum(rows.sum() for rows in epoch))
    # A sentence whose PER grew past 8 tokens stays in its group.
    straddling += sum(rows.min() < 8 <= rows.max() for rows in epoch)
  assert len(totals) > 1 and straddling

  # And Keras trains on every batch of every epoch.
  steps = collections.Counter()

  class Count(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
      steps[self.epoch] += 1

    def on_epoch_begin(self, epoch, logs=None):
      self.epoch = epoch

  matrix = np.random.default_rng(0).normal(size=(2500, 4)).astype(np.float32)
  model = model_lib.build_model(matrix, len(TAGS), 3000,
                                TrainerConfig(lstm_units=4, char_filters=2))
  model.fit(data, epochs=3, verbose=0, callbacks=[Count()])
  assert dict(steps) == {0: expected, 1: expected, 2: expected}
