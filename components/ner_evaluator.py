"""NerEvaluator: entity-level F1 (conlleval semantics) and the blessing gate.

TFMA flattens per-token outputs, so its token metrics count padding and it
has no notion of entity spans; this component scores the exported model the
way it will be used (``tag_tokens`` on raw tokens) and writes a standard
ModelBlessing that Pusher and LatestBlessedModelStrategy understand.

The gate also checks drift (``models/drift.py``): each blessing keeps the
profile of its eval split and the embedding vocabulary it was measured
against, and the next run profiles its own eval split against the blessed
baseline's vocabulary and compares. Beyond the bounds, the model is not
blessed unless ``allow_drift``.
"""

import json
import logging
from typing import Any, Dict, List, Optional, Tuple

import tensorflow as tf
from tfx import types
from tfx.dsl.components.base import base_component, base_executor
from tfx.dsl.components.base import executor_spec
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter
from tfx.utils import path_utils

from components import artifacts, code_version, pusher
from models import atomic, drift, embedding_files, embeddings, entity_metrics
from models import entity_breakdown, features
from models.config import GateConfig
from serving import inference

METRICS_FILE = 'metrics.json'
REPORT_FILE = 'report.txt'
PROFILE_FILE = 'drift_profile.json'  # in the blessing, with VOCAB_FILE


class NerEvaluatorSpec(types.ComponentSpec):
  PARAMETERS = {
      'split': ExecutionParameter(type=str),
      'min_f1': ExecutionParameter(type=float),
      'max_f1_drop': ExecutionParameter(type=float),
      'max_oov_increase': ExecutionParameter(type=float),
      'max_tag_drift': ExecutionParameter(type=float),
      'max_length_drift': ExecutionParameter(type=float),
      'allow_drift': ExecutionParameter(type=int),
      **code_version.PARAMETER,
  }
  INPUTS = {
      'examples': ChannelParameter(type=standard_artifacts.Examples),
      'model': ChannelParameter(type=standard_artifacts.Model),
      'baseline_model': ChannelParameter(type=standard_artifacts.Model,
                                         optional=True),
      'baseline_blessing': ChannelParameter(
          type=standard_artifacts.ModelBlessing, optional=True),
      artifacts.EMBEDDING_KEY: ChannelParameter(
          type=artifacts.EmbeddingMatrix, optional=True),
  }
  OUTPUTS = {
      'evaluation': ChannelParameter(type=standard_artifacts.ModelEvaluation),
      'blessing': ChannelParameter(type=standard_artifacts.ModelBlessing),
  }


def predict(model_uri: str, sentences: List[Dict[str, List[str]]]
            ) -> List[List[str]]:
  """Tags through ``tag_tokens``, logging its progress by batch (the
  terminal's progress bar of the evaluation)."""
  tag = inference.load_tagger(path_utils.serving_model_path(model_uri))
  logging.info('NerEvaluator: tagging %d sentences with %s', len(sentences),
               model_uri)
  return tag([s[features.TOKENS] for s in sentences],
             progress=lambda done, total: logging.info(
                 'NerEvaluator: tagged %d of %d sentences', done, total))


def evaluate_model(model_uri: str, sentences: List[Dict[str, List[str]]]
                   ) -> Dict[str, Any]:
  return entity_metrics.score([s[features.TAGS] for s in sentences],
                              predict(model_uri, sentences))


def breakdown(sentences, predicted, train_split_uri: Optional[str],
              vocab: Optional[List[str]]) -> Dict[str, Any]:
  """The confusion matrix of entity types and, given the training split and
  the embedding's vocabulary, F1 by kind of entity
  (``models/entity_breakdown.py``)."""
  gold = [s[features.TAGS] for s in sentences]
  out = {'confusion': entity_breakdown.confusion(gold, predicted)}
  if train_split_uri and vocab is not None:
    out['by_word_kind'] = entity_breakdown.by_word_kind(
        [s[features.TOKENS] for s in sentences], gold, predicted,
        [s[features.TOKENS] for s in features.read_split(train_split_uri)],
        vocab[2:])
  return out


