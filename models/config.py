"""The settings of each step, each declared once: name, type, default, help.

This module is the bottom of the project: it imports nothing of it, so every
layer may use it. ``ner-pipeline`` derives its tuning flags from the field
metadata here (``pipeline/cli.py``), components receive a section as JSON
(``to_json``) and turn it back with ``from_json``, so the values recorded in
ML Metadata are exactly the ones a step used.
"""

import dataclasses
import json
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar

T = TypeVar('T')

# Sentences longer than this are cut for training (conll.split_long).
MAX_SENTENCE_TOKENS = 250
TAG_SCHEMES = ('auto', 'iob1', 'iob2', 'bioes')
VECTOR_FORMATS = ('word2vec-binary', 'word2vec-text', 'glove', 'fasttext-text')
EMBEDDING_SOURCES = ('word2vec', 'pretrained', 'stacked', 'random')
# The default epoch caps (TrainerConfig.epochs): the taggers of an ensemble
# stop sooner, since averaging them makes up for what each loses.
MEMBER_EPOCHS, SINGLE_EPOCHS = 10, 17


def option(default: Any, help: str, flag: str = '',  # pylint: disable=redefined-builtin
           choices: Optional[tuple] = None, cli: bool = True) -> Any:
  """A config field whose metadata also describes its command-line flag
  (``--`` + the field name with dashes unless ``flag`` says otherwise).
  ``cli=False``: set by the program, not by a flag of its own."""
  metadata = {'help': help, 'flag': flag, 'choices': choices, 'cli': cli}
  if isinstance(default, list):
    return dataclasses.field(default_factory=lambda: list(default),
                             metadata=metadata)
  return dataclasses.field(default=default, metadata=metadata)


def to_json(config: Any) -> str:
  return json.dumps(dataclasses.asdict(config), sort_keys=True)


def from_dict(cls: Type[T], values: Optional[Dict[str, Any]]) -> T:
  """Builds a config dataclass, rejecting unknown keys with a clear error."""
  values = dict(values or {})
  names = {f.name for f in dataclasses.fields(cls)}
  unknown = sorted(set(values) - names)
  if unknown:
    raise ValueError(f'unknown {cls.__name__} option(s): {unknown}; '
                     f'known: {sorted(names)}')
  return cls(**values)


def from_json(cls: Type[T], text: str) -> T:
  return from_dict(cls, json.loads(text or '{}'))


def _check_probability(config: Any, *names: str) -> None:
  for name in names:
    if not 0 <= getattr(config, name) <= 1:
      raise ValueError(f'{name} (a probability) must be in [0, 1], '
                       f'not {getattr(config, name)}')


@dataclasses.dataclass
class EmbeddingConfig:
  """How EmbeddingGen builds the vocabulary and the matrix."""
  source: str = option(
      'word2vec', 'where vectors come from: Word2Vec trained on the training '
      'tokens and --unlabeled text; the --pretrained-vectors files; stacked, '
      'both (Word2Vec, then each file, their vectors side by side in one '
      'row, each with its own lookup and its own rows for words it lacks); '
      'or none (random, the baseline) (default: pretrained when '
      '--pretrained-vectors is given, else word2vec)',
      flag='embedding', choices=EMBEDDING_SOURCES)
  pretrained_paths: List[str] = option(
      [], 'pre-trained vector files (.gz read as is); with several, a word\'s '
      'row is their vectors side by side', flag='pretrained-vectors')
  pretrained_formats: List[str] = option(
      ['word2vec-text'], 'format of the --pretrained-vectors files: one for '
      'all, or one each', flag='vectors-format', choices=VECTOR_FORMATS)
  unlabeled_paths: List[str] = option(
      [], 'text files or directories of them added to the Word2Vec corpus',
      flag='unlabeled')
  unlabeled_encoding: str = option('utf-8', 'encoding of the --unlabeled text')
  dim: int = option(100, 'Word2Vec vector size', flag='w2v-dim')
  window: int = option(5, 'Word2Vec context window', flag='w2v-window')
  epochs: int = option(10, 'Word2Vec passes over the corpus', flag='w2v-epochs')
  negative: int = option(5, 'Word2Vec negative samples', flag='w2v-negative')
  cbow: bool = option(False, 'CBOW instead of skip-gram')
  w2v_min_count: int = option(
      2, 'words seen fewer times get no Word2Vec vector')
  lowercase: bool = option(
      True, 'train Word2Vec and keep the vocabulary lower-cased, digits as 0 '
      '(the lookup falls back to that form, so "Paris" finds "paris"; casing '
      'reaches the model as its own feature)', flag='w2v-lowercase')
  vocab_min_count: int = option(
      1, 'training words seen fewer times are left out of the vocabulary')
  max_vocab_size: int = option(
      500000, 'vocabulary rows at most: training words first, then words that '
      'have vectors (all of GloVe 6B\'s 400,000: the rarer half holds many '
      'of the names training never shows; docs/benchmarks.md)')
  workers: int = option(2, 'Word2Vec worker threads', flag='w2v-workers')
  seed: int = option(0, 'set by --seed', cli=False)

  def __post_init__(self):
    if self.source not in EMBEDDING_SOURCES:
      raise ValueError(f'embedding source must be one of {EMBEDDING_SOURCES}, '
                       f'not {self.source!r}')
    if self.source in ('pretrained', 'stacked') and not self.pretrained_paths:
      raise ValueError(f'embedding source {self.source!r} needs '
                       '--pretrained-vectors')
    for fmt in self.pretrained_formats:
      if fmt not in VECTOR_FORMATS:
        raise ValueError(f'vector format must be one of {VECTOR_FORMATS}, '
                         f'not {fmt!r}')
    if len(self.pretrained_formats) not in (1, len(self.pretrained_paths)):
      raise ValueError(f'{len(self.pretrained_paths)} --pretrained-vectors '
                       f'files but {len(self.pretrained_formats)} '
                       '--vectors-format values: give one for all, or one '
                       'each')

  def vector_files(self) -> List[Tuple[str, str]]:
    """(path, format) of each pre-trained file the source uses."""
    if self.source not in ('pretrained', 'stacked'):
      return []
    formats = self.pretrained_formats * (
        len(self.pretrained_paths) if len(self.pretrained_formats) == 1
        else 1)
    return list(zip(self.pretrained_paths, formats))


