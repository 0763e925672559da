"""What stopping earlier would cost, read off finished runs: each tagger's
eval F1 by epoch (training_stats.json) replayed under a lower epoch cap or
a shorter patience, without training anything.

  python -m benchmarks.early_stopping RUN_DIR [RUN_DIR ...]
      [--caps 17 14 12 10] [--patience 3 2]

The replay is exact for a tagger, not an estimate: up to the epoch where it
would stop, training is the same whatever the cap or the patience, since
the learning-rate halving depends only on the F1 history (PlateauSchedule).
It holds for caps and patiences no larger than the run's own. An ensemble's
F1 cannot be replayed (it needs the members' weights at those epochs); the
members' mean moves with it (docs/benchmarks.md). Epochs stand for time: an
epoch costs about the same throughout a run.
"""

import argparse
import json
import os
import statistics
import sys
from typing import List, Sequence, Tuple

from pipeline.outputs import latest_execution

MIN_DELTA = 1e-4  # PlateauSchedule's


def replay(val_f1: Sequence[float], cap: int, patience: int,
           min_delta: float = MIN_DELTA) -> Tuple[float, int]:
  """(F1 of the epoch kept, epochs trained) under ``cap`` and ``patience``,
  by PlateauSchedule's rule: stop after ``patience`` epochs in a row without
  a new best (epochs before any entity is found do not count)."""
  best, wait, epochs = 0.0, 0, 0
  for f1 in val_f1[:cap]:
    epochs += 1
    if f1 > best + min_delta:
      best, wait = f1, 0
    elif best > 0:
      wait += 1
      if wait >= patience:
        break
  return best, epochs


def members(run_dir: str) -> List[dict]:
  """The members of the newest trainer execution of a run: seed, history."""
  folder = latest_execution(os.path.join(run_dir, 'pipeline_root',
                                         'NerTrainer', 'model_run'))
  with open(os.path.join(folder, 'training_stats.json')) as f:
    return json.load(f)['members']


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('runs', nargs='+', help='--output folders of finished runs')
  p.add_argument('--caps', type=int, nargs='+', default=[17, 14, 12, 10])
  p.add_argument('--patience', type=int, nargs='+', default=[3, 2])
  args = p.parse_args(argv)
  taggers = [(run, m) for run in args.runs for m in members(run)]
  full = sum(len(m['history']['val_f1']) for _, m in taggers)
  print(f'{len(taggers)} taggers from {len(args.runs)} runs, {full} epochs '
        'trained in all\n')
  print('| epoch cap | patience | mean tagger F1 | each tagger | epochs in all '
        '(share of the runs\') |')
  print('|---|---|---|---|---|')
  for cap in args.caps:
    for patience in args.patience:
      kept = [replay(m['history']['val_f1'], cap, patience)
              for _, m in taggers]
      epochs = sum(e for _, e in kept)
      print(f'| {cap} | {patience} | '
            f'{100 * statistics.mean(f for f, _ in kept):.2f} | '
            + ', '.join(f'{100 * f:.2f}' for f, _ in kept)
            + f' | {epochs} ({epochs / full:.0%}) |')
  return 0


if __name__ == '__main__':
  sys.exit(main())
