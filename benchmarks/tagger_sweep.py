"""Compares tagger settings cheaply: trains single taggers on the Transform
and EmbeddingGen outputs of a finished run, one per seed, and prints each
one's best eval entity F1 and their mean ± std.

  python -m benchmarks.tagger_sweep --run runs/ens3-s10 --seeds 0 1 2 \\
      --set clip_norm=1.0 lstm_units=200

Ingestion, Word2Vec and Transform are not repeated, so a setting costs only
its training (a few minutes per seed on 2 cores), and every setting is
compared on the same vocabulary and vectors. ``--set`` takes TrainerConfig
fields as name=JSON value; ``ensemble`` is always 1. With the run's own
settings, seed s trains the tagger the run trained with that seed (same
weights, data order and replacements), so the two pair up; the output JSON
keeps each tagger's loss and eval F1 by epoch. The vectors are the run's,
random rows of words without one included (drawn with the run's seed): a
seed other than the run's taggers' trains a tagger no run of that seed
trained.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import tensorflow_transform as tft

from benchmarks.common import parse_settings
from models import embedding_files, features, trainer
from models.config import TrainerConfig, from_dict
from pipeline.outputs import latest_execution


def _one(root: str, component: str, channel: str) -> str:
  found = latest_execution(os.path.join(root, component, channel))
  if not found:
    raise SystemExit(f'tagger_sweep: no {component} {channel} under {root}')
  return found


def finished_run(run: str):
  """What a finished run's Transform and EmbeddingGen left, for training
  taggers on: the transformed examples' folder, the tag names, the
  embedding matrix, the number of character ids and the feature spec."""
  root = os.path.join(run, 'pipeline_root')
  tft_output = tft.TFTransformOutput(_one(root, 'NerTransform',
                                          'transform_graph'))
  tag_names = [t.decode() for t in tft_output.vocabulary_by_name(
      features.TAG_VOCAB)]
  return (_one(root, 'NerTransform', 'transformed_examples'), tag_names,
          embedding_files.load_matrix(_one(root, 'EmbeddingGen',
                                           'embedding')),
          tft_output.vocabulary_size_by_name(features.CHAR_VOCAB) + 2,
          tft_output.transformed_feature_spec())


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--run', required=True,
                 help='--output folder of a finished `ner-pipeline run`')
  p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
  p.add_argument('--set', nargs='*', default=[], metavar='NAME=VALUE')
  p.add_argument('--output', default='', help='JSON file for the results')
  args = p.parse_args(argv)
  settings = parse_settings(args.set)
  examples, tag_names, matrix, num_chars, spec = finished_run(args.run)
  results = []
  for seed in args.seeds:
    # from_dict names the known fields when a --set name is not one.
    config = from_dict(TrainerConfig, {**settings, 'seed': seed,
                                       'ensemble': 1})
    train = trainer.train_dataset([os.path.join(examples, 'Split-train', '*')],
                                  spec, config, tag_names)
    evaluation = trainer.dataset(
        [os.path.join(examples, 'Split-eval', '*')], spec, config.batch_size,
        False)
    started = time.time()
    with tempfile.TemporaryDirectory() as checkpoint_root:
      _, history, _ = trainer.fit_one(
          config, matrix, len(tag_names), num_chars, train, evaluation,
          tag_names, os.path.join(args.run, 'sweep_logs', str(seed)),
          checkpoint_root, 0)
    results.append({'seed': seed, 'f1': 100 * max(history['val_f1']),
                    'epochs': len(history['loss']),
                    'loss': history['loss'], 'val_f1': history['val_f1'],
                    'seconds': round(time.time() - started)})
    print(f'tagger_sweep: seed {seed}: eval F1 {results[-1]["f1"]:.2f} '
          f'({results[-1]["epochs"]} epochs, {results[-1]["seconds"]} s)',
          flush=True)
  scores = [r['f1'] for r in results]
  summary = f'{statistics.mean(scores):.2f}' + (
      f' ± {statistics.stdev(scores):.2f}' if len(scores) > 1 else '')
  print(f'tagger_sweep: {settings or "defaults"}: eval F1 {summary}')
  if args.output:
    with open(args.output, 'w') as f:
      json.dump({'settings': settings, 'runs': results}, f, indent=2)
  return 0


if __name__ == '__main__':
  sys.exit(main())
