"""Artifact types and channel keys of the project's components.

The type name has the ``ner.`` prefix that the Kubeflow v2 / Vertex compiler
needs for custom types. Transform and Trainer receive the embedding as an input
channel, so lineage records which vectors a model used; their executors hand
its URI to the model code through ``custom_config``
(``models.embedding_files.URI_KEY``).
"""

import json
from typing import Any, Dict, List

from tfx.types import artifact, artifact_utils

from models import embedding_files

EMBEDDING_KEY = 'embedding'  # the channel of an EmbeddingMatrix


class EmbeddingMatrix(artifact.Artifact):
  """Vocabulary (one word per line, line = row) plus a float32 matrix; the
  files are laid out by ``models.embedding_files``."""
  TYPE_NAME = 'ner.EmbeddingMatrix'


def with_embedding_uri(input_dict: Dict[str, List[artifact.Artifact]],
                       exec_properties: Dict[str, Any]) -> Dict[str, Any]:
  """exec_properties whose JSON custom_config also names the embedding URI."""
  embedding = artifact_utils.get_single_instance(input_dict[EMBEDDING_KEY])
  config = json.loads(exec_properties.get('custom_config') or 'null') or {}
  config[embedding_files.URI_KEY] = embedding.uri
  return dict(exec_properties, custom_config=json.dumps(config))