def decide(f1: float, baseline_f1: Optional[float], min_f1: float,
           max_f1_drop: float) -> Tuple[bool, str]:
  """The gate: an absolute bar, then no regression beyond the margin."""
  if f1 < min_f1:
    return False, f'F1 {f1:.4f} is below the bar {min_f1:.4f}'
  if baseline_f1 is not None and f1 < baseline_f1 - max_f1_drop:
    return False, (f'F1 {f1:.4f} is more than {max_f1_drop:.4f} below the '
                   f'blessed baseline {baseline_f1:.4f}')
  if baseline_f1 is None:
    return True, f'F1 {f1:.4f} reaches the bar {min_f1:.4f}; no baseline yet'
  return True, (f'F1 {f1:.4f} reaches the bar and is within {max_f1_drop:.4f} '
                f'of the baseline {baseline_f1:.4f}')


def check_drift(sentences, baseline_blessing: Optional[str],
                exec_properties) -> Tuple[List[str], Dict[str, Any]]:
  """Problems and numbers of the eval split against the data of the
  baseline's blessing (none when that blessing kept no profile)."""
  if not baseline_blessing or not tf.io.gfile.exists(
      f'{baseline_blessing}/{PROFILE_FILE}'):
    return [], {}
  with tf.io.gfile.GFile(f'{baseline_blessing}/{PROFILE_FILE}') as f:
    before = json.load(f)
  vocab = embedding_files.load_vocab(baseline_blessing)[2:]
  now = drift.profile(sentences, embeddings.vocab_index(vocab))
  return drift.compare(before, now,
                       float(exec_properties['max_oov_increase']),
                       float(exec_properties['max_tag_drift']),
                       float(exec_properties['max_length_drift']))


