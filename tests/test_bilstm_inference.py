import keras
import numpy as np
import pytest
import tensorflow as tf

from models import bilstm_inference, features
from models import model as model_lib
from models.config import TrainerConfig
from models.preprocessing import MAX_WORD_CHARS


def _batch(seed):
  """Three sentences of 6, 3 and 1 tokens padded to 6, random characters."""
  rng = np.random.default_rng(seed)
  ids = np.array([[1, 2, 3, 4, 5, 6], [7, 8, 9, 0, 0, 0],
                  [10, 0, 0, 0, 0, 0]], np.int64)
  chars = rng.integers(1, 12, size=ids.shape + (MAX_WORD_CHARS,))
  return {features.TOKEN_IDS: ids,
          features.CASING: rng.integers(0, 3, size=ids.shape),
          features.CHAR_IDS: (chars * (ids[..., None] > 0)).astype(np.int64)}


@pytest.mark.parametrize('layers', [1, 2])
@pytest.mark.parametrize('use_crf', [True, False])
def test_outputs_are_the_keras_models_at_every_token(layers, use_crf):
  rng = np.random.default_rng(layers)
  matrix = rng.normal(size=(30, 6)).astype(np.float32)
  keras.utils.set_random_seed(0)
  m = model_lib.build_model(matrix, 5, 12, TrainerConfig(
      lstm_units=7, lstm_layers=layers, crf=use_crf))
  # Large recurrent weights, so that a state carried across a sentence's
  # end or into its start would show.
  for w in m.weights:
    if 'lstm' in w.path:
      w.assign(rng.normal(size=w.shape))
  x = _batch(layers)
  mask = x[features.TOKEN_IDS] > 0
  expected = m(x, training=False).numpy()
  got = bilstm_inference.outputs(m, x, mask.sum(axis=1)).numpy()
  np.testing.assert_allclose(got[mask], expected[mask], atol=1e-5)
  # Each sentence alone, unpadded, gives the same too.
  for row in range(3):
    n = int(mask[row].sum())
    alone = {k: v[row:row + 1, :n] for k, v in x.items()}
    np.testing.assert_allclose(
        bilstm_inference.outputs(m, alone, [n]).numpy()[0],
        expected[row, :n], atol=1e-5)
  # The backward direction starts at each sentence's last token: taking
  # the padding for tokens changes the short sentences.
  wrong = bilstm_inference.outputs(m, x, [6, 6, 6]).numpy()
  assert not np.allclose(wrong[1, :3], expected[1, :3], atol=1e-3)


def test_other_recurrent_layers_are_refused():
  layer = keras.layers.Bidirectional(
      keras.layers.LSTM(3, return_sequences=True), merge_mode='sum')
  layer.build((None, None, 4))
  with pytest.raises(ValueError, match="merge mode 'sum'"):
    bilstm_inference.bidirectional(layer, tf.zeros([2, 1, 4]), [2])
  layer = keras.layers.Bidirectional(
      keras.layers.LSTM(3, return_sequences=True, activation='relu'))
  layer.build((None, None, 4))
  with pytest.raises(ValueError, match='tanh'):
    bilstm_inference.bidirectional(layer, tf.zeros([2, 1, 4]), [2])
