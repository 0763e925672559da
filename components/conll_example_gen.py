"""ConllExampleGen: a FileBasedExampleGen whose executor reads CoNLL files.

Keeping the stock FileBasedExampleGen (driver, spans, versions, output layout)
and replacing only the executor means span patterns such as
``span-{SPAN}/train.conll`` and caching behave as for any TFX ExampleGen. A
CoNLL file is parsed whole by one worker, because sentences run across lines
and error messages must carry line numbers; files are spread across workers.
"""

import os
from typing import Any, Dict, Iterator

import apache_beam as beam
import tensorflow as tf
from google.protobuf import any_pb2, json_format, struct_pb2
from tfx.components.example_gen import base_example_gen_executor
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2

from components import conll, features


def _options(exec_properties: Dict[str, Any]) -> Dict[str, Any]:
  raw = exec_properties.get('custom_config')
  if not raw:
    return {}
  config = example_gen_pb2.CustomConfig()
  if isinstance(raw, str):
    json_format.Parse(raw, config)
  else:
    config.CopyFrom(raw)
  struct = struct_pb2.Struct()
  if config.custom_config.Is(struct_pb2.Struct.DESCRIPTOR):
    config.custom_config.Unpack(struct)
  return json_format.MessageToDict(struct)


def _parse_file(path: str, encoding: str,
                scheme: str) -> Iterator[tf.train.Example]:
  for sentence in conll.read_file(path, encoding=encoding, scheme=scheme):
    yield features.to_example(sentence)


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def _ConllToExample(pipeline: beam.Pipeline, exec_properties: Dict[str, Any],
                    split_pattern: str) -> beam.pvalue.PCollection:
  options = _options(exec_properties)
  pattern = os.path.join(exec_properties['input_base'], split_pattern)
  files = sorted(tf.io.gfile.glob(pattern))
  if not files:
    raise FileNotFoundError(f'no CoNLL file matches {pattern}')
  return (pipeline
          | 'Files' >> beam.Create(files)
          | 'Reshuffle' >> beam.Reshuffle()
          | 'Parse' >> beam.FlatMap(
              _parse_file, options.get('encoding', 'utf-8'),
              options.get('tag_scheme', 'auto')))


class Executor(base_example_gen_executor.BaseExampleGenExecutor):

  def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
    return _ConllToExample


class ConllExampleGen(FileBasedExampleGen):
  """Reads CoNLL files (split patterns relative to ``input_base``).

  Args:
    input_base: directory the split patterns are relative to.
    input_config: example_gen_pb2.Input with one split per file pattern.
    encoding: text encoding of the files (utf-8, latin-1, ...).
    tag_scheme: auto, iob1, iob2 or bioes; tags are written as IOB2.
  """

  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

  def __init__(self, input_base: str, input_config: example_gen_pb2.Input,
               encoding: str = 'utf-8', tag_scheme: str = 'auto', **kwargs):
    if tag_scheme not in conll.SCHEMES:
      raise ValueError(f'tag_scheme must be one of {conll.SCHEMES}')
    ''.encode(encoding)  # fail now on an unknown encoding name
    struct = struct_pb2.Struct()
    struct.update({'encoding': encoding, 'tag_scheme': tag_scheme})
    packed = any_pb2.Any()
    packed.Pack(struct)
    super().__init__(
        input_base=input_base, input_config=input_config,
        custom_config=example_gen_pb2.CustomConfig(custom_config=packed),
        **kwargs)


def input_config(patterns: Dict[str, str]) -> example_gen_pb2.Input:
  """An Input proto with one split per (name, pattern)."""
  return example_gen_pb2.Input(splits=[
      example_gen_pb2.Input.Split(name=name, pattern=pattern)
      for name, pattern in patterns.items()])

