"""The Keras 3 BiLSTM tagger and the serving module exported around it.

Keras 3 is imported explicitly (``import keras``): importing TFT flips
``tf.keras`` to Keras 2, so this project never writes ``tf.keras``.
"""

from typing import List, Sequence

import keras
import numpy as np
import tensorflow as tf

from models import crf, embeddings, features
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


def tag_ids(models: Sequence[keras.Model], inputs, mask: tf.Tensor):
  """Tag ids [batch, time] from one tagger or an ensemble of them.

  CRF taggers: one Viterbi over the mean of their emission, transition, start
  and end scores (a product of the members' CRFs). Softmax taggers: the most
  probable tag under the mean of their distributions.
  """
  outputs = [m(inputs, training=False) for m in models]
  mean = lambda xs: xs[0] if len(xs) == 1 else tf.add_n(xs) / len(xs)
  if any(layer.name == 'crf' for layer in models[0].layers):
    layers = [m.get_layer('crf') for m in models]
    return crf.viterbi_decode(
        mean(outputs), mask,
        *(mean([getattr(c, name) for c in layers])
          for name in ('transitions', 'start', 'end')))
  return tf.argmax(mean(outputs), axis=-1, output_type=tf.int32)


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


class TaggerServing(tf.Module):
  """Raw tokens in, IOB2 tags out; carries the Transform graph and every
  member of the ensemble.

  ``tag_tokens`` takes a [batch, length] string tensor padded with '' at the
  end of each row and returns ``tags`` of the same shape ('O' at padding).
  """

  def __init__(self, models: Sequence[keras.Model], tft_layer,
               tag_names: Sequence[str]):
    super().__init__()
    self.models = list(models)
    self.tft_layer = tft_layer
    self.tag_names = tf.constant(list(tag_names))

  @tf.function(input_signature=[
      tf.TensorSpec([None, None], tf.string, name='tokens')])
  def tag_tokens(self, tokens):
    transformed = self.tft_layer({features.TOKENS: tf.sparse.from_dense(tokens)})
    shape = tf.shape(tokens, out_type=tf.int64)
    inputs = {
        key: tf.sparse.to_dense(tf.sparse.reset_shape(transformed[key], shape))
        for key in (features.TOKEN_IDS, features.CASING)}
    chars = tf.sparse.to_dense(tf.sparse.reset_shape(
        transformed[features.CHAR_IDS], shape * [1, MAX_WORD_CHARS]))
    inputs[features.CHAR_IDS] = tf.reshape(
        chars, [shape[0], shape[1], MAX_WORD_CHARS])
    ids = tag_ids(self.models, inputs, tf.not_equal(tokens, ''))
    tags = tf.gather(self.tag_names, ids)
    tags = tf.where(tf.equal(tokens, ''), 'O', tags)
    return {'tags': repair_iob2(tags)}


def export(models: Sequence[keras.Model], tft_output, tag_names: List[str],
           path: str) -> None:
  module = TaggerServing(models, tft_output.transform_features_layer(),
                         tag_names)
  signature = module.tag_tokens.get_concrete_function()
  tf.saved_model.save(module, path, signatures={
      'tag_tokens': signature, 'serving_default': signature})
