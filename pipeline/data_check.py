"""Checks the CoNLL files of a local run before any component starts, so
that a bad file ends in one ``file:line: problem`` line instead of a Beam
traceback minutes later; the same checks run again inside ConllExampleGen
and the ValidationGate (on Kubeflow and Vertex, only there)."""

import os
from typing import Dict, List, Optional

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

from models import conll, features

SCHEMA_FILE = 'schema.pbtxt'


def load_schema(schema_dir: str) -> schema_pb2.Schema:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  path = os.path.join(schema_dir, SCHEMA_FILE)
  if not tf.io.gfile.exists(path):
    raise conll.ConllFormatError(path, None, 'no such schema file')
  with tf.io.gfile.GFile(path) as f:
    return text_format.Parse(f.read(), schema_pb2.Schema())


def schema_tags(schema: schema_pb2.Schema) -> Optional[List[str]]:
  """The tag values the schema allows, or None when it sets none."""
  feature = next((f for f in schema.feature if f.name == features.TAGS), None)
  if feature is None or not feature.domain:
    return None
  domain = next((d for d in schema.string_domain
                 if d.name == feature.domain), None)
  return list(domain.value) if domain else None


def check_file(path: str, encoding: str, scheme: str,
               allowed_tags: Optional[List[str]], max_tokens: int) -> Dict:
  """Parses a CoNLL file whole; raises ConllFormatError at the first
  problem, a tag outside the schema included. Returns its counts."""
  allowed = set(allowed_tags) if allowed_tags is not None else None
  counts = {'sentences': 0, 'tokens': 0, 'sentences_cut': 0}
  for sentence in conll.read_file(path, encoding, scheme):
    counts['sentences'] += 1
    counts['tokens'] += len(sentence.tokens)
    counts['sentences_cut'] += len(sentence.tokens) > max_tokens
    if allowed is None:
      continue
    for i, tag in enumerate(sentence.tags):
      if tag not in allowed:
        types = sorted({t[2:] for t in allowed if t != 'O'})
        raise conll.ConllFormatError(
            path, sentence.line + i,
            f'entity type {tag[2:]!r} is not in the schema, which has '
            f'{", ".join(types)}; to train on the types of your data, run '
            f'"ner-pipeline schema --train {path} --output DIR", review '
            'DIR/schema.pbtxt and pass --schema-dir DIR (or give '
            '--infer-schema)')
  return counts


def check_files(files: Dict[str, str], encoding: str, scheme: str,
                schema_dir: str, max_tokens: int) -> Dict[str, Dict]:
  """``check_file`` for each split's file (local or gs:// paths)."""
  allowed = schema_tags(load_schema(schema_dir))
  return {split: check_file(path, encoding, scheme, allowed, max_tokens)
          for split, path in files.items() if path}
