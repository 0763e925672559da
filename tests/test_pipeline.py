"""End to end: the real TFX components on the local Beam runner, tiny data."""

import dataclasses
import html.parser
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import List

import numpy as np
import pytest
import tensorflow as tf

from models import conll, entity_metrics, features, member_processes, trainer
from models.config import EmbeddingConfig, GateConfig, TrainerConfig
from pipeline import cli, local_runner, outputs, recovery, report, scratch
from pipeline import synthetic_data
from pipeline.config import IN_MEMORY_BEAM_ARGS, PipelineConfig
from serving import inference
import browser


def _latest(root, *parts):
  return outputs.latest_execution(os.path.join(root, *parts))


def _config(out, paths, beam_args=IN_MEMORY_BEAM_ARGS, **trainer):
  return PipelineConfig(
      output_dir=str(out), train=paths['train'], eval=paths['eval'],
      test=paths.get('test', ''), beam_args=beam_args,
      embedding=EmbeddingConfig(unlabeled_paths=[paths['unlabeled']],
                                dim=32, epochs=3),
      trainer=TrainerConfig(**{'epochs': 15, 'lstm_units': 32, 'ensemble': 1,
                                **trainer}),
      gate=GateConfig(min_f1=0.6))


def _private_tempdir(tmp_path, monkeypatch) -> str:
  """The run's temporary files in a folder of the test, to see what a run
  leaves behind."""
  folder = tmp_path / 'tmp'
  folder.mkdir()
  monkeypatch.setattr(tempfile, 'tempdir', str(folder))
  return str(folder)


@pytest.fixture(scope='module')
def first_run(tmp_path_factory):
  out = tmp_path_factory.mktemp('pipeline')
  paths = synthetic_data.write_demo_data(str(out / 'data'), train=400,
                                         eval_=100, test=50, unlabeled=800)
  # The eval split as 3 columns (token POS tag) with IOB2 tags: the other
  # supported layout, next to the 4-column IOB1 training file.
  sentences = list(conll.read_file(paths['eval']))
  for s in sentences:
    s.chunk = None
  with open(paths['eval'], 'w') as f:
    f.write(conll.format_sentences(sentences))
  # Two ensemble members: the served model decodes their mean scores. The
  # test file is also tagged in the run (BulkInferrer).
  config = _config(out, paths, ensemble=2)
  config.infer = paths['test']
  with pytest.MonkeyPatch.context() as monkeypatch:
    _private_tempdir(out, monkeypatch)
    local_runner.run(config)
  return config, paths


def test_run_leaves_no_temporary_files(first_run):
  config, _ = first_run
  # Beam-based executors build a TFX source package in a temporary folder
  # and autograph writes generated modules there; the runner removes them.
  assert os.listdir(os.path.join(config.output_dir, 'tmp')) == []
  assert 'TMPDIR' not in os.environ or not os.environ['TMPDIR'].startswith(
      os.path.join(config.output_dir, 'tmp'))


def test_embedding_artifact_has_the_stated_rows(first_run):
  config, _ = first_run
  uri = _latest(config.pipeline_root, 'EmbeddingGen', 'embedding')
  vocab = open(os.path.join(uri, 'vocab.txt')).read().split('\n')[:-1]
  matrix = np.load(os.path.join(uri, 'embeddings.npy'))
  stats = json.load(open(os.path.join(uri, 'stats.json')))
  assert vocab[:2] == ['<PAD>', '<UNK>']
  # Lower-cased vocabulary by default: "Paris" is found through "paris".
  assert 'paris' in vocab and 'Paris' not in vocab
  assert matrix.shape == (len(vocab), 32) == (stats['rows'], stats['dim'])
  assert not matrix[0].any() and matrix[1].any()
  has_vector = np.load(os.path.join(uri, 'has_vector.npy'))
  assert has_vector.shape == (len(vocab),) and not has_vector[:2].any()
  assert has_vector.sum() == stats['words_with_vectors']
  assert stats['train_token_coverage'] > 0.9
  assert 0 <= stats['eval_oov_rate'] < 0.2


def test_model_is_blessed_and_pushed_in_serving_layout(first_run):
  config, _ = first_run
  metrics = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerEvaluator', 'evaluation'),
      'metrics.json')))
  assert metrics['blessed'] is True
  assert metrics['model']['f1'] >= 0.6
  assert set(metrics['model']['per_type']) == {'PER', 'LOC', 'ORG', 'MISC'}
  versions = os.listdir(config.serving_dir)
  assert len(versions) == 1 and versions[0].isdigit()
  assert os.path.exists(os.path.join(config.serving_dir, versions[0],
                                     'saved_model.pb'))
  stats = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerTrainer', 'model_run'),
      'training_stats.json')))
  assert [m['seed'] for m in stats['members']] == [0, 1]
  assert all(m['best_val_f1'] > 0.5 for m in stats['members'])


