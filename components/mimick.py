"""Vectors for out-of-vocabulary words, guessed from their characters.

Most names in unseen text have no Word2Vec vector and would all share the
``<UNK>`` row. A small character CNN is fitted to reproduce the Word2Vec
vectors of the vocabulary from the words' spelling (the "Mimick" idea of
Pinter et al. 2017), so it carries what the unlabelled text taught about
spellings (``-ovic``, ``-burg``, ``-corp``) to words it never showed. The
tagger then reads the guessed vector wherever the lookup gave ``<UNK>``;
word dropout puts such guesses into training too, so the tagger learns to use
them. The network is frozen inside the tagger and exported with it.
"""

import logging
from typing import Dict, List, Optional, Sequence

import keras
import numpy as np

from components import embeddings
from components.preprocessing import MAX_WORD_CHARS


def _char_index(char_names: Sequence[str]) -> Dict[str, int]:
  """Character -> id as the Transform numbers them (0 is none)."""
  return {c: i + 1 for i, c in enumerate(char_names)}


def lowering_table(char_names: Sequence[str]) -> np.ndarray:
  """Maps each character id (0 = none, 1..V = ``char_names``, V+1 = unseen)
  to the id of the same character lower-cased with digits as 0, the
  normalisation of the vocabulary's words; characters whose normalised form
  has no id of its own keep theirs."""
  index = _char_index(char_names)
  table = np.arange(len(char_names) + 2, dtype=np.int64)
  for c, i in index.items():
    table[i] = index.get(embeddings.normalize(c), i)
  return table


def word_char_ids(words: Sequence[str], char_names: Sequence[str]) -> np.ndarray:
  """[len(words), MAX_WORD_CHARS] character ids of normalised words, as the
  Transform's ``char_ids`` numbers characters."""
  index = _char_index(char_names)
  unseen = len(char_names) + 1
  ids = np.zeros((len(words), MAX_WORD_CHARS), dtype=np.int64)
  for row, word in enumerate(words):
    for col, c in enumerate(embeddings.normalize(word)[:MAX_WORD_CHARS]):
      ids[row, col] = index.get(c, unseen)
  return ids


def build(lowering: np.ndarray, dim: int, filters: int = 200,
          char_dim: int = 25) -> keras.Model:
  """Character ids [batch, time, chars] as the Transform gives them ->
  guessed vectors [batch, time, dim]; ``lowering`` (``lowering_table``)
  normalises the characters first."""
  chars = keras.Input(shape=(None, MAX_WORD_CHARS), dtype='int64')
  x = keras.ops.take(lowering, chars)
  x = keras.layers.Embedding(len(lowering), char_dim)(x)
  x = keras.layers.Conv2D(filters, (1, 3), padding='same',
                          activation='tanh')(x)
  x = keras.ops.max(x, axis=2)
  x = keras.layers.Dense(filters, activation='tanh')(x)
  return keras.Model(chars, keras.layers.Dense(dim)(x), name='mimick')


def fit(matrix: np.ndarray, rows: List[str], char_names: Sequence[str],
        has_vector: Optional[np.ndarray] = None, epochs: int = 20,
        seed: int = 0) -> Optional[keras.Model]:
  """A frozen network fitted to the rows of ``matrix`` (``rows``: vocab.txt,
  row i = line i) that hold a vector (all words when ``has_vector`` is
  None), mean squared error, from the words' normalised spellings; None when
  no row holds one (``--embedding random``): there is nothing to mimic."""
  keras.utils.set_random_seed(seed)
  keep = np.arange(len(rows)) >= 2  # not <PAD>, <UNK>
  if has_vector is not None:
    keep &= has_vector
  words = [w for w, k in zip(rows, keep) if k]
  if not words:
    logging.info('Mimick: no word vectors to fit; <UNK> stays one row')
    return None
  targets = matrix[keep][:, None, :]
  ids = word_char_ids(words, char_names)[:, None, :]
  model = build(lowering_table(char_names), matrix.shape[1])
  model.compile(optimizer=keras.optimizers.Adam(0.002), loss='mse')
  history = model.fit(ids, targets, batch_size=256, epochs=epochs,
                      shuffle=True, verbose=0)
  baseline = float(np.mean((targets - targets.mean(axis=0)) ** 2))
  logging.info('Mimick: fitted to %d word vectors, mean squared error %.4f '
               '(%.4f for the mean vector)', len(words),
               history.history['loss'][-1], baseline)
  model.trainable = False
  return model
