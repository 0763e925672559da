"""report.html: what a run did and produced, in one self-contained page
(images inline, nothing fetched), rebuilt from the ML Metadata store and
the artifacts of the newest run in an --output (``ner-pipeline report``).

Every figure is read from the artifacts the components wrote: the
per-type scores, the confusion matrix and F1 by kind of word are the
NerEvaluator's own (its metrics.json), never recomputed here.
"""

import collections
import datetime
import json
import os
from typing import Any, Dict, List, Optional

import jinja2
from ml_metadata.proto import metadata_store_pb2
import numpy as np
import tensorflow as tf

from components import artifacts, validation_gate
from models import atomic, embedding_files, embeddings, entity_breakdown
from models import entity_metrics, features
from models.trainer import TRAINING_STATS_FILE
from pipeline import outputs, report_plots, runs
from pipeline.config import existing_metadata

REPORT_FILE = 'report.html'
NEIGHBOURS = 5  # nearest neighbours shown for each probe word
PROBES_PER_TYPE = 2  # the most frequent words of each entity type


def _when(millis: int) -> str:
  return datetime.datetime.fromtimestamp(millis / 1000).strftime(
      '%Y-%m-%d %H:%M:%S')


def _artifact(record: Dict, component: str, type_name: str):
  found = [a for a in record['outputs'].get(component, [])
           if a.type_name == type_name]
  return found[0] if found else None


def _read_json(path: str) -> Optional[Dict]:
  if not tf.io.gfile.exists(path):
    return None
  with tf.io.gfile.GFile(path) as f:
    return json.load(f)


def _steps(record: Dict) -> List[Dict]:
  state = {v: k for k, v in
           metadata_store_pb2.Execution.State.items()}
  steps = []
  for name, e in sorted(record['executions'].items(),
                        key=lambda kv: kv[1].create_time_since_epoch):
    steps.append({'name': name, 'state': state[e.last_known_state].lower(),
                  'started': _when(e.create_time_since_epoch),
                  'seconds': (e.last_update_time_since_epoch
                              - e.create_time_since_epoch) / 1000})
  return steps


def _data(examples, anomalies, statistics) -> Dict:
  """Per split: sentences, tokens, entities per type, lengths, and what
  validation found."""
  from tfx.types import artifact_utils  # pylint: disable=g-import-not-at-top
  splits, lengths, train_tokens = {}, {}, []
  for split in artifact_utils.decode_split_names(examples.split_names):
    entity_counts = collections.Counter()
    lengths[split] = []
    for s in features.read_split(
        artifact_utils.get_split_uri([examples], split)):
      lengths[split].append(len(s[features.TOKENS]))
      entity_counts.update(t for t, _, _ in entity_metrics.entities(
          s[features.TAGS]))
      if split == 'train':
        train_tokens.append(s)
    splits[split] = {'sentences': len(lengths[split]),
                     'tokens': sum(lengths[split]),
                     'longest': max(lengths[split], default=0),
                     'entities': dict(sorted(entity_counts.items()))}
  problems = (validation_gate.problems_by_split(anomalies, statistics)
              if anomalies is not None and statistics is not None else None)
  for split, info in splits.items():
    info['validation'] = (None if problems is None
                          else problems.get(split, []))
  types = sorted({t for info in splits.values() for t in info['entities']})
  return {'splits': splits, 'types': types, 'span': runs.value(examples,
                                                                 'span'),
          'histogram': report_plots.length_histograms(lengths)
                       if any(lengths.values()) else None,
          'train_sentences': train_tokens}


def _neighbours(uri: str, train_sentences: List[Dict]) -> List[Dict]:
  """The nearest words, by cosine, of the most frequent words of each
  entity type in training: a glance at whether the vectors make sense."""
  vocab = embedding_files.load_vocab(uri)
  matrix = embedding_files.load_matrix(uri)
  has_vector = embedding_files.load_has_vector(uri)
  index = embeddings.vocab_index(vocab[2:])
  by_type: Dict[str, collections.Counter] = collections.defaultdict(
      collections.Counter)
  for s in train_sentences:
    for etype, start, end in entity_metrics.entities(s[features.TAGS]):
      for word in s[features.TOKENS][start:end]:
        if len(word) > 2 and word[0].isalpha():
          by_type[etype][word] += 1
  norms = np.linalg.norm(matrix, axis=1)
  norms[norms == 0] = 1.0
  unit = matrix / norms[:, None]
  if has_vector is not None:  # rows without a vector are random: skip them
    unit[~has_vector.astype(bool)] = 0.0
  unit[:2] = 0.0  # <PAD>, <UNK>
  probes = []
  for etype in sorted(by_type):
    for word, count in by_type[etype].most_common(PROBES_PER_TYPE):
      row = embeddings.token_id(word, index)
      if row == embeddings.UNK_ID or not unit[row].any():
        continue
      similarity = unit @ unit[row]
      similarity[row] = -2.0
      nearest = np.argsort(-similarity)[:NEIGHBOURS]
      probes.append({'word': word, 'type': etype, 'count': count,
                     'row_word': vocab[row],
                     'neighbours': [(vocab[i], float(similarity[i]))
                                    for i in nearest]})
  return probes


