"""Command-line flags derived from the config fields (``models/config.py``),
so that each tuning option is declared once: its name, type, default and help
live on the field, and the flag and its mapping back follow from them."""

import argparse
import dataclasses
from typing import Any, Dict

from models.config import SECTIONS, from_dict

_TITLES = {'embedding': 'embeddings', 'trainer': 'model and training',
           'gate': 'blessing gate'}


def flag(field: dataclasses.Field) -> str:
  return '--' + (field.metadata.get('flag') or field.name.replace('_', '-'))


def _default(field: dataclasses.Field) -> Any:
  if field.default is not dataclasses.MISSING:
    return field.default
  return field.default_factory()


def add_config_flags(parser: argparse.ArgumentParser) -> None:
  """One flag per field of each config section. Flags default to absent
  (argparse.SUPPRESS), so that only the options a user gave reach
  ``section_values`` and the dataclass supplies every default."""
  for section, cls in SECTIONS.items():
    group = parser.add_argument_group(_TITLES[section])
    for field in dataclasses.fields(cls):
      meta = field.metadata
      if not meta.get('cli', True):
        continue
      default, text = _default(field), meta['help']
      if default not in ('', []) and 'default' not in text:
        text += f' (default: {default})'
      kwargs: Dict[str, Any] = {
          'dest': f'{section}.{field.name}', 'default': argparse.SUPPRESS,
          'help': text.replace('%', '%%')}
      if field.type is bool:
        kwargs['action'] = argparse.BooleanOptionalAction
      elif isinstance(default, list) and meta.get('choices'):
        kwargs.update(nargs='+', choices=meta['choices'], metavar='FORMAT')
      elif isinstance(default, list):
        kwargs.update(nargs='*', metavar='PATH')
      else:
        kwargs.update(type=field.type, choices=meta.get('choices'),
                      metavar=None if meta.get('choices') else
                      flag(field)[2:].upper().replace('-', '_'))
      group.add_argument(flag(field), **kwargs)


def section_values(args: argparse.Namespace, section: str) -> Dict[str, Any]:
  """The options of one section that the command line gave."""
  prefix = section + '.'
  return {k[len(prefix):]: v for k, v in vars(args).items()
          if k.startswith(prefix)}


def sections(args: argparse.Namespace) -> Dict[str, Any]:
  """Every config section, built from the flags given and the defaults.
  Word2Vec takes the taggers' ``--seed``; without ``--embedding``, vectors
  are loaded when ``--pretrained-vectors`` is given, and then one tagger is
  trained unless ``--ensemble`` says otherwise."""
  values = {name: section_values(args, name) for name in SECTIONS}
  embedding = values['embedding']
  if 'seed' in values['trainer']:
    embedding['seed'] = values['trainer']['seed']
  if embedding.get('pretrained_paths') and 'source' not in embedding:
    embedding['source'] = 'pretrained'
  if embedding.get('source') == 'pretrained' and 'ensemble' not in values[
      'trainer']:
    # Public vectors alone: one tagger scored as well as three
    # (docs/benchmarks.md, "One tagger or three, with GloVe"), in a third of
    # the time and at 2.5 times the inference speed.
    values['trainer']['ensemble'] = 1
  try:
    return {name: from_dict(SECTIONS[name], v) for name, v in values.items()}
  except ValueError as e:
    raise SystemExit(f'ner-pipeline: {e}') from None
