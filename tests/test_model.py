import keras
import numpy as np
import pytest
import tensorflow as tf

from models import crf, features, model as model_lib
from models.config import TrainerConfig
from models.preprocessing import MAX_WORD_CHARS


def _inputs(ids, chars=None):
  ids = np.array(ids, dtype=np.int64)
  if chars is None:
    chars = np.where(ids[..., None] > 0, 3, 0) * np.ones(
        ids.shape + (MAX_WORD_CHARS,), np.int64)
  return {features.TOKEN_IDS: ids, features.CASING: np.ones_like(ids),
          features.CHAR_IDS: chars}


def test_embedding_initialised_from_matrix_static_or_fine_tuned():
  matrix = np.random.default_rng(0).normal(size=(10, 6)).astype(np.float32)
  matrix[0] = 0
  for trainable in (True, False):
    m = model_lib.build_model(matrix, 5, 12, TrainerConfig(
        static_embeddings=not trainable, lstm_units=4, crf=False))
    layer = m.get_layer('word_embedding')
    np.testing.assert_array_equal(layer.get_weights()[0], matrix)
    assert layer.trainable is trainable
    out = m(_inputs([[1, 2, 3]]))
    assert out.shape == (1, 3, 5)
    np.testing.assert_allclose(np.sum(out, -1), 1.0, rtol=1e-5)


def test_static_embedding_does_not_change_in_training():
  matrix = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(
      static_embeddings=True, lstm_units=4, learning_rate=0.1))
  x = _inputs([[1, 2, 3, 0]])
  m.fit(x, np.array([[0, 1, 2, 0]]), sample_weight=np.array([[1, 1, 1, 0.]]),
        verbose=0, epochs=2)
  np.testing.assert_array_equal(
      m.get_layer('word_embedding').get_weights()[0], matrix)


def test_gradients_are_clipped_by_their_global_norm():
  matrix = np.zeros((8, 4), np.float32)
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(lstm_units=4))
  assert m.optimizer.global_clipnorm == TrainerConfig().clip_norm == 1.0
  assert m.optimizer.clipnorm is None  # not per weight
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(lstm_units=4,
                                                        clip_norm=0))
  assert m.optimizer.global_clipnorm is None


def test_padding_is_masked():
  matrix = np.random.default_rng(2).normal(size=(8, 4)).astype(np.float32)
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(lstm_units=4))
  short = m(_inputs([[4, 5, 0, 0]]), training=False).numpy()
  longer = m(_inputs([[4, 5, 0, 0, 0, 0]]), training=False).numpy()
  np.testing.assert_allclose(short[0, :2], longer[0, :2], rtol=1e-5)


def test_stacked_bilstms_keep_the_padding_mask():
  matrix = np.random.default_rng(5).normal(size=(8, 4)).astype(np.float32)
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(lstm_units=4,
                                                        lstm_layers=2))
  assert [l.name for l in m.layers if l.name.startswith('bilstm')] == [
      'bilstm', 'bilstm_2']
  short = m(_inputs([[4, 5, 0, 0]]), training=False).numpy()
  longer = m(_inputs([[4, 5, 0, 0, 0, 0]]), training=False).numpy()
  np.testing.assert_allclose(short[0, :2], longer[0, :2], rtol=1e-5)
  with pytest.raises(ValueError, match='lstm_layers'):
    TrainerConfig(lstm_layers=0)


def test_characters_reach_the_output_and_can_be_switched_off():
  matrix = np.random.default_rng(3).normal(size=(8, 4)).astype(np.float32)
  x = _inputs([[4, 5]])
  other = dict(x, **{features.CHAR_IDS: x[features.CHAR_IDS] + 5})
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(lstm_units=4))
  assert not np.allclose(m(x), m(other))
  plain = model_lib.build_model(matrix, 3, 12, TrainerConfig(
      lstm_units=4, char_filters=0))
  np.testing.assert_allclose(plain(x), plain(other))