class Executor(base_executor.BaseExecutor):

  def Do(self, input_dict, output_dict, exec_properties) -> None:
    examples = artifact_utils.get_single_instance(input_dict['examples'])
    model = artifact_utils.get_single_instance(input_dict['model'])
    baselines = input_dict.get('baseline_model') or []
    baseline = baselines[0] if baselines else None
    split_uri = artifact_utils.get_split_uri([examples],
                                             exec_properties['split'])
    sentences = list(features.read_split(split_uri))
    predicted = predict(model.uri, sentences)
    current = entity_metrics.score([s[features.TAGS] for s in sentences],
                                   predicted)
    logging.info('NerEvaluator: model %s\n%s', model.uri,
                 entity_metrics.format_report(current))
    base, drifted = None, {}
    if baseline is not None and baseline.id == model.id:
      # An unchanged (cached) rerun: the model is already blessed, and pushed
      # unless its push failed (Pusher then pushes it: pusher.IS_BASELINE);
      # blessing it again would make Pusher push a duplicate version.
      blessed, reason = False, 'the model is already the blessed baseline'
    else:
      if baseline is not None:
        base = evaluate_model(baseline.uri, sentences)
        logging.info('NerEvaluator: baseline %s\n%s', baseline.uri,
                     entity_metrics.format_report(base))
      blessed, reason = decide(
          current['f1'], base['f1'] if base else None,
          float(exec_properties['min_f1']),
          float(exec_properties['max_f1_drop']))
      blessings = input_dict.get('baseline_blessing') or []
      problems, drifted = check_drift(
          sentences, blessings[0].uri if blessings else None,
          exec_properties)
      if problems and int(exec_properties['allow_drift']):
        reason += '; the data drifted, allowed (--allow-drift): ' + '; '.join(
            problems)
      elif problems:
        blessed = False
        reason = ('the data drifted from the blessed baseline\'s: '
                  + '; '.join(problems) + f' (the F1 gate said: {reason}); '
                  '--allow-drift pushes anyway')
    logging.info('NerEvaluator: %s: %s',
                 'BLESSED' if blessed else 'NOT BLESSED', reason)

    embedding = input_dict.get(artifacts.EMBEDDING_KEY) or []
    vocab = embedding_files.load_vocab(embedding[0].uri) if embedding else None
    train_uri = artifact_utils.get_split_uri([examples], 'train')
    evaluation = artifact_utils.get_single_instance(output_dict['evaluation'])
    result = {'split': exec_properties['split'], 'sentences': len(sentences),
              'model': current, 'baseline': base, 'blessed': blessed,
              'reason': reason, 'drift': drifted,
              'thresholds': {k: float(exec_properties[k]) for k in (
                  'min_f1', 'max_f1_drop', 'max_oov_increase',
                  'max_tag_drift', 'max_length_drift')},
              'allow_drift': bool(int(exec_properties['allow_drift'])),
              **breakdown(sentences, predicted, train_uri, vocab)}
    tf.io.gfile.makedirs(evaluation.uri)
    atomic.write(f'{evaluation.uri}/{METRICS_FILE}',
                 json.dumps(result, indent=2, sort_keys=True))
    atomic.write(f'{evaluation.uri}/{REPORT_FILE}',
                 entity_metrics.format_report(current) + f'\n{reason}\n')
    evaluation.set_float_custom_property('f1', current['f1'])

    blessing = artifact_utils.get_single_instance(output_dict['blessing'])
    tf.io.gfile.makedirs(blessing.uri)
    atomic.write(f"{blessing.uri}/{'BLESSED' if blessed else 'NOT_BLESSED'}",
                 reason + '\n')
    if vocab is not None:  # what the next run's drift check compares with
      atomic.write(f'{blessing.uri}/{embedding_files.VOCAB_FILE}',
                   '\n'.join(vocab) + '\n')
      atomic.write(f'{blessing.uri}/{PROFILE_FILE}', json.dumps(drift.profile(
          sentences, embeddings.vocab_index(vocab[2:]))))
    blessing.set_int_custom_property('blessed', int(blessed))
    blessing.set_string_custom_property('current_model', model.uri)
    blessing.set_int_custom_property('current_model_id', model.id)
    blessing.set_float_custom_property('f1', current['f1'])
    # Pusher pushes such a model if an earlier push of it failed.
    blessing.set_int_custom_property(pusher.IS_BASELINE,
                                     int(baseline is not None
                                         and baseline.id == model.id))
    if base is not None:
      blessing.set_string_custom_property('baseline_model', baseline.uri)
      blessing.set_int_custom_property('baseline_model_id', baseline.id)
      blessing.set_float_custom_property('baseline_f1', base['f1'])


class NerEvaluator(base_component.BaseComponent):
  """Blesses a model whose entity F1 passes the bar and does not regress."""

  SPEC_CLASS = NerEvaluatorSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

  def __init__(self, examples: types.BaseChannel, model: types.BaseChannel,
               baseline_model: Optional[types.BaseChannel] = None,
               baseline_blessing: Optional[types.BaseChannel] = None,
               embedding: Optional[types.BaseChannel] = None,
               split: str = 'eval', min_f1: float = GateConfig.min_f1,
               max_f1_drop: float = GateConfig.max_f1_drop,
               drift_bounds: GateConfig = GateConfig()):
    super().__init__(spec=NerEvaluatorSpec(
        examples=examples, model=model, baseline_model=baseline_model,
        baseline_blessing=baseline_blessing, embedding=embedding,
        split=split, min_f1=min_f1, max_f1_drop=max_f1_drop,
        max_oov_increase=drift_bounds.max_oov_increase,
        max_tag_drift=drift_bounds.max_tag_drift,
        max_length_drift=drift_bounds.max_length_drift,
        allow_drift=int(drift_bounds.allow_drift),
        code_version=code_version.current(),
        evaluation=types.Channel(type=standard_artifacts.ModelEvaluation),
        blessing=types.Channel(type=standard_artifacts.ModelBlessing)))
