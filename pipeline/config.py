"""One run of the pipeline: where data and outputs are, plus the settings of
each step (declared in ``models/config.py``)."""

import dataclasses
import os
from typing import Sequence

from models.config import (MAX_SENTENCE_TOKENS, EmbeddingConfig, GateConfig,
                           TrainerConfig)

# Beam: the DirectRunner in multi-processing mode with one worker per core
# (0 = all cores) on a laptop; docs/deployment.md has Dataflow, Flink and
# Spark settings. Single-process in-memory mode starts faster on tiny data.
LOCAL_BEAM_ARGS = ('--runner=DirectRunner',
                   '--direct_running_mode=multi_processing',
                   '--direct_num_workers=0')
METADATA_FILE = 'metadata.sqlite'  # ML Metadata, in the --output
IN_MEMORY_BEAM_ARGS = ('--runner=DirectRunner',
                       '--direct_running_mode=in_memory',
                       '--direct_num_workers=1')


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
  # A file to tag with the blessed model (BulkInferrer): CoNLL, or raw text
  # (one text per line) when infer_text.
  infer: str = ''
  infer_text: bool = False
  data_root: str = ''
  span_window: int = 1
  encoding: str = 'utf-8'
  tag_scheme: str = 'auto'
  # Longer sentences are cut for training, with a warning (conll.split_long).
  max_sentence_tokens: int = MAX_SENTENCE_TOKENS
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
    return os.path.join(self.output_dir, METADATA_FILE)

  serving_dir_override: str = ''  # e.g. gs://bucket/serving on Vertex

  @property
  def serving_dir(self) -> str:
    return self.serving_dir_override or os.path.join(self.output_dir,
                                                      'serving_model')


def existing_metadata(output_dir: str) -> str:
  """The metadata store of the runs in an --output; FileNotFoundError,
  naming the folder, when it has none (checked without importing TFX)."""
  path = os.path.join(output_dir, METADATA_FILE)
  if not os.path.isfile(path):
    raise FileNotFoundError(f'{output_dir}: no {METADATA_FILE}: not the '
                            '--output of a run')
  return path


def default_schema_dir() -> str:
  """The curated schema shipped at the top of the project (schema/)."""
  return os.path.join(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))), 'schema')
