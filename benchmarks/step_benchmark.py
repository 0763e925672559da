"""Times the tagger's training steps alone, on synthetic CoNLL-shaped batches,
to see what each part of the model costs without running the pipeline.

  python -m benchmarks.step_benchmark --set lstm_units=200 crf=false

Builds the model as the Trainer does (``model.build_model``, a vocabulary of
``--vocab`` random vectors), trains one epoch to trace the step functions,
then times a second epoch and prints its seconds and tokens/s. ``--set``
takes TrainerConfig fields as name=JSON value, as ``tagger_sweep`` does.
"""

import argparse
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
          tf.TensorSpec((None, None), tf.float32))).cache()


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--set', nargs='*', default=[], metavar='NAME=VALUE')
  p.add_argument('--sentences', type=int, default=6400)
  p.add_argument('--vocab', type=int, default=45000)
  args = p.parse_args(argv)
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
  print(f'step_benchmark: {settings}: {seconds:.2f} s for {tokens} tokens '
        f'({tokens / seconds:,.0f} tokens/s)')
  return 0


if __name__ == '__main__':
  sys.exit(main())
