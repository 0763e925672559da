"""The files of an EmbeddingMatrix artifact: how they are laid out, written
and read (through ``tf.io.gfile``, so on ``gs://`` too).

The Transform and Trainer code finds the artifact's URI in its
``custom_config`` under ``URI_KEY``.
"""

import io
import json
import os
from typing import Any, Dict, List, Optional

import numpy as np
import tensorflow as tf

from models import atomic

VOCAB_FILE = 'vocab.txt'
MATRIX_FILE = 'embeddings.npy'
HAS_VECTOR_FILE = 'has_vector.npy'  # per row: True where a vector was found
STATS_FILE = 'stats.json'
URI_KEY = 'embedding_uri'  # the artifact's URI in custom_config


def _save_array(path: str, array: np.ndarray) -> None:
  buf = io.BytesIO()
  np.save(buf, array)
  atomic.write(path, buf.getvalue())


def _load_array(path: str) -> np.ndarray:
  with tf.io.gfile.GFile(path, 'rb') as f:
    return np.load(io.BytesIO(f.read()))


def write(uri: str, vocab_rows: List[str], matrix: np.ndarray,
          stats: Dict[str, Any],
          has_vector: Optional[np.ndarray] = None) -> None:
  tf.io.gfile.makedirs(uri)
  atomic.write(os.path.join(uri, VOCAB_FILE), '\n'.join(vocab_rows) + '\n')
  _save_array(os.path.join(uri, MATRIX_FILE), matrix)
  if has_vector is not None:
    _save_array(os.path.join(uri, HAS_VECTOR_FILE), has_vector)
  atomic.write(os.path.join(uri, STATS_FILE),
               json.dumps(stats, indent=2, sort_keys=True))


def vocab_file(uri: str) -> str:
  return os.path.join(uri, VOCAB_FILE)


def load_matrix(uri: str) -> np.ndarray:
  return _load_array(os.path.join(uri, MATRIX_FILE))


def load_has_vector(uri: str) -> Optional[np.ndarray]:
  """Rows that hold a learnt or loaded vector (not a random one); None for
  artifacts written before the file existed."""
  path = os.path.join(uri, HAS_VECTOR_FILE)
  return _load_array(path) if tf.io.gfile.exists(path) else None


def load_vocab(uri: str) -> List[str]:
  with tf.io.gfile.GFile(vocab_file(uri), 'r') as f:
    return f.read().split('\n')[:-1]


def load_stats(uri: str) -> Dict[str, Any]:
  with tf.io.gfile.GFile(os.path.join(uri, STATS_FILE), 'r') as f:
    return json.load(f)
