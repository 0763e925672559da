import keras
import numpy as np
import tensorflow as tf

from models.optimizer import SparseAdam, merge_duplicates

_START = np.arange(15, dtype=np.float32).reshape(5, 3) / 10


def _sparse(rows, values):
  return tf.IndexedSlices(tf.constant(values, tf.float32),
                          tf.constant(rows, tf.int64), tf.constant([5, 3]))


def _dense(rows, values):
  return tf.convert_to_tensor(_sparse(rows, values))


def _run(optimizer, gradients):
  variable = keras.Variable(_START)
  for g in gradients:
    optimizer.apply([g], [variable])
  return variable.numpy()


def test_merge_duplicates_sums_the_rows_of_one_index():
  merged = merge_duplicates(_sparse([3, 1, 3], [[1, 1, 1], [2, 2, 2],
                                                [10, 10, 10]]))
  dense = tf.convert_to_tensor(merged).numpy()
  assert sorted(merged.indices.numpy()) == [1, 3]
  np.testing.assert_allclose(dense[3], [11, 11, 11])
  np.testing.assert_allclose(dense[1], [2, 2, 2])


def test_gradients_on_every_row_update_like_keras_adam():
  rng = np.random.RandomState(0)
  steps = [([0, 1, 2, 3, 4, 2], rng.normal(size=(6, 3))) for _ in range(4)]
  for clip in (None, 0.5):  # 0.5 clips: the norms here are about 3
    sparse = _run(SparseAdam(0.1, global_clipnorm=clip),
                  [_sparse(r, v) for r, v in steps])
    dense = _run(keras.optimizers.Adam(0.1, global_clipnorm=clip),
                 [_dense(r, v) for r, v in steps])
    np.testing.assert_allclose(sparse, dense, rtol=1e-5, atol=1e-6)
    assert not np.allclose(sparse, _START)


def test_rows_a_batch_does_not_use_keep_value_and_moments():
  gradients = [_sparse([0, 1], [[1, 1, 1], [1, 1, 1]]),
               _sparse([1], [[1, 1, 1]])]
  lazy = _run(SparseAdam(0.1), gradients)
  dense = _run(keras.optimizers.Adam(0.1), [tf.convert_to_tensor(g)
                                            for g in gradients])
  np.testing.assert_allclose(lazy[2:], _START[2:])  # never used
  # Row 0 moved once; Keras' Adam moves it again on its momentum.
  np.testing.assert_allclose(lazy[0], _START[0] - 0.1, atol=1e-5)
  assert np.all(dense[0] < lazy[0] - 0.01)
  np.testing.assert_allclose(lazy[1], dense[1], rtol=1e-5)


def test_global_norm_counts_a_repeated_row_once():
  optimizer = SparseAdam(0.1, global_clipnorm=1.0)
  dense_part = tf.constant([3.0, 0.0])
  clipped = optimizer._clip_gradients(
      [_sparse([2, 2], [[2, 0, 0], [2, 0, 0]]), dense_part])
  # Row 2 sums to (4, 0, 0): global norm sqrt(16 + 9) = 5, so scale 1/5.
  np.testing.assert_allclose(tf.convert_to_tensor(clipped[0]).numpy()[2],
                             [0.8, 0, 0], rtol=1e-6)
  np.testing.assert_allclose(clipped[1].numpy(), [0.6, 0], rtol=1e-6)
