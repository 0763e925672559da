"""The experiments' bookkeeping: the ablation's cells kept as they finish,
skipped when found, tables and a plot from whatever has been measured; the
replay of early stopping."""

import json
import os
import shutil
import struct

from benchmarks import ablation

KINDS = {'seen_in_train': 95.0, 'unseen_with_vector': 80.0, 'unk': 70.0}


def _cells():
  return {
      ablation.cell_key(0.1, 'Word2Vec, fine-tuned', 0): {
          'f1': 80.0, 'by_word_kind': KINDS},
      ablation.cell_key(0.1, 'Word2Vec, fine-tuned', 1): {
          'f1': 82.0, 'by_word_kind': dict(KINDS, unk=72.0)},
      ablation.cell_key(1.0, 'GloVe, fine-tuned', 0): {
          'f1': 94.44, 'by_word_kind': KINDS},
  }


def test_summary_and_tables_show_what_was_measured():
  variants = ['Word2Vec, fine-tuned', 'GloVe, fine-tuned']
  table = ablation.summarize(_cells(), [0.1, 1.0], variants)
  cell = table[(0.1, 'Word2Vec, fine-tuned')]
  assert cell['seeds'] == [0, 1] and cell['mean'] == 81.0
  assert round(cell['std'], 3) == 1.414
  assert cell['kind_means']['unk'] == 71.0
  text = ablation.markdown(table, [0.1, 1.0], variants)
  assert '| 10% | 81.00 ± 1.41 (80.00, 82.00) | - |' in text
  assert '| 100% | - | 94.44 |' in text
  assert '| 10% | 95.0 / 80.0 / 71.0 | - |' in text


def test_plot_is_a_png(tmp_path):
  variants = ['Word2Vec, fine-tuned', 'GloVe, fine-tuned']
  path = str(tmp_path / 'plot.png')
  ablation.plot(ablation.summarize(_cells(), [0.1, 1.0], variants),
                [0.1, 1.0], variants, path)
  with open(path, 'rb') as f:
    head = f.read(24)
  assert head[:8] == b'\x89PNG\r\n\x1a\n'
  width, height = struct.unpack('>II', head[16:24])
  assert (width, height) == (700, 420)


def test_cells_found_are_not_run_again(tmp_path, capsys):
  """Every requested cell is in ablation.json, so nothing runs: with an
  eval file that does not exist, a run would fail the ablation."""
  train = tmp_path / 'train.conll'
  train.write_text('EU B-ORG\nrejects O\n\nPeter B-PER\n\n')
  output = tmp_path / 'abl'
  output.mkdir()
  (output / 'ablation.json').write_text(json.dumps(_cells()))
  code = ablation.main([
      '--output', str(output), '--train', str(train),
      '--eval', str(tmp_path / 'missing.conll'), '--fractions', '0.1',
      '--seeds', '0', '1', '--variants', 'Word2Vec, fine-tuned'])
  assert code == 0
  assert '81.00 ± 1.41' in capsys.readouterr().out
  assert not os.path.exists(output / '10pct' / 'runs.log')


def test_early_stopping_replay_follows_the_schedule():
  """The replay stops where PlateauSchedule would: after `patience` epochs
  in a row without a new best, epochs with no entity found not counted."""
  from benchmarks import early_stopping
  curve = [0.0, 0.0, 0.80, 0.85, 0.84, 0.86, 0.855, 0.858, 0.859, 0.87]
  assert early_stopping.replay(curve, cap=10, patience=4) == (0.87, 10)
  assert early_stopping.replay(curve, cap=10, patience=3) == (0.86, 9)
  assert early_stopping.replay(curve, cap=10, patience=2) == (0.86, 8)
  assert early_stopping.replay(curve, cap=5, patience=3) == (0.85, 5)
  assert early_stopping.replay([0.0] * 6, cap=10, patience=2) == (0.0, 6)


def test_a_kind_with_no_entity_is_left_out_of_a_cell(tmp_path):
  """Without vectors no word is 'unseen with a vector': '-', not 0."""
  for execution, gold in ((3, 0), (12, 5)):  # 12 is the newest, not 3
    folder = tmp_path / 'pipeline_root' / 'NerEvaluator' / 'evaluation' / str(
        execution)
    folder.mkdir(parents=True)
    (folder / 'metrics.json').write_text(json.dumps({'by_word_kind': {
        'seen_in_train': {'f1': 0.9, 'gold': 10},
        'unseen_with_vector': {'f1': 0.0, 'gold': 0},
        'unk': {'f1': 0.5, 'gold': gold}}}))
  assert ablation._kinds(str(tmp_path)) == {'seen_in_train': 90.0,
                                            'unk': 50.0}


def test_cells_are_saved_whole_and_read_back(tmp_path):
  path = str(tmp_path / 'abl' / 'ablation.json')
  os.makedirs(os.path.dirname(path))
  ablation._save(path, _cells())
  assert ablation.load_cells(path) == _cells()
  assert os.listdir(os.path.dirname(path)) == ['ablation.json']


