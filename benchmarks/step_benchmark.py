"""Times the tagger's training steps alone, on synthetic CoNLL-shaped batches,
to see what each part of the model costs without running the pipeline.

  python -m benchmarks.step_benchmark --set lstm_units=200 crf=false

Builds the model as the Trainer does (``model.build_model``, a vocabulary of
``--vocab`` random vectors), trains one epoch to trace the step functions,
then times a second epoch and prints its seconds and tokens/s. ``--set``
takes TrainerConfig fields as name=JSON value, as ``tagger_sweep`` does.
``--threads`` limits TensorFlow's threads; ``--side-by-side N`` runs N such
processes at once and prints each one's epoch and the time per tagger-epoch
(what ``models.member_processes`` relies on).

  python -m benchmarks.step_benchmark --side-by-side 3 --threads 1
"""

import argparse
import re
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf

from benchmarks.common import parse_settings
from models import features, model as model_lib
from models.config import TrainerConfig, from_dict
from models.preprocessing import MAX_WORD_CHARS

# Padded batch widths drawn uniformly: about what length bucketing gives on
# CoNLL-2003 (sentences average 14 tokens).
_WIDTHS = (6, 10, 14, 14, 20, 20, 28, 40)


def batches(config: TrainerConfig, sentences: int, vocab: int, num_tags: int,
            num_chars: int, seed: int = 1) -> tf.data.Dataset:
  """(inputs, tag_ids, weights) batches as ``trainer.dataset`` gives
  them, of random ids; only their shapes matter for timing."""
  rng = np.random.RandomState(seed)
  size = config.batch_size
  out = []
  for _ in range(max(1, sentences // size)):
    width = int(rng.choice(_WIDTHS))
    inputs = {
        features.TOKEN_IDS: rng.randint(1, vocab, (size, width)),
        features.CASING: rng.randint(1, 5, (size, width)),
        features.CHAR_IDS: rng.randint(1, num_chars,
                                       (size, width, MAX_WORD_CHARS)),
    }
    out.append((inputs, rng.randint(0, num_tags, (size, width)),
                np.ones((size, width), np.float32)))
  return tf.data.Dataset.from_generator(
      lambda: iter(out), output_signature=(
          {k: tf.TensorSpec((None, None) + v.shape[2:], tf.int64)
           for k, v in out[0][0].items()},
          tf.TensorSpec((None, None), tf.int64),
          tf.TensorSpec((None, None), tf.float32))).apply(
              tf.data.experimental.assert_cardinality(len(out))).cache()


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--set', nargs='*', default=[], metavar='NAME=VALUE')
  p.add_argument('--sentences', type=int, default=6400)
  p.add_argument('--vocab', type=int, default=45000)
  p.add_argument('--threads', type=int, default=0,
                 help="TensorFlow's intra- and inter-op threads (0: its own "
                 'choice, one per core)')
  p.add_argument('--side-by-side', type=int, default=1, metavar='N',
                 help='run N of these processes at once')
  args = p.parse_args(argv)
  if args.side_by_side > 1:
    return _side_by_side(args)
  if args.threads:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  config = from_dict(TrainerConfig, parse_settings(args.set))
  num_tags, num_chars = 17, 80  # BIOES over 4 types; CoNLL's characters
  matrix = np.random.RandomState(0).normal(
      size=(args.vocab, 100)).astype(np.float32)
  model = model_lib.build_model(matrix, num_tags, num_chars, config)
  data = batches(config, args.sentences, args.vocab, num_tags, num_chars)
  tokens = sum(int(tf.reduce_sum(w)) for _, _, w in data)
  model.fit(data, epochs=1, verbose=0)  # traces the step functions
  started = time.perf_counter()
  model.fit(data, epochs=1, verbose=0)
  seconds = time.perf_counter() - started
  settings = ' '.join(args.set) or 'defaults'
  threads = f', {args.threads} thread(s)' if args.threads else ''
  print(f'step_benchmark: {settings}{threads}: {seconds:.2f} s for {tokens} '
        f'tokens ({tokens / seconds:,.0f} tokens/s)')
  return 0


def _side_by_side(args) -> int:
  argv = [sys.executable, '-m', 'benchmarks.step_benchmark', '--sentences',
          str(args.sentences), '--vocab', str(args.vocab), '--threads',
          str(args.threads), '--set', *args.set]
  runs = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
          for _ in range(args.side_by_side)]
  seconds = []
  for run in runs:
    out, _ = run.communicate()
    if run.returncode:
      raise RuntimeError(f'a step_benchmark process failed: {out}')
    line = out.strip().splitlines()[-1]
    print(line)
    seconds.append(float(re.search(r': ([0-9.]+) s for ', line).group(1)))
  print(f'step_benchmark: {len(runs)} side by side: '
        f'{max(seconds):.2f} s for all, {max(seconds) / len(runs):.2f} s '
        'per tagger-epoch')
  return 0


if __name__ == '__main__':
  sys.exit(main())