_CLIENT = r'''
import json, sys
import tensorflow as tf
assert not [m for m in sys.modules if m.split('.')[0] in
            ('components', 'pipeline', 'tensorflow_transform', 'tfx')]
model = tf.saved_model.load(sys.argv[1])
tokens = tf.constant([['John', 'Smith', 'visited', 'Paris', 'on', 'Monday', '.'],
                      ['Reuters', 'said', '.', '', '', '', '']])
tags = model.signatures['tag_tokens'](tokens=tokens)['tags']
text = 'John Smith visited Paris on Monday.'
out = model.signatures['serving_default'](text=tf.constant([text, '']))
print(json.dumps({'shape': tags.shape.as_list(),
                  'tags': tags.numpy().astype(str).tolist(),
                  'text': {k: v.numpy().tolist() for k, v in out.items()
                           if v.dtype != tf.string},
                  'text_strings': {k: v.numpy().astype(str).tolist()
                                   for k, v in out.items()
                                   if v.dtype == tf.string}}))
'''


def test_pushed_model_tags_raw_tokens_without_project_code(first_run):
  config, _ = first_run
  version = os.listdir(config.serving_dir)[0]
  out = subprocess.run(
      [sys.executable, '-c', _CLIENT,
       os.path.join(config.serving_dir, version)],
      check=True, capture_output=True, text=True, cwd='/',
      env={**os.environ, 'PYTHONPATH': ''})
  result = json.loads(out.stdout.strip().splitlines()[-1])
  assert result['shape'] == [2, 7]
  assert result['tags'][0] == ['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'O', 'O']
  assert result['tags'][1][3:] == ['O'] * 4
  assert set(result['tags'][1]) <= {'O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC',
                                    'B-ORG', 'I-ORG', 'B-MISC', 'I-MISC'}
  # Raw text: tokenised in the graph, entities with offsets and confidence.
  strings, numbers = result['text_strings'], result['text']
  assert strings['tokens'][0] == ['John', 'Smith', 'visited', 'Paris', 'on',
                                  'Monday', '.']
  assert strings['tags'][0] == result['tags'][0]
  assert strings['entity_type'][0][:2] == ['PER', 'LOC']
  assert strings['entity_text'][0][:2] == ['John Smith', 'Paris']
  assert numbers['entity_start'][0][:2] == [0, 19]
  assert numbers['entity_end'][0][:2] == [10, 24]
  assert all(0.5 < s <= 1 for s in numbers['entity_score'][0][:2])
  assert set(strings['tokens'][1]) <= {''}  # an empty text: padding only


def test_cli_tags_a_conll_file_as_the_evaluator_scored_it(first_run, tmp_path,
                                                         capsys):
  config, paths = first_run
  out = tmp_path / 'eval.tagged'
  assert cli.main(['tag', '--model', config.serving_dir, '--conll',
                   '--input', paths['eval'], '--output', str(out)]) == 0
  report = capsys.readouterr().err
  sentences = list(conll.read_file(paths['eval']))
  blocks = out.read_text().rstrip('\n').split('\n\n')
  assert len(blocks) == len(sentences)
  rows = [line.split() for b in blocks for line in b.split('\n')]
  # The file's own columns (token, POS, gold tag), then the prediction.
  assert [r[:3] for r in rows] == [
      [t, p, g] for s in sentences for t, p, g in zip(s.tokens, s.pos, s.tags)]
  predicted = [r[3] for r in rows]
  assert set(predicted) <= {'O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG',
                            'I-ORG', 'B-MISC', 'I-MISC'}
  assert not os.path.exists(str(out) + '.partial')
  # The served model scores the file as the Evaluator scored it in the run.
  evaluations = os.path.join(config.pipeline_root, 'NerEvaluator',
                             'evaluation')
  blessed = [m for m in (json.load(open(os.path.join(evaluations, e,
                                                     'metrics.json')))
                         for e in os.listdir(evaluations) if e.isdigit())
             if m['blessed']]
  assert f"FB1: {100 * blessed[0]['model']['f1']:6.2f}" in report
  assert f'{len(sentences)}/{len(sentences)} sentences' in report


def test_cli_tags_raw_text_and_refuses_bad_input(first_run, tmp_path, capsys,
                                                 monkeypatch):
  config, _ = first_run
  version = outputs.latest_execution(config.serving_dir)
  text = tmp_path / 'in.txt'
  text.write_text('John Smith visited Paris on Monday.\n\nReuters said so.\n')
  out = tmp_path / 'out.jsonl'
  assert cli.main(['tag', '--model', config.serving_dir, '--input', str(text),
                   '--format', 'jsonl', '--output', str(out)]) == 0
  lines = [json.loads(line) for line in out.read_text().splitlines()]
  assert [line['text'] for line in lines] == [
      'John Smith visited Paris on Monday.', '', 'Reuters said so.']
  assert [(e['type'], e['text'], e['start'], e['end'])
          for e in lines[0]['entities']] == [('PER', 'John Smith', 0, 10),
                                             ('LOC', 'Paris', 19, 24)]
  assert lines[1]['entities'] == []
  capsys.readouterr()
  assert cli.main(['tag', '--model', version, '--format', 'conll',
                   'John Smith visited Paris.']) == 0
  assert [line.split() for line in capsys.readouterr().out.split('\n')
          if line] == [['John', 'B-PER'], ['Smith', 'I-PER'],
                       ['visited', 'O'], ['Paris', 'B-LOC'], ['.', 'O']]
  monkeypatch.setattr(sys, 'stdin', open(text))
  assert cli.main(['tag', '--model', version]) == 0
  shown = capsys.readouterr().out.splitlines()
  assert shown[0] == 'John Smith visited Paris on Monday.'
  assert shown[1].split('\t')[:2] == ['  PER', '0-10']
  bad, out = tmp_path / 'bad.conll', tmp_path / 'bad.tagged'
  bad.write_text('Paris B-LOC\nsaid\n')
  with pytest.raises(SystemExit, match=f'{bad}:2: expected at least 2'):
    cli.main(['tag', '--model', version, '--conll', '--input', str(bad),
              '--output', str(out)])
  assert not os.path.exists(out)
  latin = tmp_path / 'latin.txt'
  latin.write_bytes(b'caf\xe9\n')
  with pytest.raises(SystemExit, match='not valid utf-8'):
    cli.main(['tag', '--model', version, '--input', str(latin), '--output',
              str(out)])
  assert not os.path.exists(out) and not os.path.exists(str(out) + '.partial')
  with pytest.raises(SystemExit, match='no SavedModel'):
    cli.main(['tag', '--model', str(tmp_path), '--input', str(text)])


def _inferred(config):
  """The examples BulkInferrer wrote, as dicts of value lists."""
  folder = _latest(config.pipeline_root, 'BulkInferrer', 'output_examples')
  files = tf.io.gfile.glob(os.path.join(folder, 'Split-infer', '*'))
  out = []
  for record in tf.data.TFRecordDataset(files, compression_type='GZIP'):
    example = tf.train.Example.FromString(record.numpy())
    out.append({k: list(v.bytes_list.value) or list(v.float_list.value)
                for k, v in example.features.feature.items()})
  return out


def test_bulk_inference_tags_the_infer_file_with_the_blessed_model(first_run):
  config, paths = first_run
  from serving import inference
  rows = _inferred(config)
  sentences = list(conll.read_file(paths['test']))
  assert len(rows) == len(sentences)
  tagger = inference.load_tagger(outputs.latest_execution(config.serving_dir))
  for row in rows:
    tokens = [t.decode() for t in row['tokens']]
    # Outputs are padded to the longest example of BulkInferrer's batch.
    n = len(tokens)
    assert [t.decode() for t in row['inferred_tokens']][:n] == tokens
    assert set(row['inferred_tokens'][n:]) <= {b''}
    assert [t.decode() for t in row['inferred_tags']][:n] == tagger(
        [tokens])[0]
    assert set(row['inferred_tags'][n:]) <= {b''}
    assert all(0 < p <= 1 for p in row['inferred_scores'][:n])
  assert outputs.summary(config, 0)['inference'].startswith(
      config.pipeline_root)


def test_summary_reads_back_the_run(first_run):
  config, _ = first_run
  result = outputs.summary(config, started=0)
  assert result['blessed'] is True and result['eval']['f1'] >= 0.6
  # The --test split, scored once with the pushed model, as tag_tokens
  # would: the same as scoring its file directly.
  test = [s for s in conll.read_file(config.test)]
  tagged = inference.load_tagger(os.path.join(
      config.serving_dir, result['pushed']['version']))([s.tokens for s in
                                                         test])
  assert result['test']['f1'] == entity_metrics.score(
      [s.tags for s in test], tagged)['f1']
  assert result['test']['sentences'] == len(test) == 50
  assert 'never used for selection or the gate' in result['test']['note']
  assert result['embedding']['dim'] == 32
  assert len(result['serving_versions']) >= 1


def test_runs_lists_the_run_from_ml_metadata(first_run, capsys):
  config, _ = first_run
  assert cli.main(['runs', '--output', config.output_dir]) == 0
  lines = capsys.readouterr().out.splitlines()
  metrics = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerEvaluator', 'evaluation'),
      'metrics.json')))
  version = os.listdir(config.serving_dir)[0]
  assert len(lines) == 1  # the fixture's run; the tests below add more
  assert lines[0].split()[2:] == [
      'finished', 'spans', '0', 'F1', f"{100 * metrics['model']['f1']:.2f}",
      'blessed', 'pushed', version]