@dataclasses.dataclass
class TrainerConfig:
  """Model and training hyper-parameters of the BiLSTM tagger."""
  static_embeddings: bool = option(
      False, 'freeze the embedding layer instead of fine-tuning it')
  lstm_units: int = option(
      200, 'BiLSTM units per direction (100 until SparseAdam made room)')
  lstm_layers: int = option(1, 'stacked BiLSTM layers, dropout between them')
  casing_dim: int = option(8, 'size of the casing embedding')
  char_dim: int = option(25, 'size of the character embedding')
  char_filters: int = option(
      50, 'filters of the character CNN (0: no character CNN)')
  dropout: float = option(
      0.4, 'dropout after the embeddings and each BiLSTM (0.4, was 0.5: '
      'docs/benchmarks.md, "Dropout 0.4")')
  word_dropout: float = option(
      0.1, 'share of training words replaced by <UNK> each step, so that the '
      'tagger learns to tag words without a vector from casing and '
      'characters')
  batch_size: int = option(
      64, 'sentences per training batch (64, was 32: on a CPU a step\'s cost '
      'is mostly per operation, so a tagger-epoch took 31% less, for the same '
      'F1 with the learning rate below; docs/benchmarks.md, "Batches of 64")')
  epochs: int = option(
      0, f'most epochs per tagger (0: {MEMBER_EPOCHS} for each tagger of an '
      f'ensemble, {SINGLE_EPOCHS} for one tagger alone: with Word2Vec the '
      'lower cap cost the ensemble of three 0.10 F1 for 37% fewer epochs, '
      'one tagger about 0.25; docs/benchmarks.md, "Stopping earlier")')
  learning_rate: float = option(
      0.0042, 'Adam learning rate (0.003 with batches of 32; times the square '
      'root of 2 for batches of 64)')
  patience: int = option(
      3, 'early-stopping patience in epochs (eval entity F1)')
  lr_decay: float = option(
      0.5, 'learning rate times this after an epoch without a better eval '
      'entity F1 (1: constant)')
  crf: bool = option(
      True, 'CRF output layer with Viterbi decoding (else softmax)')
  clip_norm: float = option(
      1.0, 'gradients rescaled to this global norm at most (0: no clipping)')
  mention_replace: float = option(
      0.3, 'probability that a training entity is swapped for another '
      'training mention of its type, anew each epoch (models/mentions.py; '
      '0: never)')
  ensemble: int = option(
      3, 'taggers to train (seeds seed, seed+1, ...) and export as one model '
      'that decodes the mean of their scores (default 3; 2 trains a third '
      'less for 0.12 less F1; 1 when vectors come from --pretrained-vectors '
      'alone, where one tagger scored as well as three: docs/benchmarks.md)')
  seed: int = option(0, 'random seed of the taggers and of Word2Vec')

  def __post_init__(self):
    if self.epochs < 0:
      raise ValueError(f'epochs must be at least 0, not {self.epochs}')
    if not self.epochs:  # resolved here, so that ML Metadata records it
      self.epochs = MEMBER_EPOCHS if self.ensemble > 1 else SINGLE_EPOCHS
    if self.ensemble < 1:
      raise ValueError(f'ensemble must be at least 1, not {self.ensemble}')
    if self.lstm_layers < 1:
      raise ValueError(f'lstm_layers must be at least 1, not {self.lstm_layers}')
    _check_probability(self, 'mention_replace', 'dropout', 'word_dropout')


@dataclasses.dataclass
class GateConfig:
  """When the evaluator blesses a model (entity F1 in 0..1)."""
  min_f1: float = option(0.5, 'entity F1 (0..1) a model must reach on --eval')
  max_f1_drop: float = option(
      0.0, 'how far F1 may fall below the last blessed model')
  # The drift check against the data of the last blessed model
  # (models/drift.py); beyond a bound the model is not pushed.
  max_oov_increase: float = option(
      0.1, 'how far the eval OOV rate (against the embedding vocabulary) may '
      'rise over that of the last blessed model\'s eval data')
  max_tag_drift: float = option(
      0.1, 'how far the share of any tag may move (L-infinity)')
  max_length_drift: float = option(
      0.25, 'how far the share of any sentence-length bucket may move')
  allow_drift: bool = option(
      False, 'push a model that passes the F1 gate even when the data '
      'drifted beyond the bounds (the numbers are still reported)')

  def __post_init__(self):
    _check_probability(self, 'min_f1', 'max_f1_drop', 'max_oov_increase',
                       'max_tag_drift', 'max_length_drift')


SECTIONS = {'embedding': EmbeddingConfig, 'trainer': TrainerConfig,
            'gate': GateConfig}
