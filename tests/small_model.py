"""A small untrained ensemble exported with the real signatures, and a
stand-in for the Transform graph: enough to test the signatures and the
server in seconds, without running the pipeline."""

import keras
import numpy as np
import tensorflow as tf

from models import export, features
from models import model as model_lib
from models.config import TrainerConfig
from models.preprocessing import MAX_WORD_CHARS

TAGS = ['O', 'S-LOC', 'B-PER', 'E-PER', 'I-PER', 'S-ORG']


class _Transform(tf.Module):
  """Hashes tokens to word ids, as the real vocabulary lookup maps them."""

  def __call__(self, inputs):
    tokens = inputs[features.TOKENS]
    ids = tf.strings.to_hash_bucket_fast(tokens.values, 30) + 2
    shape = tokens.dense_shape
    return {
        features.TOKEN_IDS: tf.SparseTensor(tokens.indices, ids, shape),
        features.CASING: tf.SparseTensor(tokens.indices, tf.ones_like(ids),
                                         shape),
        features.CHAR_IDS: tf.SparseTensor(
            tf.zeros([0, 2], tf.int64), tf.zeros([0], tf.int64),
            shape * [1, MAX_WORD_CHARS])}


def module() -> export.TaggerServing:
  keras.utils.set_random_seed(0)  # the same weights in every test run
  matrix = np.random.default_rng(0).normal(size=(32, 8)).astype(np.float32)
  members = [model_lib.build_model(matrix, len(TAGS), 5, TrainerConfig(
      lstm_units=8, char_filters=0, seed=seed)) for seed in (0, 1)]
  for m in members:  # enough entities to check
    m.get_layer('emissions').bias.assign([0.0, 1.0, 1.0, 0.5, 0.3, 0.8])
  return export.TaggerServing(members, _Transform(), TAGS)


def save(path: str) -> str:
  export.save(module(), path)
  return path