class _Tables(html.parser.HTMLParser):
  """The text of every cell of every table with an id, row by row."""

  def __init__(self):
    super().__init__()
    self.tables, self.current, self.cell = {}, None, None

  def handle_starttag(self, tag, attrs):
    if tag == 'table':
      self.current = self.tables.setdefault(dict(attrs).get('id'), [])
    elif tag == 'tr' and self.current is not None:
      self.current.append([])
    elif tag in ('td', 'th') and self.current is not None:
      self.cell = []

  def handle_endtag(self, tag):
    if tag in ('td', 'th') and self.cell is not None:
      self.current[-1].append(' '.join(''.join(self.cell).split()))
      self.cell = None
    elif tag == 'table':
      self.current = None

  def handle_data(self, data):
    if self.cell is not None:
      self.cell.append(data)


def _report_tables(path):
  parser = _Tables()
  with open(path) as f:
    parser.feed(f.read())
  return parser.tables


def test_report_shows_the_run_with_the_evaluators_numbers(first_run,
                                                          capsys):
  config, _ = first_run
  assert cli.main(['report', config.output_dir]) == 0
  path = os.path.join(config.output_dir, report.REPORT_FILE)
  assert capsys.readouterr().out.strip() == (
      f'ner-pipeline report: wrote {path}')
  with open(path) as f:
    page = f.read()
  for section in ('outcome', 'data', 'embeddings', 'training', 'evaluation',
                  'gate', 'test'):
    assert f'<section id="{section}">' in page
  # Self-contained: four inline PNG figures, nothing fetched.
  assert page.count('<img src="data:image/png;base64,') == 4
  assert 'http://' not in page and 'https://' not in page
  tables = _report_tables(path)
  metrics = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerEvaluator', 'evaluation'),
      'metrics.json')))
  model = metrics['model']
  rows = {r[0]: r[1:] for r in tables['per-type'][1:]}
  assert rows.pop('all')[:3] == [f'{100 * model[k]:.2f}' for k in
                                 ('precision', 'recall', 'f1')]
  assert rows == {t: [f'{100 * v[k]:.2f}' for k in ('precision', 'recall',
                                                    'f1')]
                      + [str(v[k]) for k in ('gold', 'predicted', 'correct')]
                  for t, v in model['per_type'].items()}
  # The confusion matrix: the diagonal is the evaluator's correct entities,
  # the rows of gold types add up to its gold entities.
  header, *matrix = tables['confusion']
  cols = header[1:]
  assert cols[-1] == 'missed' and matrix[-1][0] == 'spurious'
  for row in matrix[:-1]:
    counts = dict(zip(cols, map(int, row[1:])))
    assert counts[row[0]] == model['per_type'][row[0]]['correct']
    assert sum(counts.values()) == model['per_type'][row[0]]['gold']
  kinds = {r[0]: r[3] for r in tables['word-kinds'][1:]}
  assert kinds == {k: f"{100 * v['f1']:.2f}" for k, v in
                   metrics['by_word_kind'].items()}
  assert sum(metrics['by_word_kind'][k]['gold'] for k in kinds) == model[
      'gold']
  data = {r[0]: r for r in tables['splits'][1:]}
  assert [data[s][1] for s in ('train', 'eval', 'test')] == ['400', '100',
                                                               '50']
  assert all(r[-1] == 'no anomalies' for r in data.values())
  steps = {r[0]: r[1] for r in tables['steps'][1:]}
  assert steps['NerTrainer'] == steps['Pusher'] == 'complete'
  assert len(tables['neighbours']) > 1
  assert len(tables['members']) == 1 + 2  # the fixture's two taggers
  assert 'Blessed' in page and 'never used for selection or the gate' in page


