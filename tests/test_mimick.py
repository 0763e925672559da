import numpy as np

from components import embeddings, features, mimick, model as model_lib
from components.preprocessing import MAX_WORD_CHARS
from pipeline.config import TrainerConfig

CHARS = ['a', 'B', 'b', '7', '0', 'É', 'o', 'v', 'x', 'k', 'e', 'n']


def test_lowering_table_maps_case_and_digits_to_the_vocabularys_form():
  table = mimick.lowering_table(CHARS)
  idx = {c: i + 1 for i, c in enumerate(CHARS)}
  assert table[0] == 0  # no character
  assert table[idx['B']] == idx['b']
  assert table[idx['7']] == idx['0']
  assert table[idx['É']] == idx['É']  # 'é' has no id of its own
  assert table[idx['a']] == idx['a']
  assert table[len(CHARS) + 1] == len(CHARS) + 1  # unseen characters
  np.testing.assert_array_equal(table[table], table)  # idempotent


def test_word_char_ids_number_normalised_characters_like_the_transform():
  ids = mimick.word_char_ids(['Bob7', 'x' * 30], CHARS)
  idx = {c: i + 1 for i, c in enumerate(CHARS)}
  unseen = len(CHARS) + 1
  assert ids.shape == (2, MAX_WORD_CHARS)
  assert ids[0, :5].tolist() == [idx['b'], idx['o'], idx['b'], idx['0'], 0]
  assert ids[1].tolist() == [idx['x']] * MAX_WORD_CHARS
  assert mimick.word_char_ids(['q'], CHARS)[0, 0] == unseen


def _spelling_data():
  """Words ending in -ov have one vector, words ending in -en another; one
  row without a vector holds a wild value that the fit must ignore."""
  rng = np.random.default_rng(0)
  stems = [''.join(rng.choice(list('abkxe'), size=3)) for _ in range(120)]
  rows = [embeddings.PAD, embeddings.UNK] + [s + 'ov' for s in stems[:60]] + [
      s + 'en' for s in stems[60:]] + ['kaxov']
  matrix = np.zeros((len(rows), 4), np.float32)
  matrix[2:62] = [1, 0, 0, 0]
  matrix[62:122] = [0, 1, 0, 0]
  matrix[-1] = [0, 0, 0, 50]
  has_vector = np.ones(len(rows), bool)
  has_vector[[0, 1, -1]] = False
  return rows, matrix, has_vector


def test_fit_learns_vectors_from_spelling_and_ignores_rows_without_one():
  rows, matrix, has_vector = _spelling_data()
  guesser = mimick.fit(matrix, rows, CHARS, has_vector, epochs=60)
  assert not guesser.trainable
  # Unseen words, capitalised as in running text: the table lowers them.
  ids = np.array([[[CHARS.index(c) + 1 for c in w] + [0] * (
      MAX_WORD_CHARS - len(w)) for w in ('Bexov', 'Bexen')]])
  ov, en = np.asarray(guesser(ids))[0]
  assert ov[0] > 0.7 and ov[1] < 0.3, ov
  assert en[1] > 0.7 and en[0] < 0.3, en
  assert abs(ov[3]) < 5 and abs(en[3]) < 5  # the wild row was left out
  # Random embeddings (no row has a vector): nothing to fit, no guesser.
  assert mimick.fit(matrix, rows, CHARS, np.zeros(len(rows), bool)) is None


def test_tagger_reads_guessed_vectors_for_unk_tokens_only():
  rows, matrix, has_vector = _spelling_data()
  guesser = mimick.fit(matrix, rows, CHARS, has_vector, epochs=2)
  config = TrainerConfig(lstm_units=4, char_filters=0, guess_oov=True)
  m = model_lib.build_model(matrix, 3, len(CHARS) + 2, config, guesser)
  plain = model_lib.build_model(matrix, 3, len(CHARS) + 2,
                                TrainerConfig(lstm_units=4, char_filters=0))

  def run(model, ids, chars):
    x = {features.TOKEN_IDS: np.array([ids]),
         features.CASING: np.ones((1, len(ids)), np.int64),
         features.CHAR_IDS: np.full((1, len(ids), MAX_WORD_CHARS), chars)}
    return np.asarray(model(x, training=False))

  unk, known = [embeddings.UNK_ID] * 2, [5, 6]
  # Without character features, only the guesser lets spelling through.
  assert not np.allclose(run(m, unk, 3), run(m, unk, 9))
  np.testing.assert_allclose(run(m, known, 3), run(m, known, 9))
  mixed = run(m, [5, embeddings.UNK_ID], 3)  # one guess among known words
  assert not np.allclose(mixed, run(m, [5, 6], 3))
  np.testing.assert_allclose(run(plain, unk, 3), run(plain, unk, 9))
