"""EmbeddingGen: builds the vocabulary and the embedding matrix with gensim.

It reads the training split of the ExampleGen output (streamed, never all in
memory), trains Word2Vec on it plus unlabelled text, loads pre-trained vector
files, or both (stacked, side by side in each row), and writes an ``ner.EmbeddingMatrix`` artifact with
``vocab.txt``, ``embeddings.npy``, ``has_vector.npy`` and ``stats.json``.
"""

import json
import logging
import time
from typing import Any, Dict, List, Tuple

import numpy as np
from tfx import types
from tfx.dsl.components.base import base_component, base_executor
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components import artifacts, code_version
from models import embedding_files, embeddings, features, vector_files
from models.config import EmbeddingConfig, from_json, to_json


class EmbeddingGenSpec(types.ComponentSpec):
  PARAMETERS = {
      'custom_config': ExecutionParameter(type=str),  # EmbeddingConfig JSON
      'train_split': ExecutionParameter(type=str),
      'eval_split': ExecutionParameter(type=str),
      **code_version.PARAMETER,
  }
  INPUTS = {'examples': ChannelParameter(type=standard_artifacts.Examples)}
  OUTPUTS = {
      artifacts.EMBEDDING_KEY: ChannelParameter(
          type=artifacts.EmbeddingMatrix)}


def vector_sources(config: EmbeddingConfig, train_uri: str
                   ) -> List[Tuple[str, Any, Dict[str, Any]]]:
  """(name, vectors, stats) of each source of vectors, in the order of
  their columns in the matrix: Word2Vec, then each pre-trained file."""
  sources = []
  if config.source in ('word2vec', 'stacked'):
    text_files = embeddings.expand_text_paths(config.unlabeled_paths)
    logging.info('EmbeddingGen: Word2Vec on the training split and %d '
                 'unlabelled file(s)', len(text_files))
    text = embeddings.TextCorpus(text_files,
                                 encoding=config.unlabeled_encoding)
    corpus = embeddings.ChainedCorpus(features.SplitTokens(train_uri), text)
    if config.lowercase:
      corpus = embeddings.NormalizedCorpus(corpus)
    vectors = embeddings.train_word2vec(
        corpus, dim=config.dim, window=config.window,
        min_count=config.w2v_min_count, epochs=config.epochs,
        negative=config.negative, sg=not config.cbow,
        workers=config.workers, seed=config.seed)
    for path, (count, first) in text.invalid_lines.items():
      logging.warning('EmbeddingGen: %s: %d line(s) hold bytes invalid in %s '
                      '(the first is line %d); they were read with U+FFFD in '
                      'their place (--unlabeled-encoding)', path, count,
                      config.unlabeled_encoding, first)
    sources.append(('word2vec', vectors, {'unlabeled_invalid_lines': {
        path: count for path, (count, _) in text.invalid_lines.items()}}))
  for path, fmt in config.vector_files():
    logging.info('EmbeddingGen: loading %s vectors from %s', fmt, path)
    loading = time.time()
    vectors = vector_files.load(path, fmt, limit=config.max_vocab_size)
    logging.info('EmbeddingGen: %d vectors loaded in %.1f s',
                 len(vectors.index_to_key), time.time() - loading)
    sources.append((path, vectors, {
        'vectors_duplicates': vectors.duplicates,
        'load_seconds': round(time.time() - loading, 1)}))
  return sources


