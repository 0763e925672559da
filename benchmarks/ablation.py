"""Ablation: which vectors work best, at several shares of the training
sentences (the claim the product rests on: pre-trained vectors help most
when labelled data is scarce). Columns: random, our Word2Vec, public vectors
(--vectors, GloVe 6B 50d by default) and the two stacked, each static and
fine-tuned.

  python -m benchmarks.ablation [--fractions 0.1 0.25 1] [--seeds 0]
      [--variants ...] [-- opts]

Each cell is a full pipeline run; runs of one share of data share an output
directory with caching on, so ingestion, validation, EmbeddingGen and
Transform run once per embedding source. Every finished cell goes into
OUTPUT/ablation.json at once; a later call skips the cells found there, so
a killed ablation resumes and more seeds can be added. Prints Markdown
tables: eval F1, then F1 by kind of entity (the evaluator's: every word seen
in training / unseen with a vector / <UNK>); --plot draws the first.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

from benchmarks.common import DATA, ROOT, add_data_arguments
from models import atomic, conll
from pipeline.outputs import latest_execution

_PUBLIC = ['--vectors-format', 'glove']  # with --pretrained-vectors VECTORS
VARIANTS = {
    'random, static': ['--embedding', 'random', '--static-embeddings'],
    'random, fine-tuned': ['--embedding', 'random'],
    'Word2Vec, static': ['--static-embeddings'],
    'Word2Vec, fine-tuned': [],
    'GloVe, static': ['--embedding', 'pretrained', *_PUBLIC,
                      '--static-embeddings'],
    'GloVe, fine-tuned': ['--embedding', 'pretrained', *_PUBLIC],
    'stacked, static': ['--embedding', 'stacked', *_PUBLIC,
                        '--static-embeddings'],
    'stacked, fine-tuned': ['--embedding', 'stacked', *_PUBLIC],
}
KINDS = ('seen_in_train', 'unseen_with_vector', 'unk')


def subsample(train: str, fraction: float, out: str, seed: int = 0) -> str:
  """A random share (fixed seed) of the training sentences, as a file."""
  sentences = list(conll.read_file(train))
  random.Random(seed).shuffle(sentences)
  keep = sentences[:max(1, round(fraction * len(sentences)))]
  os.makedirs(os.path.dirname(out), exist_ok=True)
  with open(out, 'w') as f:
    f.write(conll.format_sentences(keep))
  return out


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  add_data_arguments(p, 'ablation')
  p.add_argument('--fractions', type=float, nargs='+',
                 default=[0.1, 0.25, 1.0])
  p.add_argument('--seeds', type=int, nargs='+', default=[0])
  p.add_argument('--variants', nargs='+', default=list(VARIANTS),
                 choices=list(VARIANTS))
  p.add_argument('--vectors', default=os.path.join(
      DATA, 'glove_6b', 'glove.6B.50d.txt.gz'),
                 help='the public vectors of the GloVe and stacked columns')
  p.add_argument('--plot', default='',
                 help='also draw eval F1 against the share of training '
                 'sentences into this PNG')
  p.add_argument('--no-run', action='store_true',
                 help='run nothing: print the tables (and --plot) from the '
                 'cells already in OUTPUT/ablation.json')
  args = p.parse_args(argv)
  store = os.path.join(args.output, 'ablation.json')
  cells = load_cells(store)
  for fraction in ([] if args.no_run else args.fractions):
    folder = os.path.join(args.output, f'{int(round(100 * fraction))}pct')
    train = subsample(args.train, fraction,
                      os.path.join(folder, 'data', 'train.conll'))
    for name in args.variants:
      options = VARIANTS[name] + (['--pretrained-vectors', args.vectors]
                                  if _PUBLIC[0] in VARIANTS[name] else [])
      for seed in args.seeds:
        key = cell_key(fraction, name, seed)
        if key in cells:  # measured by an earlier, perhaps killed, ablation
          continue
        command = [sys.executable, '-m', 'pipeline.cli', 'run', '--train',
                   train, '--eval', args.eval, '--unlabeled', *args.unlabeled,
                   '--output', folder, '--cache', '--seed', str(seed),
                   '--min-f1', '0', '--max-f1-drop', '1', *options,
                   *args.extra]
        started = time.time()
        with open(os.path.join(folder, 'runs.log'), 'a') as log:
          code = subprocess.call(command, stdout=log,
                                 stderr=subprocess.STDOUT, cwd=ROOT)
        if code:
          raise SystemExit(f'ablation: run failed: {" ".join(command)}')
        with open(os.path.join(folder, 'last_run.json')) as f:
          f1 = 100 * json.load(f)['eval']['f1']
        cells[key] = {'f1': round(f1, 2), 'by_word_kind': _kinds(folder),
                      'seconds': round(time.time() - started),
                      'options': options + args.extra}
        _save(store, cells)
        print(f'ablation: {fraction:.0%} {name} seed {seed}: F1 {f1:.2f} '
              f'({time.time() - started:.0f} s)', flush=True)
  table = summarize(cells, args.fractions, args.variants)
  print(markdown(table, args.fractions, args.variants))
  if args.plot:
    plot(table, args.fractions, args.variants, args.plot)
    print(f'\nablation: plot in {args.plot}')
  return 0


def cell_key(fraction: float, variant: str, seed: int) -> str:
  return f'{fraction:g}|{variant}|{seed}'


def load_cells(path: str) -> dict:
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)


def _save(path: str, cells: dict) -> None:
  """Whole or not at all: a killed ablation keeps every finished cell."""
  atomic.write(path, json.dumps(cells, indent=2, sort_keys=True))


def summarize(cells: dict, fractions, variants) -> dict:
  """(fraction, variant) -> seeds, F1 per seed, mean, sample std and the
  mean F1 by kind of entity, over the cells measured so far."""
  table = {}
  for key, cell in cells.items():
    fraction, name, seed = key.split('|')
    fraction = float(fraction)
    if name not in variants or not any(
        abs(fraction - f) < 1e-9 for f in fractions):
      continue
    entry = table.setdefault((fraction, name), {'seeds': [], 'f1': [],
                                                'kinds': []})
    entry['seeds'].append(int(seed))
    entry['f1'].append(cell['f1'])
    entry['kinds'].append(cell['by_word_kind'])
  for entry in table.values():
    entry['mean'] = statistics.mean(entry['f1'])
    entry['std'] = (statistics.stdev(entry['f1']) if len(entry['f1']) > 1
                    else 0.0)
    entry['kind_means'] = {
        kind: statistics.mean(k[kind] for k in entry['kinds'] if kind in k)
        for kind in KINDS if any(kind in k for k in entry['kinds'])}
  return table


def markdown(table: dict, fractions, variants) -> str:
  """Two Markdown tables: eval F1 (mean ± std, the seeds' scores), then
  F1 by kind of entity; '-' where a cell was not run."""
  head = ('| training sentences | ' + ' | '.join(variants) + ' |\n'
          + '|---' * (len(variants) + 1) + '|')
  f1_rows, kind_rows = [head], [head]
  for fraction in fractions:
    f1_cells, kind_cells = [], []
    for name in variants:
      entry = table.get((fraction, name))
      if entry is None:
        f1_cells.append('-')
        kind_cells.append('-')
        continue
      scores = ', '.join(f'{v:.2f}' for v in entry['f1'])
      f1_cells.append(f"{entry['mean']:.2f}" + (
          f" ± {entry['std']:.2f} ({scores})" if len(entry['f1']) > 1
          else ''))
      kind_cells.append(' / '.join(
          f"{entry['kind_means'][kind]:.1f}" if kind in entry['kind_means']
          else '-' for kind in KINDS))
    f1_rows.append(f'| {fraction:.0%} | ' + ' | '.join(f1_cells) + ' |')
    kind_rows.append(f'| {fraction:.0%} | ' + ' | '.join(kind_cells) + ' |')
  return ('\n'.join(f1_rows) + '\n\nF1 by kind of entity (' +
          ' / '.join(KINDS) + '), mean over seeds:\n\n' +
          '\n'.join(kind_rows))


def plot(table: dict, fractions, variants, path: str) -> None:
  """Eval F1 against the share of training sentences, one line per
  column (solid fine-tuned, dashed static), the seeds' spread as bars."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  figure, ax = plt.subplots(figsize=(7, 4.2))
  colours = {'random': '#999999', 'Word2Vec': '#4477aa', 'GloVe': '#ee6677',
             'stacked': '#228833'}
  for name in variants:
    points = sorted((f, table[(f, name)]) for f in fractions
                    if (f, name) in table)
    if not points:
      continue
    source, _, training = name.partition(', ')
    ax.errorbar([100 * f for f, _ in points], [e['mean'] for _, e in points],
                yerr=[e['std'] for _, e in points], marker='o', capsize=3,
                color=colours.get(source), label=name,
                linestyle='--' if training == 'static' else '-')
  ax.set_xscale('log')
  ax.set_xticks([100 * f for f in fractions])
  ax.set_xticklabels([f'{f:.0%}' for f in fractions])
  ax.set(xlabel='share of eng.train sentences', ylabel='eval F1 (eng.testa)',
         title='Which vectors work best')
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8, loc='lower right')
  figure.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  figure.savefig(path, dpi=100)
  plt.close(figure)


def _kinds(folder: str) -> dict:
  """The newest evaluation's F1 by kind of entity, in percent; a kind with
  no gold entity (no word has a vector without training vectors) is left
  out, so that the table shows '-' there rather than 0."""
  root = os.path.join(folder, 'pipeline_root', 'NerEvaluator', 'evaluation')
  with open(os.path.join(latest_execution(root), 'metrics.json')) as f:
    return {k: 100 * v['f1'] for k, v in json.load(f)['by_word_kind'].items()
            if v['gold']}


if __name__ == '__main__':
  sys.exit(main())