def _confusion(confusion: Dict[str, Dict[str, int]], types: List[str]
               ) -> Dict:
  rows = [t for t in types if t in confusion] + [
      t for t in confusion if t not in types and t != entity_breakdown.SPURIOUS]
  rows.append(entity_breakdown.SPURIOUS)
  cols = sorted({c for row in confusion.values() for c in row} - {
      entity_breakdown.MISSED} | set(rows) - {entity_breakdown.SPURIOUS})
  cols.append(entity_breakdown.MISSED)
  counts = [[confusion.get(r, {}).get(c, 0) for c in cols] for r in rows]
  counts[-1][-1] = None  # spurious x missed: no such entity
  return {'rows': rows, 'cols': cols, 'counts': counts,
          'image': report_plots.confusion_matrix(
              rows, cols, [[c or 0 for c in row] for row in counts])}


def collect(output_dir: str, test: Optional[Dict] = None) -> Dict[str, Any]:
  """Everything the report shows, for the newest run in ``output_dir``;
  ``test``: the --test score the run computed, if it did."""
  with runs.open_store(existing_metadata(output_dir)) as m:
    contexts = runs.contexts(m.store)
    if not contexts:
      raise FileNotFoundError(f'{output_dir}: no run recorded')
    record = runs.run_record(m.store, contexts[-1])
  context = record['context']
  report: Dict[str, Any] = {
      'output_dir': os.path.abspath(output_dir), 'run': context.name,
      'started': _when(context.create_time_since_epoch),
      'state': runs.run_state(record['executions'].values()),
      'steps': _steps(record), 'runs_in_store': len(contexts)}
  examples = _artifact(record, 'ConllExampleGen', 'Examples')
  train_sentences: List[Dict] = []
  if examples is not None:
    data = _data(examples, _artifact(record, 'ExampleValidator',
                                     'ExampleAnomalies'),
                 _artifact(record, 'StatisticsGen', 'ExampleStatistics'))
    train_sentences = data.pop('train_sentences')
    report['data'] = data
  embedding = _artifact(record, 'EmbeddingGen',
                        artifacts.EmbeddingMatrix.TYPE_NAME)
  if embedding is not None:
    report['embedding'] = {
        'stats': embedding_files.load_stats(embedding.uri),
        'neighbours': _neighbours(embedding.uri, train_sentences)}
  model_run = _artifact(record, 'NerTrainer', 'ModelRun')
  training = model_run and _read_json(os.path.join(model_run.uri,
                                                   TRAINING_STATS_FILE))
  if training:
    report['training'] = {**training, 'curves': report_plots.training_curves(
        training['members'])}
  evaluation = _artifact(record, 'NerEvaluator', 'ModelEvaluation')
  metrics = evaluation and _read_json(os.path.join(evaluation.uri,
                                                   'metrics.json'))
  if metrics:
    report['eval'] = metrics
    types = report.get('data', {}).get('types') or sorted(
        metrics['model']['per_type'])
    if metrics.get('confusion'):
      report['confusion'] = _confusion(metrics['confusion'], types)
    if metrics.get('by_word_kind'):
      report['word_kinds_image'] = report_plots.f1_by_word_kind(
          {k: metrics['by_word_kind'][k] for k in entity_breakdown.WORD_KINDS})
  pushed = _artifact(record, 'Pusher', 'PushedModel')
  if pushed is not None and runs.value(pushed, 'pushed'):
    report['pushed'] = {'version': str(runs.value(pushed, 'pushed_version')),
                        'path': runs.value(pushed, 'pushed_destination')}
  report['test'] = test or _test_score(output_dir, examples,
                                       report.get('pushed'))
  return report


def _test_score(output_dir: str, examples, pushed: Optional[Dict]
                ) -> Optional[Dict]:
  """The --test score of the model this run pushed: the one the run
  printed (last_run.json), or scored now the same way."""
  from tfx.types import artifact_utils  # pylint: disable=g-import-not-at-top
  if not pushed or examples is None or 'test' not in (
      artifact_utils.decode_split_names(examples.split_names)):
    return None
  last = _read_json(os.path.join(output_dir, 'last_run.json')) or {}
  if last.get('test') and last.get('pushed', {}).get('version') == (
      pushed['version']):
    return last['test']
  return outputs.score_test(artifact_utils.get_split_uri([examples], 'test'),
                            pushed['path'])


def render(report: Dict[str, Any]) -> str:
  environment = jinja2.Environment(
      loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(
          os.path.abspath(__file__)), 'templates')),
      autoescape=True, undefined=jinja2.StrictUndefined)
  environment.filters['pct'] = lambda v: '-' if v is None else f'{100 * v:.2f}'
  environment.filters['num'] = lambda v: '-' if v is None else f'{v:,}'
  environment.filters['secs'] = lambda v: f'{v:,.1f}'
  return environment.get_template(REPORT_FILE).render(
      r=report, kinds=entity_breakdown.WORD_KINDS)


def write(output_dir: str, test: Optional[Dict] = None) -> str:
  """Builds report.html for the newest run in ``output_dir``; returns its
  path. Written whole or not at all."""
  path = os.path.join(output_dir, REPORT_FILE)
  atomic.write(path, render(collect(output_dir, test)))
  return path
