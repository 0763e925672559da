"""Scheduled retrains on spans: push on good data, refuse corrupted labels."""

import html
import json
import os
import random

from components import pusher
from pipeline import cli, synthetic_data


def _write_span(root, span, corrupt=False):
  folder = root / f'span-{span}'
  folder.mkdir(parents=True)
  train = synthetic_data.generate_sentences(300, 'train', seed=span)
  if corrupt:  # labels shuffled across the whole span: nothing to learn
    rng = random.Random(span)
    tags = [t for s in train for _, t in s]
    rng.shuffle(tags)
    it = iter(tags)
    train = [[(w, next(it)) for w, _ in s] for s in train]
  (folder / 'train.conll').write_text(synthetic_data.to_conll_iob1(train))
  (folder / 'eval.conll').write_text(synthetic_data.to_conll_iob1(
      synthetic_data.generate_sentences(80, 'eval', seed=span)))


def _retrain(root, out, status=0):
  assert cli.main(['retrain', '--data-root', str(root), '--output', str(out),
                   '--epochs', '15', '--ensemble', '1', '--w2v-dim', '32',
                   '--lstm-units', '32',
                   # Spans of 300 sentences: batches of 32 give twice the
                   # updates an epoch of the default 64, which 15 epochs need.
                   '--batch-size', '32',
                   # Each span has its own eval split, so a good model's F1
                   # moves by a few points from span to span (0.97 -> 0.93
                   # seen); corrupted labels fall far below the 0.6 bar.
                   '--min-f1', '0.6', '--max-f1-drop', '0.1',
                   '--beam-arg=--direct_running_mode=in_memory']) == status
  with open(out / 'last_run.json') as f:
    return json.load(f)


def _executions(out, component, output):
  return sorted(os.listdir(out / 'pipeline_root' / component / output))


def _span_of_latest_examples(out):
  from tfx.orchestration import metadata
  from tfx.types import standard_artifacts
  config = metadata.sqlite_metadata_connection_config(
      str(out / 'metadata.sqlite'))
  with metadata.Metadata(config) as m:
    examples = m.store.get_artifacts_by_type(
        standard_artifacts.Examples.TYPE_NAME)
  raw = [a for a in examples if '/ConllExampleGen/' in a.uri]
  latest = max(raw, key=lambda a: a.id)
  return latest.custom_properties['span'].int_value


def test_spans_push_good_models_and_keep_serving_on_bad_labels(
    tmp_path, monkeypatch, capsys):
  root, out = tmp_path / 'data', tmp_path / 'out'
  _write_span(root, 1)
  first = _retrain(root, out)
  assert first['blessed'] and len(first['serving_versions']) == 1
  assert first['pushed']['version'] == first['serving_versions'][0]
  assert _span_of_latest_examples(out) == 1

  # The push of a blessed model fails (a full disk): the run fails, and the
  # model is pushed by the next run, though blessings say it is the baseline.
  _write_span(root, 2)

  def disk_full(*args, **kwargs):
    raise OSError(28, 'No space left on device')

  with monkeypatch.context() as patch:
    patch.setattr(pusher.io_utils, 'copy_file', disk_full)
    _retrain(root, out, status=1)
  assert 'No space left on device' in capsys.readouterr().err
  assert os.listdir(out / 'serving_model') == first['serving_versions']
  second = _retrain(root, out)
  assert not second['blessed']
  assert second['gate'] == 'the model is already the blessed baseline'
  assert len(second['serving_versions']) == 2
  newest = max(_executions(out, 'NerTrainer', 'model'), key=int)
  assert second['pushed'] == {
      'version': second['serving_versions'][1],
      'model': str(out / 'pipeline_root' / 'NerTrainer' / 'model' / newest),
      'path': str(out / 'serving_model' / second['serving_versions'][1])}
  assert _span_of_latest_examples(out) == 2

  # Unchanged rerun: every component's output comes from the cache, and no
  # duplicate version is pushed.
  trained = _executions(out, 'NerTrainer', 'model')
  again = _retrain(root, out)
  assert _executions(out, 'NerTrainer', 'model') == trained
  assert again['serving_versions'] == second['serving_versions']

  _write_span(root, 3, corrupt=True)
  third = _retrain(root, out)
  assert _span_of_latest_examples(out) == 3
  assert len(_executions(out, 'NerTrainer', 'model')) == len(trained) + 1
  assert third['blessed'] is False
  assert third['serving_versions'] == second['serving_versions']
  # Its report says why, with the numbers of the baseline that serves.
  page = (out / 'report.html').read_text()
  assert third['report'] == str(out / 'report.html')
  assert 'Not blessed' in page and html.escape(third['gate']) in page
  assert '<table id="baseline">' in page
  assert 'Nothing was pushed by this run.' in page


def test_window_reads_the_newest_spans_together(tmp_path):
  from components.conll_example_gen import window_patterns
  assert window_patterns('span-3/train.conll',
                         ['span-{SPAN}/eval.conll', 'span-{SPAN}/train.conll'],
                         span=3, window=2) == ['span-2/train.conll',
                                               'span-3/train.conll']
  assert window_patterns('d/s-03/t', ['d/s-{SPAN:2}/t'], 1, 5) == [
      'd/s-00/t', 'd/s-01/t']
  assert window_patterns('plain.conll', ['plain.conll'], 0, 3) == [
      'plain.conll']