def test_report_renders_in_headless_chromium(first_run, tmp_path):
  from PIL import Image  # pylint: disable=g-import-not-at-top
  config, _ = first_run
  path = os.path.join(config.output_dir, report.REPORT_FILE)
  if not os.path.exists(path):
    report.write(config.output_dir)
  seen = browser.visit(path)
  assert seen['console_errors'] == [] and seen['exceptions'] == []
  assert all(u.startswith(('file:', 'data:')) for u in seen['requests'])
  assert len(seen['images']) == 4
  assert all(i['complete'] and i['width'] > 0 for i in seen['images'])
  shot = tmp_path / 'report.png'
  shot.write_bytes(seen['screenshot'])
  image = Image.open(shot).convert('L')
  assert image.size[1] > 1500  # the whole page, not one screen
  dark = sum(n for value, n in enumerate(image.histogram()) if value < 200)
  assert dark > 0.02 * image.size[0] * image.size[1]  # text and figures


def test_benchmark_reports_on_a_finished_run_by_unseen_words(first_run):
  from benchmarks import benchmark
  from models import entity_metrics
  config, paths = first_run
  with open(os.path.join(config.output_dir, 'last_run.json'), 'w') as f:
    json.dump(outputs.summary(config, started=0), f)  # as `ner-pipeline run` does
  assert benchmark.main(['--output', config.output_dir, '--no-run',
                         '--train', paths['train'], '--eval', paths['eval'],
                         '--unlabeled']) == 0
  assert not os.path.exists(os.path.join(config.output_dir, 'benchmark.json'))
  report = json.load(open(os.path.join(config.output_dir, 'report.json')))
  assert 'wall_seconds' not in report and 'command' not in report
  assert report['inference_tokens_per_second'] > 0
  by_words = report['eval_f1_by_words']
  gold = entity_metrics.score(*[[s.tags for s in conll.read_file(
      paths['eval'])]] * 2)['gold']
  # Three disjoint kinds that cover every entity.
  assert sum(v['gold_entities'] for v in by_words.values()) == gold
  assert by_words['seen_in_train']['gold_entities'] > 0
  assert (by_words['unseen_with_vector']['gold_entities'] +
          by_words['unk']['gold_entities']) > 0
  assert all(0 <= v['f1'] <= 100 for v in by_words.values())


