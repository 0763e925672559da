"""What a run left in its output directory, read back: the newest execution
of a component's output, and the summary a run prints and keeps."""

import json
import os
import time
from typing import Any, Dict, Optional

import tensorflow as tf

from components import pusher
from pipeline.config import PipelineConfig
from serving import versions


def latest_execution(directory: str) -> Optional[str]:
  """Newest numbered folder under ``directory``: an output's execution (TFX
  names them by id) or a pushed model version. Compared as numbers, not
  strings, so that 10 is newer than 9."""
  if not tf.io.gfile.isdir(directory):
    return None
  ids = [int(n.strip('/')) for n in tf.io.gfile.listdir(directory)
         if n.strip('/').isdigit()]
  return os.path.join(directory, str(max(ids))) if ids else None


def summary(config: PipelineConfig, started: float) -> Dict[str, Any]:
  """What the run produced, read back from its output directory."""
  root = config.pipeline_root
  out: Dict[str, Any] = {'output_dir': config.output_dir,
                         'seconds': round(time.time() - started, 1)}
  emb = latest_execution(os.path.join(root, 'EmbeddingGen', 'embedding'))
  if emb:
    with tf.io.gfile.GFile(os.path.join(emb, 'stats.json')) as f:
      out['embedding'] = json.load(f)
  evaluation = latest_execution(
      os.path.join(root, 'NerEvaluator', 'evaluation'))
  if evaluation:
    with tf.io.gfile.GFile(os.path.join(evaluation, 'metrics.json')) as f:
      metrics = json.load(f)
    out['eval'] = {k: metrics['model'][k] for k in
                   ('precision', 'recall', 'f1', 'per_type')}
    out['blessed'] = metrics['blessed']
    out['gate'] = metrics['reason']
    if metrics.get('drift'):
      out['drift'] = metrics['drift']
  inferred = latest_execution(
      os.path.join(root, 'BulkInferrer', 'output_examples'))
  if config.infer and inferred:
    out['inference'] = inferred
  out['serving_versions'] = [
      str(v) for v in versions.complete_versions(config.serving_dir)]
  for uri, version in pusher.pushed_models(config.serving_dir).items():
    with tf.io.gfile.GFile(os.path.join(config.serving_dir, str(version),
                                        versions.MARKER)) as f:
      if json.load(f)['pushed_at'] >= started:
        out['pushed'] = {'version': str(version), 'model': uri,
                         'path': os.path.join(config.serving_dir,
                                              str(version))}
  examples = latest_execution(os.path.join(root, 'ConllExampleGen',
                                           'examples'))
  if config.test and out.get('pushed') and examples:
    out['test'] = score_test(
        os.path.join(examples, 'Split-test'),
        os.path.join(config.serving_dir, out['pushed']['version']))
  return out


def score_test(split_uri: str, model_dir: str) -> Dict[str, Any]:
  """Entity scores of the pushed model on the --test split, once, after
  the push: nothing selects or gates on them."""
  from models import entity_metrics, features  # pylint: disable=g-import-not-at-top
  from serving import inference  # pylint: disable=g-import-not-at-top
  sentences = list(features.read_split(split_uri))
  predicted = inference.load_tagger(model_dir)(
      [s[features.TOKENS] for s in sentences])
  result = entity_metrics.score([s[features.TAGS] for s in sentences],
                                predicted)
  return {**{k: result[k] for k in ('precision', 'recall', 'f1',
                                    'per_type')},
          'sentences': len(sentences),
          'note': 'scored once after the push; never used for selection or '
                  'the gate'}
