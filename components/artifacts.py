"""The EmbeddingMatrix artifact and how its files are laid out and read.

The type name has the ``ner.`` prefix the Kubeflow v2 / Vertex compiler needs
for custom types. Downstream components (Transform, Trainer) receive the
artifact as an input channel, so lineage records which vectors a model used;
their executors hand its URI to user code through ``custom_config``.
"""

import io
import json
import os
from typing import Any, Dict, List, Optional

import numpy as np
import tensorflow as tf
from tfx.types import artifact, artifact_utils

VOCAB_FILE = 'vocab.txt'
MATRIX_FILE = 'embeddings.npy'
HAS_VECTOR_FILE = 'has_vector.npy'  # per row: True where a vector was found
STATS_FILE = 'stats.json'
EMBEDDING_KEY = 'embedding'
URI_CONFIG_KEY = 'embedding_uri'  # key added to custom_config


class EmbeddingMatrix(artifact.Artifact):
  """Vocabulary (one word per line, line = row) plus a float32 matrix."""
  TYPE_NAME = 'ner.EmbeddingMatrix'


def _save_array(path: str, array: np.ndarray) -> None:
  buf = io.BytesIO()
  np.save(buf, array)
  with tf.io.gfile.GFile(path, 'wb') as f:
    f.write(buf.getvalue())


def _load_array(path: str) -> np.ndarray:
  with tf.io.gfile.GFile(path, 'rb') as f:
    return np.load(io.BytesIO(f.read()))


def write(uri: str, vocab_rows: List[str], matrix: np.ndarray,
          stats: Dict[str, Any],
          has_vector: Optional[np.ndarray] = None) -> None:
  tf.io.gfile.makedirs(uri)
  with tf.io.gfile.GFile(os.path.join(uri, VOCAB_FILE), 'w') as f:
    f.write('\n'.join(vocab_rows) + '\n')
  _save_array(os.path.join(uri, MATRIX_FILE), matrix)
  if has_vector is not None:
    _save_array(os.path.join(uri, HAS_VECTOR_FILE), has_vector)
  with tf.io.gfile.GFile(os.path.join(uri, STATS_FILE), 'w') as f:
    json.dump(stats, f, indent=2, sort_keys=True)


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


def with_embedding_uri(input_dict: Dict[str, List[artifact.Artifact]],
                       exec_properties: Dict[str, Any]) -> Dict[str, Any]:
  """exec_properties whose JSON custom_config also names the embedding URI."""
  embedding = artifact_utils.get_single_instance(input_dict[EMBEDDING_KEY])
  config = json.loads(exec_properties.get('custom_config') or 'null') or {}
  config[URI_CONFIG_KEY] = embedding.uri
  return dict(exec_properties, custom_config=json.dumps(config))
