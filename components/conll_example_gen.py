"""ConllExampleGen: a FileBasedExampleGen whose executor reads CoNLL files.

Keeping the stock FileBasedExampleGen (driver, spans, versions, output layout)
and replacing only the executor means span patterns such as
``span-{SPAN}/train.conll`` and caching behave as for any TFX ExampleGen. A
CoNLL file is parsed whole by one worker, because sentences run across lines
and error messages must carry line numbers; files are spread across workers.
"""

import logging
import os
import re
from typing import Any, Dict, Iterator, List

import apache_beam as beam
import tensorflow as tf
from google.protobuf import any_pb2, json_format, struct_pb2
from tfx.components.example_gen import base_example_gen_executor
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2

from components import code_version
from models import conll, features
from models.config import TAG_SCHEMES


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


def _parse_file(path: str, encoding: str, scheme: str, text_lines: bool,
                max_tokens: int) -> Iterator[tf.train.Example]:
  if text_lines:  # raw text to tag: one example per non-blank line
    for line in conll.read_lines(path, encoding):
      if line.strip():
        yield features.text_example(line)
    return
  cut = beam.metrics.Metrics.counter('ConllExampleGen', 'sentences_cut')
  for sentence in conll.read_file(path, encoding=encoding, scheme=scheme):
    parts = conll.split_long(sentence, max_tokens)
    if len(parts) > 1:
      cut.inc()
      logging.warning('%s:%d: a sentence of %d tokens was cut into %d parts '
                      'of at most %d tokens (max_sentence_tokens)', path,
                      sentence.line, len(sentence.tokens), len(parts),
                      max_tokens)
    for part in parts:
      yield features.to_example(part)


_SPAN = re.compile(r'\{SPAN(?::(\d+))?\}')


def with_span(pattern: str, span: int) -> str:
  """A pattern with its {SPAN} / {SPAN:width} spec replaced by ``span``."""
  return _SPAN.sub(lambda m: str(span).zfill(int(m.group(1) or 0)), pattern)


def window_patterns(resolved: str, originals: List[str], span: int,
                    window: int) -> List[str]:
  """Patterns of the ``window`` newest spans up to ``span``.

  The driver hands the executor the pattern already resolved to the newest
  span; the original (with {SPAN}) tells how to name the older ones.
  """
  for original in originals:
    regex = r'\d+'.join(map(re.escape, _SPAN.sub('\0', original).split('\0')))
    if _SPAN.search(original) and re.fullmatch(regex, resolved):
      first = max(0, span - window + 1)
      return [with_span(original, s) for s in range(first, span + 1)]
  return [resolved]


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def _ConllToExample(pipeline: beam.Pipeline, exec_properties: Dict[str, Any],
                    split_pattern: str) -> beam.pvalue.PCollection:
  options = _options(exec_properties)
  patterns = [split_pattern]
  window = int(options.get('span_window', 1))
  if window > 1 and exec_properties.get('span') is not None:
    patterns = window_patterns(split_pattern, options.get('patterns', []),
                               int(exec_properties['span']), window)
  files = sorted({f for p in patterns for f in tf.io.gfile.glob(
      os.path.join(exec_properties['input_base'], p))})
  if not files:
    raise FileNotFoundError('no CoNLL file matches ' + ', '.join(
        os.path.join(exec_properties['input_base'], p) for p in patterns))
  return (pipeline
          | 'Files' >> beam.Create(files)
          | 'Reshuffle' >> beam.Reshuffle()
          | 'Parse' >> beam.FlatMap(
              _parse_file, options.get('encoding', 'utf-8'),
              options.get('tag_scheme', 'auto'),
              bool(options.get('text_lines', False)),
              int(options.get('max_sentence_tokens',
                              conll.MAX_SENTENCE_TOKENS))))


class Executor(base_example_gen_executor.BaseExampleGenExecutor):

  def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
    return _ConllToExample


class ConllExampleGen(FileBasedExampleGen):
  """Reads CoNLL files (split patterns relative to ``input_base``).

  Args:
    input_base: directory the split patterns are relative to.
    input_config: example_gen_pb2.Input with one split per file pattern;
      patterns may hold {SPAN} (the newest span is taken, as in TFX).
    encoding: text encoding of the files (utf-8, latin-1, ...).
    tag_scheme: auto, iob1, iob2 or bioes; tags are written as IOB2.
    span_window: with {SPAN} patterns, read the newest N spans together (a
      rolling window); the output artifact carries the newest span number.
    text_lines: the files are raw text to tag, not CoNLL: one example with a
      ``text`` feature per non-blank line (the input of BulkInferrer).
    max_sentence_tokens: longer sentences are cut into parts of at most this
      many tokens, never inside an entity that fits (``conll.split_long``),
      with a warning naming the line.
  """

  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

  def __init__(self, input_base: str, input_config: example_gen_pb2.Input,
               encoding: str = 'utf-8', tag_scheme: str = 'auto',
               span_window: int = 1, text_lines: bool = False,
               max_sentence_tokens: int = conll.MAX_SENTENCE_TOKENS,
               **kwargs):
    if tag_scheme not in TAG_SCHEMES:
      raise ValueError(f'tag_scheme must be one of {TAG_SCHEMES}')
    ''.encode(encoding)  # fail now on an unknown encoding name
    struct = struct_pb2.Struct()
    if span_window < 1:
      raise ValueError('span_window must be at least 1')
    if max_sentence_tokens < 1:
      raise ValueError('max_sentence_tokens must be at least 1')
    struct.update({'encoding': encoding, 'tag_scheme': tag_scheme,
                   'span_window': span_window, 'text_lines': text_lines,
                   'max_sentence_tokens': max_sentence_tokens,
                   code_version.KEY: code_version.current(),
                   'patterns': [s.pattern for s in input_config.splits]})
    packed = any_pb2.Any()
    packed.Pack(struct)
    super().__init__(
        input_base=input_base, input_config=input_config,
        custom_config=example_gen_pb2.CustomConfig(custom_config=packed),
        **kwargs)


def for_one_file(path: str, split: str, **kwargs) -> ConllExampleGen:
  """A ConllExampleGen of one file (local or gs://) as one output split,
  which an ExampleGen would otherwise cut into train and eval."""
  path = path if '://' in path else os.path.abspath(path)
  folder, name = path.rsplit('/', 1)
  return ConllExampleGen(
      input_base=folder or '/', input_config=input_config({split: name}),
      output_config=example_gen_pb2.Output(
          split_config=example_gen_pb2.SplitConfig(splits=[
              example_gen_pb2.SplitConfig.Split(name=split,
                                                hash_buckets=1)])),
      **kwargs)


def input_config(patterns: Dict[str, str]) -> example_gen_pb2.Input:
  """An Input proto with one split per (name, pattern)."""
  return example_gen_pb2.Input(splits=[
      example_gen_pb2.Input.Split(name=name, pattern=pattern)
      for name, pattern in patterns.items()])

