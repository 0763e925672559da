"""What a run shows on the terminal, and what goes to run.log instead."""

import io
import logging
import os
import subprocess
import sys

from pipeline import console


class _Terminal(io.StringIO):

  def isatty(self):
    return True


def _feed(handler):
  log = logging.getLogger('test_console')
  log.propagate = False
  log.addHandler(handler)
  log.setLevel(logging.INFO)
  try:
    log.info('Component %s is running.', 'NerTrainer')
    # Two taggers trained at once (models.member_processes): their
    # records interleave. Tagger 2 resumes a killed run's epoch 1.
    for tagger in (1, 2):
      log.info('Trainer: tagger %d of %d, at most %d epochs', tagger, 2, 15)
    log.info('Trainer: tagger %d resumes after epoch %d', 2, 1)
    for epoch, f1 in ((1, 0.5), (2, 0.75)):
      for tagger in (2, 1)[epoch == 1:]:
        log.info('Trainer: tagger %d epoch %d loss %.4f eval entity F1 %.4f',
                 tagger, epoch, 3.0 / epoch, f1 - tagger / 100)
    log.info('Trainer: tagger %d stopped after %d epochs, keeps epoch %d '
             '(eval entity F1 %.4f)', 1, 2, 2, 0.74)
    log.info('Trainer: tagger %d stopped after %d epochs, keeps epoch %d '
             '(eval entity F1 %.4f)', 2, 2, 1, 0.48)
    log.info('Component %s is finished.', 'NerTrainer')
    log.info('NerEvaluator: tagging %d sentences with %s', 300, '/m')
    for done in (256, 300):
      log.info('NerEvaluator: tagged %d of %d sentences', done, 300)
  finally:
    log.removeHandler(handler)


def test_plain_lines_when_not_a_terminal():
  lines = []
  _feed(console._Progress(lines.append, io.StringIO()))
  assert lines[0] == '  NerTrainer ...'
  assert lines[1:4] == [
      "    tagger 2 resumes after epoch 1 (a killed run's checkpoint)",
      '    tagger 1: best eval entity F1 74.00 at epoch 2',
      '    tagger 2: best eval entity F1 48.00 at epoch 1']
  assert lines[4].startswith('  NerTrainer done in ')
  assert len(lines) == 5


def test_a_terminal_gets_a_progress_bar_with_the_eval_f1():
  terminal, lines = _Terminal(), []
  _feed(console._Progress(lines.append, terminal))
  drawn = terminal.getvalue()
  # One bar for both taggers: 2 x 15 epochs at most, the resumed epoch
  # counted, and fewer once a tagger stops early (after 2 of 15).
  assert '2 taggers' in drawn and '1/30' in drawn and '4/30' in drawn
  assert '4/17' in drawn and '4/4' in drawn
  assert 'tagger 1: loss 1.500' in drawn
  assert 'evaluation' in drawn and '300/300' in drawn
  assert len(lines) == 5  # the same lines; the bar is gone when done


_RUN = r'''
import logging, os, sys
from pipeline import console
with console.run_console(sys.argv[1], verbose=False) as face:
  face.say('a line of the run')
  print('a library printing')
  os.write(2, b'native code writing to stderr\n')
  logging.getLogger('absl').info('Component %s is running.', 'Pusher')
  logging.getLogger('tensorflow').warning('a library warning')
print('after the run')
'''


def test_libraries_write_to_run_log_and_the_run_to_the_terminal(tmp_path):
  done = subprocess.run(
      [sys.executable, '-c', _RUN, str(tmp_path)], capture_output=True,
      text=True, timeout=120,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert done.returncode == 0, done.stderr
  assert done.stdout.splitlines() == ['a line of the run', '  Pusher ...',
                                      'after the run']
  assert done.stderr == ''
  log = (tmp_path / console.RUN_LOG).read_text()
  for text in ('a library printing', 'native code writing to stderr',
               'Component Pusher is running.', 'a library warning'):
    assert text in log


def test_summary_lines():
  lines = console.summary_lines({
      'data': {'train': {'sentences': 1200, 'tokens': 15000,
                         'sentences_cut': 2}},
      'embedding': {'source': 'pretrained', 'vocab_size': 20000, 'dim': 50,
                    'train_token_coverage': 0.981, 'eval_oov_rate': 0.052},
      'eval': {'f1': 0.9, 'precision': 0.91, 'recall': 0.89,
               'per_type': {'PER': {'f1': 0.95}, 'LOC': {'f1': 0.85}}},
      'blessed': True, 'gate': 'F1 0.9000 reaches the bar',
      'test': {'f1': 0.87, 'sentences': 300, 'note': 'never used'},
      'pushed': {'version': '17', 'path': 'out/serving_model/17'},
      'report': 'out/report.html'})
  assert lines == [
      '  train: 1,200 sentences, 15,000 tokens, 2 cut',
      '  embeddings: pretrained, 20,000 words x 50, 98.1% of training tokens '
      'with a vector, eval OOV 5.2%',
      '  eval entity F1 90.00 (P 91.00, R 89.00): LOC 85.00, PER 95.00',
      '  gate: blessed: F1 0.9000 reaches the bar',
      '  test entity F1 87.00 on 300 sentences (never used)',
      '  pushed: version 17 to out/serving_model/17',
      '  report: out/report.html']
