"""``ner-pipeline schema``: a schema for data with entity types of its own.

The standard TFX path: ConllExampleGen, StatisticsGen and SchemaGen run on
the training file, in a throwaway pipeline. The tag values SchemaGen found
then replace the tag domain of the curated schema (whose other constraints
SchemaGen would not infer: every sentence has tokens and tags, all of the
tags in the domain), and the result is written for the user to review and
keep; later runs and retrains validate against it with ``--schema-dir``.
"""

import datetime
import os
import tempfile
from typing import List

import tensorflow as tf
from google.protobuf import text_format
from tfx import v1 as tfx

from components.conll_example_gen import for_one_file
from models import atomic, conll, features
from pipeline import data_check
from pipeline.config import IN_MEMORY_BEAM_ARGS, default_schema_dir


def _inferred_tags(train: str, encoding: str, tag_scheme: str,
                   workdir: str) -> List[str]:
  example_gen = for_one_file(train, 'train', encoding=encoding,
                             tag_scheme=tag_scheme)
  statistics_gen = tfx.components.StatisticsGen(
      examples=example_gen.outputs['examples'])
  schema_gen = tfx.components.SchemaGen(
      statistics=statistics_gen.outputs['statistics'])
  tfx.orchestration.LocalDagRunner().run(tfx.dsl.Pipeline(
      pipeline_name='ner-schema', pipeline_root=os.path.join(workdir, 'root'),
      components=[example_gen, statistics_gen, schema_gen],
      metadata_connection_config=(
          tfx.orchestration.metadata.sqlite_metadata_connection_config(
              os.path.join(workdir, 'metadata.sqlite'))),
      beam_pipeline_args=list(IN_MEMORY_BEAM_ARGS)))
  found = tf.io.gfile.glob(os.path.join(workdir, 'root', 'SchemaGen', 'schema',
                                        '*', data_check.SCHEMA_FILE))
  tags = data_check.schema_tags(data_check.load_schema(os.path.dirname(
      found[0])))
  if not tags:
    raise conll.ConllFormatError(train, None, 'SchemaGen found no tags')
  return tags


def _ordered(tags: List[str]) -> List[str]:
  """O, then B- and I- of every type (both, whichever the file showed)."""
  types = sorted({t[2:] for t in tags if t != 'O'})
  return ['O'] + [f'{p}-{t}' for t in types for p in 'BI']


def write_schema(train: str, output_dir: str, encoding: str = 'utf-8',
                 tag_scheme: str = 'auto') -> str:
  """Infers the tag domain from ``train`` and writes
  ``output_dir/schema.pbtxt``; returns its path."""
  data_check.check_file(train, encoding, tag_scheme, None,
                        conll.MAX_SENTENCE_TOKENS)  # file:line errors first
  with tempfile.TemporaryDirectory(prefix='ner-schema-') as workdir:
    tags = _ordered(_inferred_tags(train, encoding, tag_scheme, workdir))
  schema = data_check.load_schema(default_schema_dir())
  domain = next(f.domain for f in schema.feature if f.name == features.TAGS)
  values = next(d for d in schema.string_domain if d.name == domain).value
  del values[:]
  values.extend(tags)
  path = os.path.join(output_dir, data_check.SCHEMA_FILE)
  tf.io.gfile.makedirs(output_dir)
  header = (f'# Written by "ner-pipeline schema" on '
            f'{datetime.date.today().isoformat()} from {train}: the curated\n'
            '# schema of this project with the tags SchemaGen found there.\n'
            '# Review it, keep it with your data and pass its folder as '
            '--schema-dir.\n')
  atomic.write(path, header + text_format.MessageToString(schema))
  return path