def test_tagger_sweep_trains_on_a_finished_runs_artifacts(first_run, tmp_path,
                                                        capsys):
  from benchmarks import tagger_sweep
  config, _ = first_run
  out = str(tmp_path / 'sweep.json')
  tagger_sweep.main(['--run', config.output_dir, '--seeds', '3', '--set',
                     'epochs=4', 'lstm_units=8', '--output', out])
  result = json.load(open(out))
  assert result['settings'] == {'epochs': 4, 'lstm_units': 8}
  [run] = result['runs']
  assert run['seed'] == 3 and 1 <= run['epochs'] <= 4
  assert 0 <= run['f1'] <= 100
  assert "{'epochs': 4, 'lstm_units': 8}: eval F1" in capsys.readouterr().out
  # The run's own settings and a member's seed: that member's first epochs,
  # whatever seed this process's global generator had.
  tf.random.set_seed(12345)
  tagger_sweep.main(['--run', config.output_dir, '--seeds', '1', '--set',
                     'epochs=2', 'lstm_units=32', '--output', out])
  [again] = json.load(open(out))['runs']
  members = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerTrainer', 'model_run'),
      'training_stats.json')))['members']
  assert members[1]['seed'] == 1
  np.testing.assert_allclose(again['loss'],
                             members[1]['history']['loss'][:2], rtol=1e-3)
  assert not np.allclose(again['loss'], members[0]['history']['loss'][:2],
                         rtol=1e-3)
  with pytest.raises(SystemExit, match='name=value'):
    tagger_sweep.main(['--run', config.output_dir, '--set', 'epochs'])
  with pytest.raises(ValueError, match='unknown TrainerConfig'):
    tagger_sweep.main(['--run', config.output_dir, '--set', 'epoch=2'])


def test_snapshots_rescore_saved_epochs_and_replay_the_ensemble(first_run,
                                                                tmp_path):
  from benchmarks import snapshots
  config, _ = first_run
  out = str(tmp_path / 'snap')
  argv = ['--run', config.output_dir, '--seeds', '3', '4', '--set',
          'epochs=3', 'lstm_units=8', '--top', '2', '--caps', '3', '2',
          '--patience', '3', '--output', out]
  snapshots.main(argv)
  result = json.load(open(os.path.join(out, 'snapshots.json')))
  for seed in (3, 4):
    val_f1 = json.load(open(os.path.join(out, f'seed-{seed}',
                                         'history.json')))['val_f1']
    assert sorted(os.listdir(os.path.join(out, f'seed-{seed}'))) == sorted(
        [f'epoch-{e}.npz' for e in range(1, len(val_f1) + 1)] +
        ['history.json', 'logs'])
    # The best epoch's saved weights score what training logged for it.
    assert result[f'seed {seed}']['best'] == pytest.approx(
        100 * max(val_f1), abs=1e-6)
  full, capped = result['ensemble replays']
  assert (full['cap'], capped['cap']) == (3, 2)
  assert max(capped['epochs kept']) <= 2
  assert capped['epochs trained'] <= full['epochs trained'] <= 6
  assert all(0 <= r['ensemble'] <= 100 for r in (full, capped))
  # Scored again from the saved weights alone: the same figures.
  snapshots.main(argv + ['--no-train'])
  assert json.load(open(os.path.join(out, 'snapshots.json'))) == result
  # Every one of the seeds as an "ensemble" of its own: each replay scores
  # what its tagger logged for the epoch kept.
  snapshots.main(argv + ['--no-train', '--ensemble-size', '1'])
  alone = json.load(open(os.path.join(out, 'snapshots.json')))[
      'ensemble replays']
  assert [(r['cap'], r['seeds']) for r in alone] == [
      (3, [3]), (3, [4]), (2, [3]), (2, [4])]
  for r in alone:
    assert r['ensemble'] == pytest.approx(r['members'][0], abs=0.006)
  with pytest.raises(SystemExit):
    snapshots.main(argv + ['--no-train', '--ensemble-size', '3'])


def _member_job(config, tmp_path, epochs) -> trainer.Job:
  """Two taggers to train on the outputs of the first run (before the
  tests below run the pipeline again into its folder)."""
  root = config.pipeline_root
  examples = _latest(root, 'NerTransform', 'transformed_examples')
  settings = dataclasses.replace(config.trainer, ensemble=2, epochs=epochs,
                                 patience=epochs)
  return trainer.Job(
      config=dataclasses.asdict(settings),
      train_files=[os.path.join(examples, 'Split-train', '*')],
      eval_files=[os.path.join(examples, 'Split-eval', '*')],
      transform_output=_latest(root, 'NerTransform', 'transform_graph'),
      embedding_uri=_latest(root, 'EmbeddingGen', 'embedding'),
      model_run_dir=str(tmp_path / 'model_run'),
      checkpoint_root=str(tmp_path / 'checkpoints'))


def test_worker_processes_train_each_tagger_as_this_process_would(
    first_run, tmp_path, caplog):
  config, _ = first_run
  job = _member_job(config, tmp_path, epochs=2)
  caplog.set_level('INFO')
  assert member_processes.train(job, [0, 1], workers=2, threads=1) == {
      0: 0, 1: 0}
  # Their log records reach this process, arguments and all.
  epochs = sorted(r.args[:2] for r in caplog.records if r.msg == (
      'Trainer: tagger %d epoch %d loss %.4f eval entity F1 %.4f'))
  assert epochs == [(1, 1), (1, 2), (2, 1), (2, 2)]
  assert not _workers(os.getpid())  # every worker has ended
  inputs = trainer.Inputs(job)
  histories = [trainer.load_finished(job, m, inputs)[1] for m in (0, 1)]
  # A member's seed fixes its weights, dropout and data order, so tagger 2
  # trained here (two threads, not one, and a process whose global seed
  # something else set) follows the same losses.
  tf.random.set_seed(12345)
  here = dataclasses.replace(job, checkpoint_root=str(tmp_path / 'here'))
  _, history, _ = trainer.train_member(here, 1, inputs)
  np.testing.assert_allclose(history['loss'], histories[1]['loss'],
                             rtol=1e-3)
  assert not np.allclose(histories[0]['loss'], histories[1]['loss'],
                         rtol=1e-3)


