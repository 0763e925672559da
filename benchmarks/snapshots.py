"""Can one training run stand in for the ensemble of three? Trains single
taggers on a finished run's Transform and EmbeddingGen outputs (as
``tagger_sweep`` does), keeps every epoch's weights, and scores on the eval
split what could be exported from them:

- ``best``: the best epoch (what one tagger exports today);
- ``top-k mean scores``: the k best epochs of one run decoded as an
  ensemble (a snapshot ensemble: k times the inference, one training);
- ``top-k mean weights``: their weights averaged into one tagger (one
  training, one tagger's inference);
- ``ensemble replays``: the runs of the different seeds as one ensemble
  (the ensemble of three, three trainings), each member at the epoch where
  a lower epoch cap or a shorter patience would have stopped it
  (``early_stopping.replay``, exact up to that epoch), so that what
  stopping earlier costs the ensemble is measured, not guessed. With
  ``--ensemble-size K``, every K of the seeds as an ensemble instead (what
  fewer taggers cost).

  python -m benchmarks.snapshots --run runs/defaults-s0 --seeds 0 1 2 \\
      --output runs/snapshots
  python -m benchmarks.snapshots --run runs/defaults-s0 --seeds 0 1 2 \\
      --output runs/snapshots --no-train --ensemble-size 2

Every epoch's weights are saved under --output (seed-S/epoch-E.npz), so the
scores can be recomputed with --no-train. The epochs are chosen by their eval
F1, as early stopping chooses the best one.
"""

import argparse
import itertools
import json
import os
import sys
import tempfile
from typing import List

import keras
import numpy as np
import tensorflow as tf

from benchmarks.common import parse_settings
from benchmarks.early_stopping import replay
from benchmarks.tagger_sweep import finished_run
from models import trainer
from models import model as model_lib
from models.config import TrainerConfig, from_dict


class KeepEpochs(keras.callbacks.Callback):
  """Saves the weights after every epoch, as epoch-E.npz."""

  def __init__(self, folder: str):
    super().__init__()
    self.folder = folder

  def on_epoch_end(self, epoch, logs=None):
    np.savez(os.path.join(self.folder, f'epoch-{epoch + 1}.npz'),
             *self.model.get_weights())


def load(path: str) -> List[np.ndarray]:
  with np.load(path) as z:
    return [z[f'arr_{i}'] for i in range(len(z.files))]


def f1(models, evaluation, tag_names) -> float:
  """Eval entity F1 (percent) of one tagger or an ensemble of them."""
  return 100 * trainer.entity_f1(
      tf.function(lambda inputs, mask: model_lib.tag_ids(models, inputs,
                                                         mask),
                  reduce_retracing=True), evaluation, tag_names)


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--run', required=True)
  p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
  p.add_argument('--top', type=int, nargs='+', default=[2, 3, 5])
  p.add_argument('--output', required=True)
  p.add_argument('--caps', type=int, nargs='+', default=[17, 14, 12, 10])
  p.add_argument('--patience', type=int, nargs='+', default=[3, 2])
  p.add_argument('--set', nargs='*', default=[], metavar='NAME=VALUE',
                 help='TrainerConfig fields, as tagger_sweep takes them')
  p.add_argument('--no-train', action='store_true')
  p.add_argument('--ensemble-size', type=int, default=0,
                 help='replay every this many seeds as an ensemble '
                 '(0: all of them as one)')
  args = p.parse_args(argv)
  if not 0 <= args.ensemble_size <= len(args.seeds):
    p.error(f'--ensemble-size must be 0 to {len(args.seeds)}, the seeds given')
  settings = parse_settings(args.set)
  examples, tag_names, matrix, num_chars, spec = finished_run(args.run)
  evaluation = trainer.dataset([os.path.join(examples, 'Split-eval', '*')],
                               spec, 32, False)
  results = {}
  for seed in args.seeds:
    config = from_dict(TrainerConfig, {**settings, 'seed': seed,
                                       'ensemble': 1})
    folder = os.path.join(args.output, f'seed-{seed}')
    if not args.no_train:
      os.makedirs(folder, exist_ok=True)
      train = trainer.train_dataset(
          [os.path.join(examples, 'Split-train', '*')], spec, config,
          tag_names)
      with tempfile.TemporaryDirectory() as checkpoints:
        _, history, _ = trainer.fit_one(
            config, matrix, len(tag_names), num_chars, train, evaluation,
            tag_names, os.path.join(folder, 'logs'), checkpoints, 0,
            callbacks=[KeepEpochs(folder)])
      with open(os.path.join(folder, 'history.json'), 'w') as f:
        json.dump(history, f)
  histories = {}
  for seed in args.seeds:
    with open(os.path.join(args.output, f'seed-{seed}', 'history.json')) as f:
      histories[seed] = json.load(f)['val_f1']
  pool = []

  def taggers(weights):
    """Built taggers holding these weights (built once, then reused)."""
    while len(pool) < len(weights):
      pool.append(model_lib.build_model(
          matrix, len(tag_names), num_chars,
          from_dict(TrainerConfig, {**settings, 'ensemble': 1})))
    for m, w in zip(pool, weights):
      m.set_weights(w)
    return pool[:len(weights)]

  def epoch(seed, e):
    return load(os.path.join(args.output, f'seed-{seed}', f'epoch-{e}.npz'))

  for seed, val_f1 in histories.items():
    order = sorted(range(1, len(val_f1) + 1), key=lambda e: -val_f1[e - 1])
    weights = [epoch(seed, e) for e in order[:max(args.top)]]
    scores = {'best': f1(taggers(weights[:1]), evaluation, tag_names),
              'epochs': len(val_f1), 'best_epoch': order[0]}
    for k in args.top:
      scores[f'top-{k} epochs'] = sorted(order[:k])
      scores[f'top-{k} mean scores'] = f1(taggers(weights[:k]), evaluation,
                                          tag_names)
      average = [np.mean(ws, axis=0) for ws in zip(*weights[:k])]
      scores[f'top-{k} mean weights'] = f1(taggers([average]), evaluation,
                                           tag_names)
    results[f'seed {seed}'] = scores
    print(f'snapshots: seed {seed}: {json.dumps(scores)}', flush=True)
  if len(histories) > 1:
    # The ensemble of the seeds' taggers (or every --ensemble-size of them),
    # each stopped as a lower epoch cap or patience would have stopped it
    # (early_stopping.replay), from the weights of exactly that epoch.
    replays = []
    for cap in args.caps:
      for patience in args.patience:
        for seeds in itertools.combinations(
            histories, args.ensemble_size or len(histories)):
          kept, members, trained = [], [], 0
          for seed in seeds:
            best, epochs = replay(histories[seed], cap, patience)
            kept.append(histories[seed].index(best) + 1)
            members.append(round(100 * best, 2))
            trained += epochs
          weights = [epoch(seed, e) for seed, e in zip(seeds, kept)]
          replays.append({'cap': cap, 'patience': patience,
                          'seeds': list(seeds), 'epochs kept': kept,
                          'epochs trained': trained, 'members': members,
                          'ensemble': f1(taggers(weights), evaluation,
                                         tag_names)})
          print(f'snapshots: ensemble {json.dumps(replays[-1])}', flush=True)
    results['ensemble replays'] = replays
  with open(os.path.join(args.output, 'snapshots.json'), 'w') as f:
    json.dump(results, f, indent=2)
  return 0


if __name__ == '__main__':
  sys.exit(main())
