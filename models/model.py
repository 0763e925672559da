"""The Keras 3 BiLSTM tagger and how an ensemble of them decodes.

Keras 3 is imported explicitly (``import keras``): importing TFT flips
``tf.keras`` to Keras 2, so this project never writes ``tf.keras``.
"""

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from models import bilstm_inference, crf, embeddings, features
from models.config import TrainerConfig
from models.optimizer import SparseAdam
from models.preprocessing import CASING_CLASSES, MAX_WORD_CHARS


class WordDropout(keras.layers.Layer):
  """In training only, replaces a random share of the word ids (never
  padding) by the <UNK> id."""

  def __init__(self, rate: float, unk_id: int, seed: int = 0, **kwargs):
    super().__init__(**kwargs)
    self.rate, self.unk_id, self.seed = rate, unk_id, seed
    self.seed_generator = keras.random.SeedGenerator(seed)

  def call(self, ids, training=None):
    if not training or not self.rate:
      return ids
    drop = keras.random.uniform(keras.ops.shape(ids),
                                seed=self.seed_generator) < self.rate
    drop = keras.ops.logical_and(drop, keras.ops.not_equal(ids, 0))
    return keras.ops.where(drop, keras.ops.cast(self.unk_id, ids.dtype), ids)

  def get_config(self):
    return {**super().get_config(), 'rate': self.rate, 'unk_id': self.unk_id,
            'seed': self.seed}


def build_model(matrix: np.ndarray, num_tags: int, num_chars: int,
                config: TrainerConfig) -> keras.Model:
  """Word embedding (from the artifact, row 0 = padding), casing embedding and
  a character CNN per token, a BiLSTM masked at padding, then a CRF or a
  per-token softmax over tag ids. ``num_chars`` counts character ids
  including 0."""
  token_ids = keras.Input(shape=(None,), dtype='int64', name=features.TOKEN_IDS)
  casing = keras.Input(shape=(None,), dtype='int64', name=features.CASING)
  chars = keras.Input(shape=(None, MAX_WORD_CHARS), dtype='int64',
                      name=features.CHAR_IDS)
  word_embedding = keras.layers.Embedding(
      matrix.shape[0], matrix.shape[1], mask_zero=True,
      trainable=not config.static_embeddings, name='word_embedding')
  word_embedding.build((None, None))
  word_embedding.embeddings.assign(matrix)
  word_ids = WordDropout(config.word_dropout, embeddings.UNK_ID,
                         seed=config.seed, name='word_dropout')(token_ids)
  words = word_embedding(word_ids)
  parts = [words,
           keras.layers.Embedding(len(CASING_CLASSES), config.casing_dim,
                                  name='casing_embedding')(casing)]
  if config.char_filters:
    # [batch, time, chars, dim] -> convolution along the characters of each
    # token -> max over them: one vector per token, however rare the word.
    c = keras.layers.Embedding(num_chars, config.char_dim,
                               name='char_embedding')(chars)
    c = keras.layers.Dropout(config.dropout)(c)
    c = keras.layers.Conv2D(config.char_filters, (1, 3), padding='same',
                            activation='tanh', name='char_cnn')(c)
    parts.append(keras.ops.max(c, axis=2))
  x = keras.layers.Concatenate()(parts)
  x = keras.layers.Dropout(config.dropout)(x)
  # Keras 3's Concatenate drops the embedding mask when one input has none,
  # so the LSTM gets the padding mask explicitly.
  mask = keras.ops.not_equal(token_ids, 0)
  for layer in range(config.lstm_layers):
    x = keras.layers.Bidirectional(
        keras.layers.LSTM(config.lstm_units, return_sequences=True),
        name='bilstm' if layer == 0 else f'bilstm_{layer + 1}')(x, mask=mask)
    x = keras.layers.Dropout(config.dropout)(x)
  inputs = [token_ids, casing] + (
      [chars] if config.char_filters else [])
  optimizer = SparseAdam(config.learning_rate,
                         global_clipnorm=config.clip_norm or None)
  if config.crf:
    emissions = keras.layers.Dense(num_tags, name='emissions')(x)
    model = crf.CrfTagger(inputs, crf.CRF(name='crf')(emissions),
                          name='bilstm_crf_tagger')
    model.compile(optimizer=optimizer)
    return model
  probs = keras.layers.Dense(num_tags, activation='softmax', name='tags')(x)
  model = keras.Model(inputs, probs, name='bilstm_tagger')
  model.compile(
      optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(),
      weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name='acc')])
  return model


def potentials(models: Sequence[keras.Model], inputs, mask: tf.Tensor):
  """The CRF scores one tagger or an ensemble decodes with: emissions
  [batch, time, tags], transitions [tags, tags], start and end [tags], for
  sentences padded at the end (``mask`` [batch, time] is True at their
  tokens; ``bilstm_inference`` runs the taggers).

  CRF taggers: the mean of their scores (a product of the members' CRFs).
  Softmax taggers: the log of their mean distribution and no transition
  scores, a CRF whose Viterbi path is the most probable tag at each token
  and whose marginals are that distribution.
  """
  lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
  outputs = [bilstm_inference.outputs(m, inputs, lengths) for m in models]
  mean = lambda xs: xs[0] if len(xs) == 1 else tf.add_n(xs) / len(xs)
  if any(layer.name == 'crf' for layer in models[0].layers):
    layers = [m.get_layer('crf') for m in models]
    return (mean(outputs), *(mean([getattr(c, name) for c in layers])
                             for name in ('transitions', 'start', 'end')))
  probs = mean(outputs)
  k = probs.shape[-1]
  return (tf.math.log(tf.maximum(probs, 1e-30)), tf.zeros([k, k]),
          tf.zeros([k]), tf.zeros([k]))


def tag_ids(models: Sequence[keras.Model], inputs, mask: tf.Tensor):
  """Tag ids [batch, time] from one tagger or an ensemble of them: the
  Viterbi path of their ``potentials``."""
  emissions, transitions, start, end = potentials(models, inputs, mask)
  return crf.viterbi_decode(emissions, mask, transitions, start, end)


def repair_iob2(tags: tf.Tensor) -> tf.Tensor:
  """Makes [batch, time] tag strings valid IOB2: BIOES tags (the tagger's own,
  see ``preprocessing.bioes_tags``) become IOB2, and an I-X that does not
  follow B-X or I-X becomes B-X (the same reading conlleval gives it)."""
  tags = tf.strings.regex_replace(
      tf.strings.regex_replace(tags, '^S-', 'B-'), '^E-', 'I-')
  prev = tf.concat([tf.fill([tf.shape(tags)[0], 1], 'O'), tags[:, :-1]],
                   axis=1)
  cur_type = tf.strings.regex_replace(tags, '^[A-Z]-', '')
  prev_type = tf.where(tf.equal(prev, 'O'), '',
                       tf.strings.regex_replace(prev, '^[A-Z]-', ''))
  opens = tf.logical_and(tf.strings.regex_full_match(tags, 'I-.*'),
                         tf.not_equal(prev_type, cur_type))
  return tf.where(opens, tf.strings.join(['B-', cur_type]), tags)
