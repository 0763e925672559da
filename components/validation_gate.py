"""ValidationGate: stops the run when ExampleValidator found anomalies.

ExampleValidator only records anomalies; nothing in stock TFX refuses to train
on them. This component fails, naming every anomaly of every split, so that
EmbeddingGen and Transform (which wait on it) never start on bad data.
Besides the schema anomalies it checks, from the statistics, that no split is
empty (TFDV's min_examples_count lets an empty split pass) and that tokens and
tags have the same number of values per split (same total, minimum and
maximum), which no schema constraint can express.
"""

import os
from typing import Dict, List

from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import types
from tfx.components.statistics_gen import stats_artifact_utils
from tfx.dsl.components.base import base_component, base_executor
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter
from tfx.utils import io_utils

from models import features


class DataValidationError(RuntimeError):
  """The examples do not match the curated schema."""


class ValidationGateSpec(types.ComponentSpec):
  PARAMETERS = {}
  INPUTS = {
      'anomalies': ChannelParameter(type=standard_artifacts.ExampleAnomalies),
      'statistics': ChannelParameter(
          type=standard_artifacts.ExampleStatistics),
  }
  OUTPUTS = {}


def describe(anomalies: anomalies_pb2.Anomalies) -> List[str]:
  problems = []
  for feature, info in sorted(anomalies.anomaly_info.items()):
    reasons = '; '.join(r.description or r.short_description
                        for r in info.reason) or info.description
    problems.append(f'feature {feature!r}: {reasons}')
  if anomalies.HasField('dataset_anomaly_info'):
    info = anomalies.dataset_anomaly_info
    problems.append('dataset: ' + ('; '.join(
        r.description or r.short_description for r in info.reason)
                                   or info.description))
  return problems


def statistics_problems(stats, first: str = features.TOKENS,
                        second: str = features.TAGS) -> List[str]:
  """An empty split (TFDV lets it pass), or different value counts of two
  list features of one split."""
  if not stats.datasets or stats.datasets[0].num_examples == 0:
    return ['the split has no examples']
  by_name = {f.path.step[-1] if f.path.step else f.name: f
             for f in stats.datasets[0].features}
  if first not in by_name or second not in by_name:
    return []
  a = by_name[first].string_stats.common_stats
  b = by_name[second].string_stats.common_stats
  problems = []
  for field in ('tot_num_values', 'min_num_values', 'max_num_values'):
    if getattr(a, field) != getattr(b, field):
      problems.append(f'{first} and {second} differ in length '
                      f'({field}: {getattr(a, field)} vs {getattr(b, field)})')
  return problems


def problems_by_split(anomalies_artifact, statistics_artifact
                      ) -> Dict[str, List[str]]:
  """What validation found in each split: schema anomalies, then the
  statistics checks above (the report shows it; the gate fails on it)."""
  found: Dict[str, List[str]] = {}
  for split in artifact_utils.decode_split_names(
      anomalies_artifact.split_names):
    path = os.path.join(
        artifact_utils.get_split_uri([anomalies_artifact], split),
        'SchemaDiff.pb')
    anomalies = anomalies_pb2.Anomalies()
    anomalies.ParseFromString(io_utils.read_bytes_file(path))
    found.setdefault(split, []).extend(describe(anomalies))
  for split in artifact_utils.decode_split_names(
      statistics_artifact.split_names):
    stats = stats_artifact_utils.load_statistics(statistics_artifact,
                                                 split).proto()
    found.setdefault(split, []).extend(statistics_problems(stats))
  return found


class Executor(base_executor.BaseExecutor):

  def Do(self, input_dict, output_dict, exec_properties) -> None:
    found = problems_by_split(
        artifact_utils.get_single_instance(input_dict['anomalies']),
        artifact_utils.get_single_instance(input_dict['statistics']))
    problems = [f'split {split!r}, {p}' for split, ps in found.items()
                for p in ps]
    if problems:
      raise DataValidationError(
          'the examples do not match the schema; training was not started:\n  '
          + '\n  '.join(problems))


class ValidationGate(base_component.BaseComponent):
  """Fails on any anomaly; downstream components depend on it."""

  SPEC_CLASS = ValidationGateSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

  def __init__(self, anomalies: types.BaseChannel,
               statistics: types.BaseChannel):
    super().__init__(spec=ValidationGateSpec(anomalies=anomalies,
                                             statistics=statistics))
