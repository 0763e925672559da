"""A small synthetic CoNLL-2003-style corpus for the demo run and the tests.

The project may not ship the licensed corpora, so it generates its own:
template sentences with person, location, organisation and misc names, written
like CoNLL-2003 (4 columns, IOB1 tags, ``-DOCSTART-`` lines). Eval and test
draw part of their names from pools that training never shows, so that the
demo measures some generalisation rather than memorisation.
"""

import os
import random
from typing import Dict, List, Sequence, Tuple

import tensorflow as tf

from models import atomic

_FIRST = ['John', 'Mary', 'Ahmed', 'Li', 'Carlos', 'Anna', 'Peter', 'Fatima',
          'Hans', 'Yuki', 'Olga', 'James', 'Maria', 'David', 'Sofia', 'Omar',
          'Elena', 'Pierre', 'Kofi', 'Ingrid', 'Raj', 'Lucia', 'Tom', 'Nina']
_LAST = ['Smith', 'Jones', 'Khan', 'Wang', 'Garcia', 'Muller', 'Tanaka',
         'Ivanova', 'Brown', 'Rossi', 'Dubois', 'Annan', 'Larsen', 'Patel',
         'Silva', 'Kowalski', 'Novak', 'Meyer', 'Costa', 'Berg']
_LOC = ['Paris', 'London', 'Berlin', 'Tokyo', 'Madrid', 'Cairo', 'Lima',
        'New York', 'Hong Kong', 'Sydney', 'Moscow', 'Nairobi', 'Oslo',
        'Rome', 'Toronto', 'Buenos Aires', 'Mumbai', 'Vienna', 'Dublin',
        'Seoul', 'Lisbon', 'Athens', 'Chicago', 'Manila']
_ORG = ['Acme Corp', 'Globex', 'Reuters', 'United Nations', 'Initech',
        'Bank of Avalon', 'Northwind Traders', 'Umbrella Group', 'FIFA',
        'Stark Industries', 'Wayne Enterprises', 'Tyrell Corp', 'Soylent',
        'Cyberdyne Systems', 'Vandelay Industries', 'Hooli', 'Aperture Labs',
        'Monarch Airlines', 'Oceanic Airlines', 'Gringotts']
_MISC = ['German', 'French', 'Olympic', 'Japanese', 'British', 'Spanish',
         'World Cup', 'Nobel Prize', 'Egyptian', 'Brazilian', 'Italian',
         'Davis Cup', 'Canadian', 'Korean', 'Irish', 'Greek']
_WORDS = {
    'DAY': ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
    'NUM': ['3', '12', '7.5', '1996', '40', '2.1', '150', '19'],
    'VERB': ['said', 'told', 'reported', 'announced', 'added', 'warned'],
    'MOVE': ['visited', 'arrived in', 'left', 'flew to', 'returned to'],
}
_TEMPLATES = [
    '{PER} {MOVE} {LOC} on {DAY} .',
    '{ORG} shares rose {NUM} percent in {LOC} trading .',
    '{PER} , a spokesman for {ORG} , {VERB} the deal was signed .',
    'The {MISC} delegation met {PER} in {LOC} .',
    '{ORG} {VERB} on {DAY} that profits fell {NUM} percent .',
    'In {LOC} , {PER} {VERB} reporters that {ORG} would appeal .',
    '{PER} won the {MISC} title after beating {PER} .',
    'Officials from {ORG} and {ORG} met in {LOC} on {DAY} .',
    'the {MISC} market closed {NUM} points higher , dealers {VERB} .',
    '{PER} {VERB} : " we expect growth of {NUM} percent . "',
]
_FILLER = ['the', 'a', 'market', 'government', 'prices', 'officials', 'week',
           'talks', 'after', 'before', 'police', 'said', 'on', 'in', 'of',
           'and', 'rose', 'fell', 'percent', 'year', 'company', 'team']


def _pools(split: str, rng: random.Random) -> Dict[str, List[str]]:
  """Names per type; eval/test hold back a third of each pool from train."""
  def cut(names):
    k = len(names) * 2 // 3
    return names[:k] if split == 'train' else names
  persons = [f'{f} {l}' for f in cut(_FIRST) for l in cut(_LAST)]
  rng.shuffle(persons)
  return {'PER': persons[:80] + cut(_LAST), 'LOC': cut(_LOC),
          'ORG': cut(_ORG), 'MISC': cut(_MISC)}


def generate_sentences(n: int, split: str = 'train',
                       seed: int = 0) -> List[List[Tuple[str, str]]]:
  """n sentences of (token, IOB2 tag) pairs."""
  rng = random.Random(f'{split}-{seed}')
  pools = _pools(split, rng)
  out = []
  for _ in range(n):
    sentence: List[Tuple[str, str]] = []
    for slot in rng.choice(_TEMPLATES).split(' '):
      if slot.startswith('{') and slot.endswith('}'):
        key = slot[1:-1]
        if key in pools:
          words = rng.choice(pools[key]).split(' ')
          sentence += [(w, ('B-' if i == 0 else 'I-') + key)
                       for i, w in enumerate(words)]
        else:
          sentence += [(w, 'O') for w in rng.choice(_WORDS[key]).split(' ')]
      else:
        sentence.append((slot, 'O'))
    out.append(sentence)
  return out


def to_conll_iob1(sentences: Sequence[Sequence[Tuple[str, str]]],
                  sentences_per_doc: int = 20) -> str:
  """CoNLL-2003 layout: token POS chunk NER with IOB1 tags and DOCSTARTs."""
  lines = []
  for i, sentence in enumerate(sentences):
    if i % sentences_per_doc == 0:
      lines += ['-DOCSTART- -X- -X- O', '']
    prev = 'O'
    for token, tag in sentence:
      iob1 = tag
      if tag.startswith('B-') and not (prev != 'O' and prev[2:] == tag[2:]):
        iob1 = 'I-' + tag[2:]  # IOB1 uses B- only between touching entities
      pos = 'NNP' if tag != 'O' else ('CD' if token[0].isdigit() else 'NN')
      lines.append(f'{token} {pos} I-NP {iob1}')
      prev = tag
    lines.append('')
  return '\n'.join(lines) + '\n'


def unlabeled_text(n: int, seed: int = 0) -> str:
  """Plain text for Word2Vec: template sentences and filler, no tags."""
  rng = random.Random(f'unlabeled-{seed}')
  lines = []
  for sentence in generate_sentences(n, 'eval', seed + 1):
    words = [t for t, _ in sentence]
    if rng.random() < 0.3:
      words += rng.sample(_FILLER, 4)
    lines.append(' '.join(words))
  return '\n'.join(lines) + '\n'


def write_demo_data(directory: str, train: int = 600, eval_: int = 150,
                    test: int = 150, unlabeled: int = 2000,
                    seed: int = 0) -> Dict[str, str]:
  """Writes train/eval/test CoNLL files and an unlabelled text file.

  Returns the paths by name ('train', 'eval', 'test', 'unlabeled').
  """
  tf.io.gfile.makedirs(directory)
  files = {
      'train': ('train.conll',
                to_conll_iob1(generate_sentences(train, 'train', seed))),
      'eval': ('eval.conll',
               to_conll_iob1(generate_sentences(eval_, 'eval', seed))),
      'test': ('test.conll',
               to_conll_iob1(generate_sentences(test, 'test', seed))),
      'unlabeled': ('unlabeled.txt', unlabeled_text(unlabeled, seed)),
  }
  paths = {}
  for key, (name, text) in files.items():
    path = os.path.join(directory, name)
    atomic.write(path, text)
    paths[key] = path
  return paths
