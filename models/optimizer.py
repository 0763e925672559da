"""Adam that updates only the embedding rows a batch uses.

Keras 3's Adam turns the word embedding's sparse gradient dense, so every
step rewrote all ~46k x 100 rows of the embedding and of both moments, and
global-norm clipping squared them all: 40% of a training step on 2 CPU cores
(docs/benchmarks.md). Here sparse gradients stay sparse: duplicate rows are
summed, the global norm is taken over the rows present (the same norm as the
dense gradient's), and only those rows and their moments change. Rows a batch
does not use keep their value and moments until a batch uses them again (the
"lazy" Adam of TensorFlow Addons); dense gradients get Keras' own update.
"""

import keras
import tensorflow as tf


def merge_duplicates(gradient: tf.IndexedSlices) -> tf.IndexedSlices:
  """One row per index: a gather's gradient repeats an index for each time
  the batch uses that row."""
  indices, positions = tf.unique(gradient.indices)
  values = tf.math.unsorted_segment_sum(gradient.values, positions,
                                        tf.shape(indices)[0])
  return tf.IndexedSlices(values, indices, gradient.dense_shape)


def _merged(grads):
  return [merge_duplicates(g) if isinstance(g, tf.IndexedSlices) else g
          for g in grads]


class SparseAdam(keras.optimizers.Adam):
  """``keras.optimizers.Adam`` (no amsgrad, no gradient accumulation) with
  sparse updates for sparse gradients."""

  def _clip_gradients(self, grads):
    grads = _merged(grads)
    if not self.global_clipnorm or self.clipnorm or self.clipvalue:
      return super()._clip_gradients(grads)
    norm = tf.linalg.global_norm([
        g.values if isinstance(g, tf.IndexedSlices) else g
        for g in grads if g is not None])
    scale = self.global_clipnorm / tf.maximum(norm, self.global_clipnorm)
    return [None if g is None else
            tf.IndexedSlices(g.values * scale, g.indices, g.dense_shape)
            if isinstance(g, tf.IndexedSlices) else g * scale for g in grads]

  def update_step(self, gradient, variable, learning_rate):
    if not isinstance(gradient, tf.IndexedSlices):
      return super().update_step(gradient, variable, learning_rate)
    gradient = merge_duplicates(gradient)
    rows, g = gradient.indices, tf.cast(gradient.values, variable.dtype)
    step = tf.cast(self.iterations + 1, variable.dtype)
    alpha = tf.cast(learning_rate, variable.dtype) * tf.sqrt(
        1 - tf.pow(tf.cast(self.beta_2, variable.dtype), step)) / (
            1 - tf.pow(tf.cast(self.beta_1, variable.dtype), step))
    index = self._get_variable_index(variable)
    m, v = self._momentums[index], self._velocities[index]
    m_rows = self.beta_1 * tf.gather(m.value, rows) + (1 - self.beta_1) * g
    v_rows = self.beta_2 * tf.gather(v.value, rows) + (
        1 - self.beta_2) * tf.square(g)
    shape = gradient.dense_shape
    self.assign(m, tf.IndexedSlices(m_rows, rows, shape))
    self.assign(v, tf.IndexedSlices(v_rows, rows, shape))
    self.assign_sub(variable, tf.IndexedSlices(
        alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows, shape))
