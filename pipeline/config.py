"""All configuration of the pipeline, with its defaults, in one place.

Components receive these as plain dicts (``dataclasses.asdict``) in their
execution properties and turn them back with ``from_dict``, so the values
recorded in ML Metadata are exactly the ones a run used.
"""

import dataclasses
import os
from typing import Any, Dict, List, Optional, Sequence, Type, TypeVar

T = TypeVar('T')

# Beam: the DirectRunner in multi-processing mode with one worker per core
# (0 = all cores) on a laptop; docs/beam_runners.md has Dataflow, Flink and
# Spark settings. Single-process in-memory mode starts faster on tiny data.
LOCAL_BEAM_ARGS = ('--runner=DirectRunner',
                   '--direct_running_mode=multi_processing',
                   '--direct_num_workers=0')
IN_MEMORY_BEAM_ARGS = ('--runner=DirectRunner',
                       '--direct_running_mode=in_memory',
                       '--direct_num_workers=1')


def from_dict(cls: Type[T], values: Optional[Dict[str, Any]]) -> T:
  """Builds a config dataclass, rejecting unknown keys with a clear error."""
  values = dict(values or {})
  names = {f.name for f in dataclasses.fields(cls)}
  unknown = sorted(set(values) - names)
  if unknown:
    raise ValueError(f'unknown {cls.__name__} option(s): {unknown}; '
                     f'known: {sorted(names)}')
  return cls(**values)


@dataclasses.dataclass
class EmbeddingConfig:
  """How EmbeddingGen builds the vocabulary and the matrix."""
  # 'word2vec': train on training tokens + unlabeled_paths;
  # 'pretrained': load pretrained_path; 'random': no vectors at all.
  source: str = 'word2vec'
  pretrained_path: str = ''
  pretrained_format: str = 'word2vec-text'  # or word2vec-binary, glove, ...
  unlabeled_paths: List[str] = dataclasses.field(default_factory=list)
  unlabeled_encoding: str = 'utf-8'
  dim: int = 100
  window: int = 5
  epochs: int = 10
  negative: int = 5
  skip_gram: bool = True
  w2v_min_count: int = 2
  # Word2Vec and the vocabulary on lower-cased words with digits as 0 (the
  # lookup falls back to that form, so "Paris" finds "paris").
  lowercase: bool = True
  vocab_min_count: int = 1  # training words kept in the vocabulary
  max_vocab_size: int = 200000  # training words first, then vector words
  workers: int = 2
  seed: int = 0

  def __post_init__(self):
    if self.source not in ('word2vec', 'pretrained', 'random'):
      raise ValueError(f'embedding source must be word2vec, pretrained or '
                       f'random, not {self.source!r}')
    if self.source == 'pretrained' and not self.pretrained_path:
      raise ValueError('embedding source "pretrained" needs pretrained_path')