def build(config: EmbeddingConfig, train_uri: str,
          eval_uri: str, output_uri: str) -> Dict[str, Any]:
  """Builds and writes the artifact files; returns the statistics.

  With several sources (``stacked``, or several pre-trained files), a row
  is their vectors side by side: each part looks the word up through its
  own chain (as written, lower-cased, digits as 0), and a word a source
  lacks gets small random values in that part, as <UNK> does."""
  start = time.time()
  train_counts = embeddings.count_tokens(features.SplitTokens(train_uri))
  eval_counts = embeddings.count_tokens(features.SplitTokens(eval_uri))
  logging.info('EmbeddingGen: %d training tokens, %d distinct',
               sum(train_counts.values()), len(train_counts))
  sources = vector_sources(config, train_uri)
  vocab = embeddings.build_vocabulary(
      embeddings.normalized_counts(train_counts) if config.lowercase
      else train_counts, config.vocab_min_count,
      (w for _, vectors, _ in sources for w in vectors.index_to_key),
      config.max_vocab_size)
  parts, has_vector, part_stats = [], np.zeros(len(vocab) + 2, bool), []
  for n, (name, vectors, extra) in enumerate(sources):
    part, found = embeddings.build_matrix(vocab, vectors, vectors.vector_size,
                                          seed=config.seed + n)
    parts.append(part)
    has_vector |= found
    part_stats.append({'source': name, 'dim': int(vectors.vector_size),
                       'vectors_known': len(vectors.index_to_key),
                       'words_with_vectors': int(found.sum()), **extra})
  if not sources:  # random: no vectors at all
    part, has_vector = embeddings.build_matrix(vocab, None, config.dim,
                                               seed=config.seed)
    parts.append(part)
  matrix = np.concatenate(parts, axis=1)
  index = embeddings.vocab_index(vocab)
  stats = {
      'source': config.source,
      'rows': int(matrix.shape[0]),
      'vocab_size': len(vocab),
      'dim': int(matrix.shape[1]),
      'words_with_vectors': int(has_vector.sum()),
      'vectors_known': sum(p['vectors_known'] for p in part_stats),
      'parts': part_stats,
      'train_tokens': int(sum(train_counts.values())),
      'train_token_coverage': embeddings.coverage(train_counts, index,
                                                  has_vector),
      'eval_tokens': int(sum(eval_counts.values())),
      'eval_oov_rate': 1.0 - embeddings.coverage(eval_counts, index),
      'seconds': round(time.time() - start, 1),
  }
  embedding_files.write(output_uri, [embeddings.PAD, embeddings.UNK] + vocab,
                        matrix, stats, has_vector)
  logging.info('EmbeddingGen: %s', json.dumps(stats, sort_keys=True))
  return stats


class Executor(base_executor.BaseExecutor):

  def Do(self, input_dict: Dict[str, List[types.Artifact]],
         output_dict: Dict[str, List[types.Artifact]],
         exec_properties: Dict[str, Any]) -> None:
    logging.getLogger('gensim').setLevel(logging.INFO)
    config = from_json(EmbeddingConfig, exec_properties['custom_config'])
    examples = artifact_utils.get_single_instance(input_dict['examples'])
    output = artifact_utils.get_single_instance(
        output_dict[artifacts.EMBEDDING_KEY])
    stats = build(
        config,
        artifact_utils.get_split_uri([examples],
                                     exec_properties['train_split']),
        artifact_utils.get_split_uri([examples],
                                     exec_properties['eval_split']),
        output.uri)
    for key in ('rows', 'dim', 'vocab_size', 'words_with_vectors'):
      output.set_int_custom_property(key, stats[key])
    for key in ('train_token_coverage', 'eval_oov_rate'):
      output.set_float_custom_property(key, stats[key])
    output.set_string_custom_property('source', stats['source'])


class EmbeddingGen(base_component.BaseComponent):
  """Custom TFX component producing an ``ner.EmbeddingMatrix``."""

  SPEC_CLASS = EmbeddingGenSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

  def __init__(self, examples: types.BaseChannel,
               config: EmbeddingConfig = EmbeddingConfig(),
               train_split: str = 'train', eval_split: str = 'eval'):
    super().__init__(spec=EmbeddingGenSpec(
        examples=examples, custom_config=to_json(config),
        train_split=train_split, eval_split=eval_split,
        code_version=code_version.current(),
        embedding=types.Channel(type=artifacts.EmbeddingMatrix)))