def test_a_worker_s_error_fails_the_training_with_its_traceback(first_run,
                                                                tmp_path):
  config, _ = first_run
  job = dataclasses.replace(_member_job(config, tmp_path, epochs=2),
                            embedding_uri=str(tmp_path / 'no-embedding'))
  with pytest.raises(member_processes.WorkerError) as error:
    member_processes.train(job, [0, 1], workers=2, threads=1)
  assert 'failed in its worker process' in str(error.value)
  assert 'Traceback' in str(error.value)
  assert 'no-embedding' in str(error.value)
  assert not _workers(os.getpid())


def test_a_killed_worker_fails_the_training_and_stops_the_others(
    first_run, tmp_path):
  config, _ = first_run
  job = _member_job(config, tmp_path, epochs=500)
  killed = []

  def kill_the_first_worker_once_it_trains():
    deadline = time.time() + 300
    while time.time() < deadline:
      if list((tmp_path / 'checkpoints').glob('member-*/state.json')):
        workers = _workers(os.getpid())
        if workers:
          os.kill(workers[0], signal.SIGKILL)
          killed.append(workers[0])
          return
      time.sleep(0.1)

  killer = threading.Thread(target=kill_the_first_worker_once_it_trains)
  killer.start()
  with pytest.raises(member_processes.WorkerError, match='exit code -9'):
    member_processes.train(job, [0, 1], workers=2, threads=1)
  killer.join()
  assert killed
  assert not _workers(os.getpid())  # the other worker was stopped


def test_worse_model_is_not_blessed_and_pushes_nothing(first_run):
  config, _ = first_run
  before = sorted(os.listdir(config.serving_dir))
  worse = dataclasses.replace(
      config, trainer=dataclasses.replace(config.trainer, learning_rate=0.0,
                                          epochs=1),
      gate=GateConfig(min_f1=0.0, max_f1_drop=0.01))
  local_runner.run(worse)
  metrics = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerEvaluator', 'evaluation'),
      'metrics.json')))
  assert metrics['blessed'] is False
  assert metrics['baseline']['f1'] >= 0.6 > metrics['model']['f1']
  assert 'below the blessed baseline' in metrics['reason']
  assert sorted(os.listdir(config.serving_dir)) == before
  blessing = _latest(config.pipeline_root, 'NerEvaluator', 'blessing')
  assert sorted(os.listdir(blessing)) == [  # and what a drift check reads
      'NOT_BLESSED', 'drift_profile.json', 'vocab.txt']


_SPANISH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), '..', 'shared', 'data', 'conll2002_esp')


@pytest.mark.skipif(not os.path.isdir(_SPANISH),
                    reason='the shared CoNLL-2002 Spanish data is not here')
def test_a_retrain_on_another_corpus_is_stopped_by_the_drift_gate(first_run,
                                                                   tmp_path):
  config, _ = first_run
  paths = {}
  for split, name, count in (('train', 'esp.train', 300),
                             ('eval', 'esp.testa', 100)):
    sentences = list(conll.read_file(os.path.join(_SPANISH, name),
                                     'latin-1'))[:count]
    paths[split] = str(tmp_path / f'{split}.conll')
    with open(paths[split], 'w') as f:
      f.write(conll.format_sentences(sentences))
  before = sorted(os.listdir(config.serving_dir))
  # The F1 gate lets anything through: only the drift check can stop it.
  spanish = dataclasses.replace(config, train=paths['train'],
                                eval=paths['eval'], test='', infer='',
                                gate=GateConfig(min_f1=0.0, max_f1_drop=1.0))
  local_runner.run(spanish)
  metrics = json.load(open(os.path.join(
      _latest(config.pipeline_root, 'NerEvaluator', 'evaluation'),
      'metrics.json')))
  assert metrics['blessed'] is False
  assert metrics['reason'].startswith(
      "the data drifted from the blessed baseline's: the eval OOV rate rose")
  assert metrics['drift']['oov_rate_new'] > 0.5 > metrics['drift'][
      'oov_rate_baseline']
  assert sorted(os.listdir(config.serving_dir)) == before
  # --allow-drift: the same model (cached) is blessed and pushed, with the
  # numbers in the reason.
  allowed = dataclasses.replace(spanish, enable_cache=True, gate=GateConfig(
      min_f1=0.0, max_f1_drop=1.0, allow_drift=True))
  trained = os.listdir(os.path.join(config.pipeline_root, 'NerTrainer',
                                    'model'))
  local_runner.run(allowed)
  assert os.listdir(os.path.join(config.pipeline_root, 'NerTrainer',
                                 'model')) == trained
  result = outputs.summary(allowed, 0)
  assert result['blessed'] is True
  assert 'the data drifted, allowed (--allow-drift): the eval OOV rate' in (
      result['gate'])
  assert result['drift'] == metrics['drift']
  assert len(os.listdir(config.serving_dir)) == len(before) + 1


def _small_data(directory, eval_text=None, train_text=None):
  paths = synthetic_data.write_demo_data(str(directory), train=60, eval_=20,
                                         test=0, unlabeled=50)
  for key, text in (('eval', eval_text), ('train', train_text)):
    if text is not None:
      with open(paths[key], 'w') as f:
        f.write(text)
  paths.pop('test')
  return paths


