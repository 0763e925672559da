"""The EmbeddingMatrix artifact and how its files are laid out and read.

The type name has the ``ner.`` prefix the Kubeflow v2 / Vertex compiler needs
for custom types. Downstream components (Transform, Trainer) receive the
artifact as an input channel, so lineage records which vectors a model used;
their executors hand its URI to user code through ``custom_config``.
"""

import io
import json
import os
from typing import Any, Dict, List

import numpy as np
import tensorflow as tf
from tfx.types import artifact, artifact_utils

VOCAB_FILE = 'vocab.txt'
MATRIX_FILE = 'embeddings.npy'
STATS_FILE = 'stats.json'
EMBEDDING_KEY = 'embedding'
URI_CONFIG_KEY = 'embedding_uri'  # key added to custom_config


class EmbeddingMatrix(artifact.Artifact):
  """Vocabulary (one word per line, line = row) plus a float32 matrix."""
  TYPE_NAME = 'ner.EmbeddingMatrix'


def write(uri: str, vocab_rows: List[str], matrix: np.ndarray,
          stats: Dict[str, Any]) -> None:
  tf.io.gfile.makedirs(uri)
  with tf.io.gfile.GFile(os.path.join(uri, VOCAB_FILE), 'w') as f:
    f.write('\n'.join(vocab_rows) + '\n')
  buf = io.BytesIO()
  np.save(buf, matrix)
  with tf.io.gfile.GFile(os.path.join(uri, MATRIX_FILE), 'wb') as f:
    f.write(buf.getvalue())
  with tf.io.gfile.GFile(os.path.join(uri, STATS_FILE), 'w') as f:
    json.dump(stats, f, indent=2, sort_keys=True)


def vocab_file(uri: str) -> str:
  return os.path.join(uri, VOCAB_FILE)


def load_matrix(uri: str) -> np.ndarray:
  with tf.io.gfile.GFile(os.path.join(uri, MATRIX_FILE), 'rb') as f:
    return np.load(io.BytesIO(f.read()))


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