def test_inference_benchmark_times_each_model_in_every_round(tmp_path, capsys):
  import small_model  # pylint: disable=g-import-not-at-top
  from benchmarks import inference  # pylint: disable=g-import-not-at-top
  models = [small_model.save(str(tmp_path / 'a')), str(tmp_path / 'b')]
  shutil.copytree(models[0], models[1])
  words = 'Peter Blackburn met the EU commission in Brussels on Monday'.split()
  eval_file = tmp_path / 'eval.conll'
  # A 15-token sentence (the single-sentence latency) and a short one.
  eval_file.write_text(''.join(f'{w} O\n' for w in (words + words)[:15])
                       + '\n' + ''.join(f'{w} O\n' for w in words[:3]))
  assert inference.main(models + ['--eval', str(eval_file),
                                  '--rounds', '2']) == 0
  out = capsys.readouterr().out
  assert [line.split()[:2] for line in out.splitlines()[:4]] == [
      ['1', models[0]], ['1', models[1]], ['2', models[0]], ['2', models[1]]]
  medians = json.loads(out[out.index('{\n'):])['medians']
  assert set(medians) == set(models)
  for figures in medians.values():
    assert figures['inference_tokens_per_second'] > 0
    assert figures['single_sentence_ms_median'] > 0


def test_distill_documents_and_sentences_cut_where_a_sentence_ends():
  from benchmarks import distill  # pylint: disable=g-import-not-at-top
  lines = ['BANK RAISES RATE', 'The bank said', 'on Monday it would.', '',
           '', 'One line alone.', 'ALL CAPS']
  assert list(distill.documents(lines)) == [
      'BANK RAISES RATE', 'The bank said on Monday it would.',
      'One line alone. ALL CAPS']
  tokens = ('Mr. Smith met U.S. officials . " We agree . " he said . '
            'sales rose 5 pct . 1987 was good ! and so')
  assert distill.sentences(tokens.split()) == [
      'Mr. Smith met U.S. officials .'.split(),
      '" We agree . " he said . sales rose 5 pct .'.split(),
      '1987 was good ! and so'.split()]


def test_distill_writes_training_sentences_then_teacher_tagged_ones(tmp_path):
  import small_model  # pylint: disable=g-import-not-at-top
  from benchmarks import distill  # pylint: disable=g-import-not-at-top
  from models import conll  # pylint: disable=g-import-not-at-top
  from serving import inference  # pylint: disable=g-import-not-at-top
  teacher = small_model.save(str(tmp_path / 'model'))
  train = tmp_path / 'train.conll'
  train.write_text('-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ '
                   'B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP O\n\n'
                   'Peter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n')
  unlabeled = tmp_path / 'news.txt'
  unlabeled.write_text(
      'OIL PRICES FALL IN LONDON TRADE\n'
      'Oil prices fell in London on Monday, traders said. Mr. Jones of\n'
      'Shell Corp. said demand was weak. Stocks rose.\n\n'
      'GERMAN BANKS AGREE MERGER\n'
      'Two German banks agreed to merge in Frankfurt.\n'
      'The deal was worth 1.5 billion marks, the banks said.\n')
  out = tmp_path / 'distill' / 'student.conll'

  def run(tokens, seed, path):
    assert distill.main(['--teacher', teacher, '--train', str(train),
                         '--unlabeled', str(unlabeled), '--tokens',
                         str(tokens), '--seed', str(seed), '--output',
                         str(path)]) == 0
    return list(conll.read_file(str(path)))

  written = run(1000, 0, out)
  assert [(s.tokens, s.tags) for s in written[:2]] == [
      (['EU', 'rejects', 'German', 'call'], ['B-ORG', 'O', 'B-MISC', 'O']),
      (['Peter', 'Blackburn'], ['B-PER', 'I-PER'])]
  transfer = written[2:]
  # "Stocks rose." has 3 tokens, fewer than distill.MIN_TOKENS.
  assert sorted(' '.join(s.tokens) for s in transfer) == sorted([
      'OIL PRICES FALL IN LONDON TRADE',
      'Oil prices fell in London on Monday , traders said .',
      'Mr. Jones of Shell Corp. said demand was weak .',
      'GERMAN BANKS AGREE MERGER',
      'Two German banks agreed to merge in Frankfurt .',
      'The deal was worth 1.5 billion marks , the banks said .'])
  tagged = inference.load_tagger(teacher)([s.tokens for s in transfer])
  assert [s.tags for s in transfer] == tagged
  assert any(t != 'O' for tags in tagged for t in tags)
  assert os.listdir(out.parent) == ['student.conll']  # nothing half written
  # Sentences are drawn until the budget is reached, in the seed's order.
  assert run(1000, 0, tmp_path / 'again.conll') == written
  small = run(12, 0, tmp_path / 'small.conll')[2:]
  assert sum(len(s.tokens) for s in small[:-1]) < 12
  assert sum(len(s.tokens) for s in small) >= 12
  assert [s.tokens for s in small] == [s.tokens for s in transfer[:len(small)]]