def test_unknown_tag_stops_the_run_before_training(tmp_path, monkeypatch):
  paths = _small_data(tmp_path / 'data', eval_text=(
      'Acme NNP I-NP B-COMPANY\nrose VBD I-VP O\n\nPeter NNP I-NP B-PER\n'))
  config = _config(tmp_path, paths)
  folder = _private_tempdir(tmp_path, monkeypatch)
  with pytest.raises(Exception, match='do not match the schema') as err:
    local_runner.run(config)
  assert os.listdir(folder) == []  # a failed run cleans up too
  assert "split 'eval'" in str(err.value) and "'tags'" in str(err.value)
  for never_ran in ('EmbeddingGen', 'NerTransform', 'NerTrainer'):
    assert not os.path.exists(os.path.join(config.pipeline_root, never_ran))
  assert not os.path.exists(config.serving_dir)


def test_empty_split_stops_the_run(tmp_path):
  # Inside the pipeline too (Kubeflow and Vertex have no CLI check first).
  paths = _small_data(tmp_path / 'data', eval_text='-DOCSTART- -X- -X- O\n\n')
  with pytest.raises(Exception, match='holds no sentence'):
    local_runner.run(_config(tmp_path, paths))


def test_malformed_file_names_file_and_line(tmp_path):
  paths = _small_data(tmp_path / 'data',
                      train_text='EU NNP I-NP I-ORG\nrejects VBZ I-VP\n')
  with pytest.raises(Exception) as err:
    local_runner.run(_config(tmp_path, paths))
  assert f"{paths['train']}:2: expected 4 columns" in str(err.value)



@pytest.mark.parametrize('beam_args', [
    ('--runner=DirectRunner', '--direct_running_mode=multi_processing',
     '--direct_num_workers=2'),
    ('--runner=PortableRunner', '--job_endpoint=embed',
     '--environment_type=LOOPBACK'),
], ids=['multi_processing', 'portable'])
def test_whole_pipeline_on_other_beam_runners(tmp_path, monkeypatch,
                                              beam_args):
  paths = _small_data(tmp_path / 'data')
  config = _config(tmp_path, paths, beam_args=beam_args, epochs=2)
  config.gate.min_f1 = 0.0
  raw = tmp_path / 'data' / 'notes.txt'  # raw text to tag in the run
  raw.write_text('John Smith visited Paris.\n\nAcme Corp. hired Mary.\n')
  config.infer, config.infer_text = str(raw), True
  folder = _private_tempdir(tmp_path, monkeypatch)
  local_runner.run(config)
  assert os.listdir(folder) == []  # Beam's staging and workers' files too
  assert len(os.listdir(config.serving_dir)) == 1
  examples = _latest(config.pipeline_root, 'ConllExampleGen', 'examples')
  assert len(list(features.read_split(
      os.path.join(examples, 'Split-train')))) == 60
  inferred = _inferred(config)
  assert sorted(r['text'][0].decode() for r in inferred) == [
      'Acme Corp. hired Mary.', 'John Smith visited Paris.']
  for row in inferred:
    tokens = [t for t in row['inferred_tokens'] if t]
    assert len(tokens) == 5 and len(row['inferred_tags']) == len(
        row['inferred_tokens'])


# A run that prints its scratch folder, then works for two minutes.
_HOLDS_SCRATCH = ('import time\n'
                  'from pipeline import scratch\n'
                  'with scratch.tempdir() as d:\n'
                  '  print(d, flush=True)\n'
                  '  time.sleep(120)\n')


def test_a_terminated_run_removes_its_scratch_folder(tmp_path):
  # A scheduler's timeout sends SIGTERM: the scratch folder (Beam's ~150 MB of
  # packages per run) must go as it does after an error.
  env = {**os.environ, 'TMPDIR': str(tmp_path)}
  proc = subprocess.Popen([sys.executable, '-c', _HOLDS_SCRATCH], env=env,
                          stdout=subprocess.PIPE, text=True)
  folder = proc.stdout.readline().strip()
  assert os.path.isdir(folder) and folder.startswith(str(tmp_path))
  proc.terminate()
  assert proc.wait(timeout=60) == 128 + signal.SIGTERM
  assert not os.path.exists(folder)


def test_the_next_run_removes_what_a_killed_run_left(tmp_path, monkeypatch):
  # SIGKILL (the OOM killer, a lost machine) runs no clean-up at all: the
  # killed run's scratch folder stays until the next run finds it unlocked.
  env = {**os.environ, 'TMPDIR': str(tmp_path)}
  killed, live = (subprocess.Popen(
      [sys.executable, '-c', _HOLDS_SCRATCH], env=env, stdout=subprocess.PIPE,
      text=True) for _ in range(2))
  try:
    left, in_use = (p.stdout.readline().strip() for p in (killed, live))
    killed.kill()
    killed.wait(timeout=60)
    assert os.path.isdir(left)
    older_version = tmp_path / 'ner-pipeline-nolock'  # no lock file: kept
    older_version.mkdir()
    just_made = tmp_path / 'ner-pipeline-new'  # lock not taken yet: kept
    just_made.mkdir()
    (just_made / '.in-use').touch()
    old = os.path.getmtime(left) - 3600
    for folder in (left, in_use):
      os.utime(os.path.join(folder, '.in-use'), (old, old))
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    with scratch.tempdir() as mine:
      assert not os.path.exists(left)
      assert os.path.isdir(in_use) and os.path.isdir(mine)
      assert older_version.is_dir() and just_made.is_dir()
    assert not os.path.exists(mine)
  finally:
    live.kill()
    live.wait(timeout=60)


