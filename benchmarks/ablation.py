"""Ablation: which vectors work best, at several shares of the training
sentences (the claim the product rests on: pre-trained vectors help most
when labelled data is scarce). Columns: random, our Word2Vec, public vectors
(--vectors, GloVe 6B 50d by default) and the two stacked, each static and
fine-tuned.

  python -m benchmarks.ablation [--fractions 0.1 0.25 1] [--seeds 0]
      [--variants ...] [-- opts]

Each cell is a full pipeline run; runs of one share of data share an output
directory with caching on, so ingestion, validation, EmbeddingGen and
Transform run once per embedding source. Prints Markdown tables: eval F1,
then F1 by kind of entity (the evaluator's: every word seen in training /
unseen with a vector / <UNK>).
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
from models import conll
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
  args = p.parse_args(argv)
  results, kinds = {}, {}
  for fraction in args.fractions:
    folder = os.path.join(args.output, f'{int(round(100 * fraction))}pct')
    train = subsample(args.train, fraction,
                      os.path.join(folder, 'data', 'train.conll'))
    for name in args.variants:
      options = VARIANTS[name] + (['--pretrained-vectors', args.vectors]
                                  if _PUBLIC[0] in VARIANTS[name] else [])
      for seed in args.seeds:
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
        results.setdefault((fraction, name), []).append(f1)
        kinds.setdefault((fraction, name), []).append(_kinds(folder))
        print(f'ablation: {fraction:.0%} {name} seed {seed}: F1 {f1:.2f} '
              f'({time.time() - started:.0f} s)', flush=True)
  with open(os.path.join(args.output, 'ablation.json'), 'w') as f:
    json.dump({f'{k[0]}|{k[1]}': {'f1': v, 'by_word_kind': kinds[k]}
               for k, v in results.items()}, f, indent=2)
  print('\n| training sentences | ' + ' | '.join(args.variants) + ' |')
  print('|---' * (len(args.variants) + 1) + '|')
  for fraction in args.fractions:
    cells = []
    for name in args.variants:
      scores = results[(fraction, name)]
      cells.append(f'{statistics.mean(scores):.2f}' + (
          f' ± {statistics.stdev(scores):.2f}' if len(scores) > 1 else ''))
    print(f'| {fraction:.0%} | ' + ' | '.join(cells) + ' |')
  print('\nF1 by kind of entity (' + ' / '.join(KINDS) + '), mean over '
        'seeds:\n')
  print('| training sentences | ' + ' | '.join(args.variants) + ' |')
  print('|---' * (len(args.variants) + 1) + '|')
  for fraction in args.fractions:
    cells = [' / '.join(f'{statistics.mean(k[kind] for k in kinds[(fraction, name)]):.1f}'
                        for kind in KINDS) for name in args.variants]
    print(f'| {fraction:.0%} | ' + ' | '.join(cells) + ' |')
  return 0


def _kinds(folder: str) -> dict:
  """The newest evaluation's F1 by kind of entity, in percent."""
  root = os.path.join(folder, 'pipeline_root', 'NerEvaluator', 'evaluation')
  with open(os.path.join(latest_execution(root), 'metrics.json')) as f:
    return {k: 100 * v['f1'] for k, v in json.load(f)['by_word_kind'].items()}


if __name__ == '__main__':
  sys.exit(main())