def test_crf_tagger_learns_transitions_and_decodes():
  matrix = np.random.default_rng(4).normal(size=(8, 4)).astype(np.float32)
  m = model_lib.build_model(matrix, 3, 12, TrainerConfig(
      lstm_units=8, crf=True, learning_rate=0.05, dropout=0.0))
  x = _inputs([[1, 2, 3, 0], [4, 5, 0, 0]])
  y = np.array([[1, 2, 0, 0], [1, 2, 0, 0]])
  w = (x[features.TOKEN_IDS] > 0).astype(np.float32)
  history = m.fit(x, y, sample_weight=w, epochs=30, verbose=0)
  assert history.history['loss'][-1] < history.history['loss'][0] / 4
  ids = model_lib.tag_ids([m], x, w > 0).numpy()
  assert ids[0, :3].tolist() == [1, 2, 0] and ids[1, :2].tolist() == [1, 2]
  assert np.abs(m.get_layer('crf').transitions.numpy()).sum() > 0


def test_repair_iob2():
  tags = tf.constant([['I-PER', 'I-PER', 'O', 'I-LOC', 'B-ORG', 'I-LOC', 'O'],
                      ['O', 'B-MISC', 'I-MISC', 'I-PER', 'O', 'O', 'O']])
  fixed = model_lib.repair_iob2(tags).numpy().astype(str).tolist()
  assert fixed == [['B-PER', 'I-PER', 'O', 'B-LOC', 'B-ORG', 'B-LOC', 'O'],
                   ['O', 'B-MISC', 'I-MISC', 'B-PER', 'O', 'O', 'O']]


def test_repair_iob2_reads_bioes():
  tags = tf.constant([['S-PER', 'B-ORG', 'I-ORG', 'E-ORG', 'S-ORG', 'O'],
                      ['E-LOC', 'O', 'B-MISC', 'E-MISC', 'E-MISC', 'O']])
  fixed = model_lib.repair_iob2(tags).numpy().astype(str).tolist()
  assert fixed == [['B-PER', 'B-ORG', 'I-ORG', 'I-ORG', 'B-ORG', 'O'],
                   ['B-LOC', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O']]


def test_word_dropout_replaces_words_by_unk_in_training_only():
  layer = model_lib.WordDropout(0.5, unk_id=1, seed=3)
  ids = np.tile(np.array([[5, 6, 7, 8, 9, 0, 0]], np.int64), (200, 1))
  dropped = np.asarray(layer(ids, training=True))
  assert (dropped[:, 5:] == 0).all()  # padding is never touched
  replaced = dropped[:, :5] == 1
  assert 0.4 < replaced.mean() < 0.6
  assert ((dropped[:, :5] == ids[:, :5]) | replaced).all()
  np.testing.assert_array_equal(layer(ids, training=False), ids)
  np.testing.assert_array_equal(
      model_lib.WordDropout(0.0, unk_id=1)(ids, training=True), ids)


def test_ensemble_decodes_the_mean_of_its_members_scores():
  matrix = np.random.default_rng(2).normal(size=(10, 4)).astype(np.float32)
  x = _inputs([[1, 2, 3, 4, 0], [5, 6, 0, 0, 0]])
  mask = x[features.TOKEN_IDS] > 0
  for use_crf in (True, False):
    members = []
    for seed in (0, 1):
      keras.utils.set_random_seed(seed)
      m = model_lib.build_model(matrix, 3, 12, TrainerConfig(
          lstm_units=4, crf=use_crf))
      if use_crf:
        crf_layer = m.get_layer('crf')
        for w in (crf_layer.transitions, crf_layer.start, crf_layer.end):
          w.assign(np.random.default_rng(seed).normal(size=w.shape) * 3)
      members.append(m)
    # An ensemble of one member is that member; of two identical members too.
    one = model_lib.tag_ids(members[:1], x, mask).numpy()
    np.testing.assert_array_equal(
        model_lib.tag_ids([members[0]] * 2, x, mask), one)
    outs = [m(x, training=False).numpy() for m in members]
    both = model_lib.tag_ids(members, x, mask).numpy()
    if use_crf:
      c = [m.get_layer('crf') for m in members]
      mean = lambda name: (getattr(c[0], name) + getattr(c[1], name)) / 2
      expected = crf.viterbi_decode((outs[0] + outs[1]) / 2, mask,
                                    mean('transitions'), mean('start'),
                                    mean('end')).numpy()
    else:
      expected = np.argmax(outs[0] + outs[1], axis=-1)
    # Tags at padding mean nothing (the export writes 'O' there).
    np.testing.assert_array_equal(np.where(mask, both, -1),
                                  np.where(mask, expected, -1))