def _children(pid: int) -> List[int]:
  """The live processes whose parent is ``pid`` (from /proc)."""
  found = []
  for entry in os.listdir('/proc'):
    try:
      with open(f'/proc/{entry}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
      continue
    if fields[0] != 'Z' and int(fields[1]) == pid:
      found.append(int(entry))
  return found


def _workers(pid: int) -> List[int]:
  """The taggers' worker processes (models.member_processes) of ``pid``."""
  found = []
  for child in _children(pid):
    try:
      with open(f'/proc/{child}/cmdline', 'rb') as f:
        if b'spawn_main' in f.read():
          found.append(child)
    except OSError:  # ended meanwhile
      pass
  return found


def _alive(pid: int) -> bool:
  try:
    with open(f'/proc/{pid}/stat') as f:
      return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
  except OSError:
    return False


def test_a_run_killed_while_training_finishes_on_rerun_from_its_epochs(
    tmp_path):
  # SIGKILL (the OOM killer, a lost machine) of the run's process while its
  # two taggers train side by side in worker processes: the workers die
  # with it, and the rerun reuses the finished steps, marks the killed
  # execution CANCELED, and trains each tagger on from its last epoch.
  paths = _small_data(tmp_path / 'data')
  out = tmp_path / 'out'
  argv = [sys.executable, '-m', 'pipeline.cli', 'run', '--train',
          paths['train'], '--eval', paths['eval'], '--unlabeled',
          paths['unlabeled'], '--output', str(out), '--cache', '--epochs', '8',
          '--patience', '8', '--ensemble', '2', '--lstm-units', '16',
          '--w2v-dim', '16', '--w2v-epochs', '2', '--min-f1', '0',
          '--beam-arg=--direct_running_mode=in_memory']
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)
  checkpoints = out / 'pipeline_root' / 'NerTrainer' / '.checkpoints'
  deadline = time.time() + 900
  try:
    while not all(list(checkpoints.glob(f'*/member-{m}/state.json'))
                  for m in (0, 1)):
      assert proc.poll() is None and time.time() < deadline
      time.sleep(0.1)
    workers = _workers(proc.pid)
    assert len(workers) >= 2, 'the taggers train in worker processes'
    os.kill(proc.pid, signal.SIGKILL)  # the run's process alone
    proc.wait(timeout=60)
    states = lambda: [p.read_text() for p in sorted(
        checkpoints.glob('*/member-*/state.json'))]
    at_kill = states()
    deadline = time.time() + 30
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
      time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), 'orphaned workers'
    # An orphan would have saved at least one more epoch, or its last.
    time.sleep(2)
    assert states() == at_kill
  finally:
    try:
      os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # nothing of the run left
      pass
    proc.wait(timeout=60)
  metadata_path = str(out / 'metadata.sqlite')
  assert 'NerTrainer' in {e.type.rsplit('.', 1)[-1]
                          for e in recovery.unfinished(metadata_path)}
  examples = out / 'pipeline_root' / 'ConllExampleGen' / 'examples'
  made = sorted(os.listdir(examples))

  rerun = subprocess.run(argv, cwd=root, capture_output=True, text=True,
                         timeout=1200)
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  assert 'left NerTrainer unfinished: marked CANCELED' in rerun.stdout
  # The terminal: a line as each component starts and ends, one per tagger,
  # a short summary; the libraries' logs (Beam, TFX, TensorFlow) in run.log.
  terminal = rerun.stdout + rerun.stderr
  assert len(terminal.splitlines()) <= 60, terminal
  assert 'Traceback' not in terminal and 'Exception ignored' not in terminal
  for component in ('ConllExampleGen', 'NerTrainer', 'NerEvaluator',
                    'Pusher'):
    assert f'  {component} done in ' in rerun.stdout, terminal
  for tagger in (1, 2):
    assert f'tagger {tagger} resumes after epoch' in rerun.stdout
  assert rerun.stdout.splitlines()[-1].startswith(
      'ner-pipeline: eval entity F1 ')
  with open(out / 'run.log') as f:
    assert 'Component NerTrainer is finished.' in f.read()
  assert recovery.unfinished(metadata_path) == []
  assert sorted(os.listdir(examples)) == made  # reused, not made again
  stats = json.load(open(os.path.join(
      _latest(str(out / 'pipeline_root'), 'NerTrainer', 'model_run'),
      'training_stats.json')))
  assert stats['worker_processes'] == 2
  for member in stats['members']:
    assert 1 <= member['resumed_after_epoch'] <= member['epochs_run'] == 8
    assert len(member['history']['val_f1']) == 8
  assert json.load(open(out / 'last_run.json'))['pushed']
  assert not any(checkpoints.iterdir())  # removed once exported
  # The report the run wrote: its training table shows the resumed taggers.
  assert f"  report: {out / 'report.html'}" in rerun.stdout
  members = _report_tables(out / 'report.html')['members'][1:]
  assert [r[-1] for r in members] == [str(m['resumed_after_epoch'])
                                      for m in stats['members']]