@dataclasses.dataclass
class TrainerConfig:
  """Model and training hyper-parameters of the BiLSTM tagger."""
  embedding_trainable: bool = True  # False: static (frozen) embeddings
  lstm_units: int = 200  # per direction (100 until SparseAdam made room)
  lstm_layers: int = 1  # stacked BiLSTMs, dropout between them
  casing_dim: int = 8
  char_dim: int = 25
  char_filters: int = 50  # 0: no character CNN
  # <UNK> tokens get a vector guessed from their characters by a network
  # fitted to the Word2Vec vectors (components/mimick.py)
  guess_oov: bool = False
  # Words whose row no training sentence uses read as <UNK> outside training,
  # in case fine-tuning leaves their vectors stale (not borne out on
  # eng.testa: docs/benchmarks.md)
  untrained_as_unk: bool = False
  # 0.4 (was 0.5): over seeds 0, 10, 20 the ensemble's eval F1 was 92.96
  # against 92.86, in about 13% fewer epochs (docs/benchmarks.md, "Dropout
  # 0.4").
  dropout: float = 0.4
  # Share of training words replaced by <UNK> each step, so that the tagger
  # learns to tag words it has no vector for from casing and characters.
  word_dropout: float = 0.1
  batch_size: int = 32
  # A cap that keeps the worst case of the default ensemble (every member
  # trained to it) within 20 minutes on 2 cores (docs/benchmarks.md).
  epochs: int = 17
  learning_rate: float = 0.003
  patience: int = 3  # early stopping on eval entity F1 (epochs)
  # Learning rate times this after an epoch without a better eval entity F1
  # (1.0: constant); early stopping restores the best weights anyway.
  lr_decay: float = 0.5
  crf: bool = True  # CRF output layer with Viterbi decoding, else softmax
  # Gradients rescaled so that their global norm (over all weights together)
  # is at most this (0: no clipping).
  clip_norm: float = 1.0
  # Decay of an exponential moving average of the weights, which is what is
  # evaluated each epoch and kept (0: the weights as trained).
  weight_average: float = 0.0
  # Probability that a training entity is swapped, each epoch, for another
  # training mention of its type (components/mentions.py; 0: never).
  mention_replace: float = 0.3
  # Share of training entity words read as <UNK> each epoch (on top of
  # word_dropout), since most names unseen in training have no vector either.
  # Off: single taggers gained, the ensemble did not (docs/benchmarks.md).
  entity_word_dropout: float = 0.0
  # Taggers trained with seeds seed, seed+1, ...; the exported model decodes
  # the mean of their scores (see model.tag_ids).
  ensemble: int = 3
  seed: int = 0

  def __post_init__(self):
    if self.ensemble < 1:
      raise ValueError(f'ensemble must be at least 1, not {self.ensemble}')
    if self.lstm_layers < 1:
      raise ValueError(f'lstm_layers must be at least 1, not {self.lstm_layers}')
    if not 0 <= self.weight_average < 1:
      raise ValueError('weight_average (a decay per step) must be in [0, 1), '
                       f'not {self.weight_average}')
    for name in ('mention_replace', 'entity_word_dropout'):
      if not 0 <= getattr(self, name) <= 1:
        raise ValueError(f'{name} (a probability) must be in [0, 1], '
                         f'not {getattr(self, name)}')


@dataclasses.dataclass
class GateConfig:
  """When the evaluator blesses a model (entity F1 in 0..1)."""
  min_f1: float = 0.5  # absolute bar
  max_f1_drop: float = 0.0  # allowed fall below the last blessed model


@dataclasses.dataclass
class PipelineConfig:
  """One run of the pipeline: where data and outputs are, and how to build.

  Without ``data_root``, train/eval/test are file paths. With it, they are
  patterns relative to it and may hold {SPAN} (e.g. ``span-{SPAN}/train.conll``)
  so that each run takes the newest span, or the ``span_window`` newest.
  """
  output_dir: str
  train: str
  eval: str
  test: str = ''
  data_root: str = ''
  span_window: int = 1
  encoding: str = 'utf-8'
  tag_scheme: str = 'auto'
  pipeline_name: str = 'ner-word2vec'
  schema_dir: str = ''  # default: the curated schema/ of this project
  beam_args: Sequence[str] = LOCAL_BEAM_ARGS
  embedding: EmbeddingConfig = dataclasses.field(
      default_factory=EmbeddingConfig)
  trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
  gate: GateConfig = dataclasses.field(default_factory=GateConfig)
  enable_cache: bool = False

  pipeline_root_override: str = ''  # e.g. gs://bucket/root on Vertex

  @property
  def pipeline_root(self) -> str:
    return self.pipeline_root_override or os.path.join(self.output_dir,
                                                        'pipeline_root')

  @property
  def metadata_path(self) -> str:
    return os.path.join(self.output_dir, 'metadata.sqlite')

  serving_dir_override: str = ''  # e.g. gs://bucket/serving on Vertex

  @property
  def serving_dir(self) -> str:
    return self.serving_dir_override or os.path.join(self.output_dir,
                                                      'serving_model')


def default_schema_dir() -> str:
  """The curated schema shipped at the top of the project (schema/)."""
  return os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), 'schema')
