"""A trained tagger's forward pass at inference, its BiLSTMs run without
Keras's masking.

Keras steps an LSTM through the padding too, and at each step reads the
mask and picks between new and old states and outputs: a few small
operations a step, times two directions times the taggers of an ensemble,
about a tenth of the time a sentence takes. Here every sentence is read
from its first token (the backward direction reverses each sentence within
its length, so padding stays at the end), and the states past a sentence's
end are simply never used. The weights are the Keras layers' own, read at
call time, so the outputs are the Keras model's (to float round-off) at
every token.
Measured in docs/benchmarks.md ("Inference through the exported model").
"""

from typing import List

import keras
import tensorflow as tf


def _lstm(cell, x):
  """Hidden states [T, B, H] of an LSTM cell (tanh, sigmoid gates, Keras's
  gate order i, f, c, o) over time-major inputs ``x`` [T, B, D], from zero
  states."""
  kernel = tf.convert_to_tensor(cell.kernel.value)
  recurrent = tf.convert_to_tensor(cell.recurrent_kernel.value)
  bias = tf.convert_to_tensor(cell.bias.value)
  zeros = tf.zeros(tf.stack([tf.shape(x)[1], tf.shape(recurrent)[0]]),
                   x.dtype)

  def step(carry, x_t):
    h, c = carry
    z = tf.matmul(x_t, kernel) + tf.matmul(h, recurrent) + bias
    i, f, g, o = tf.split(z, 4, axis=-1)
    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
    return tf.sigmoid(o) * tf.tanh(c), c

  hs, _ = tf.scan(step, x, initializer=(zeros, zeros))
  return hs


def _check(layer: keras.layers.Bidirectional) -> None:
  for lstm in (layer.forward_layer, layer.backward_layer):
    cell = lstm.cell
    if (cell.activation is not keras.activations.tanh or
        cell.recurrent_activation is not keras.activations.sigmoid or
        not cell.use_bias or not lstm.return_sequences):
      raise ValueError(f'{layer.name}: only sequence-returning LSTMs with '
                       'tanh, sigmoid gates and a bias run here')
  if layer.merge_mode != 'concat':
    raise ValueError(f'{layer.name}: merge mode {layer.merge_mode!r}, not '
                     "'concat'")


def bidirectional(layer: keras.layers.Bidirectional, x: tf.Tensor,
                  lengths: tf.Tensor) -> tf.Tensor:
  """``layer`` over time-major ``x`` [T, B, D] whose sentences have
  ``lengths`` [B] tokens: [T, B, 2H], forward then backward states.
  Values past a sentence's length are not defined."""
  _check(layer)
  forward = _lstm(layer.forward_layer.cell, x)
  reverse = lambda t: tf.reverse_sequence(t, lengths, seq_axis=0,
                                          batch_axis=1)
  backward = reverse(_lstm(layer.backward_layer.cell, reverse(x)))
  return tf.concat([forward, backward], axis=-1)


def outputs(model: keras.Model, inputs, lengths: tf.Tensor) -> tf.Tensor:
  """``model(inputs, training=False)`` at every token within ``lengths``
  (padding at the end of each sentence). The model is one of
  ``model.build_model``'s: features, BiLSTMs with dropout after each (off
  at inference), a Dense layer (and a CRF, which passes it through)."""
  lstms: List[keras.layers.Bidirectional] = [
      layer for layer in model.layers
      if isinstance(layer, keras.layers.Bidirectional)]
  # A layer's ``input`` lists every tensor it was called with: the
  # sequences, then the padding mask.
  features = keras.Model(model.inputs,
                         keras.tree.flatten(lstms[0].input)[0])
  x = tf.transpose(features(inputs, training=False), [1, 0, 2])
  lengths = tf.cast(lengths, tf.int32)
  for layer in lstms:
    x = bidirectional(layer, x, lengths)
  names = {layer.name for layer in model.layers}
  dense = model.get_layer('emissions' if 'emissions' in names else 'tags')
  return tf.transpose(dense(x), [1, 0, 2])
