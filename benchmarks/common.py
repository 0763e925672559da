"""What the experiments share: where the project and the shared data are,
their data options, and ``--set`` settings."""

import argparse
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), 'shared', 'data')


def add_data_arguments(p: argparse.ArgumentParser, output: str) -> None:
  """Data and output options shared by the benchmark and the ablation."""
  p.add_argument('--output', default=os.path.join(ROOT, 'runs', output))
  p.add_argument('--train', default=os.path.join(DATA, 'conll2003',
                                                 'eng.train'))
  p.add_argument('--eval', default=os.path.join(DATA, 'conll2003',
                                                'eng.testa'))
  p.add_argument('--unlabeled', nargs='*',
                 default=[os.path.join(DATA, 'unlabeled_en')])
  p.add_argument('extra', nargs='*', help='more `ner-pipeline run` options')


def parse_settings(pairs) -> dict:
  """``--set`` pairs of TrainerConfig fields as name=JSON value."""
  settings = {}
  for pair in pairs:
    name, sep, value = pair.partition('=')
    if not sep:
      raise SystemExit(f'--set takes name=value, not {pair!r}')
    settings[name] = json.loads(value)
  return settings


def report(figures: dict, output: str = '') -> None:
  """Prints the figures as JSON, and writes them to ``output`` if given."""
  print(json.dumps(figures, indent=2))
  if output:
    with open(output, 'w') as f:
      json.dump(figures, f, indent=2)
