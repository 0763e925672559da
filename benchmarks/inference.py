"""Inference speed of exported models side by side: each SavedModel's
``tag_tokens`` timed in turn (``benchmark.inference_speed``: batches of 256
over the eval file, and one ~15-token sentence), for several rounds in one
process, so that the models compared share the machine's state. On the
2-core machines one reading of the same model moves by 10-30% from run to
run; the median of the rounds moves much less. Prints each round and the
medians; asserts nothing.

  python -m benchmarks.inference runs/a/serving_model/1 runs/b/1 --rounds 6
"""

import argparse
import json
import os
import statistics
import sys

from benchmarks.benchmark import inference_speed
from benchmarks.common import DATA


def compare(model_dirs, sentences, rounds):
  """{model dir: [figures of each round]}, the models timed in turn."""
  readings = {d: [] for d in model_dirs}
  for r in range(rounds):
    for d in model_dirs:
      readings[d].append(inference_speed(d, sentences))
      print(r + 1, d, json.dumps(readings[d][-1]), flush=True)
  return readings


def medians(readings):
  """The median of each figure over the rounds, per model."""
  keys = ('inference_tokens_per_second', 'single_sentence_ms_median')
  return {d: {k: statistics.median(r[k] for r in rs) for k in keys}
          for d, rs in readings.items()}


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('models', nargs='+', help='SavedModel folders')
  p.add_argument('--eval', default=os.path.join(DATA, 'conll2003',
                                                'eng.testa'))
  p.add_argument('--encoding', default='utf-8')
  p.add_argument('--rounds', type=int, default=6)
  args = p.parse_args(argv)
  from models import conll  # pylint: disable=g-import-not-at-top
  sentences = [s.tokens for s in conll.read_file(args.eval, args.encoding)]
  result = medians(compare(args.models, sentences, args.rounds))
  print(json.dumps({'rounds': args.rounds, 'medians': result}, indent=2))
  return 0


if __name__ == '__main__':
  sys.exit(main())
