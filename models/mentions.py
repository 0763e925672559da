"""Mention replacement: each epoch, some training entities are swapped for
other training mentions of the same type, so that the tagger learns to type a
name from its context as well as from having seen that name (on CoNLL-2003
the tagger's commonest error is a name found with the wrong type)."""

import collections
from typing import List

import numpy as np

from models import features
from models.batches import KEYS, Sentence


def spans(tag_ids: np.ndarray, tag_names: List[str]):
  """(start, end, type) of the entities in BIOES tag ids, end exclusive."""
  out, start, kind = [], None, None
  for i, t in enumerate(tag_ids):
    prefix, this = tag_names[t][:1], tag_names[t][2:]
    if prefix == 'S':
      out.append((i, i + 1, this))
      start = None
    elif prefix == 'B':
      start, kind = i, this
    elif prefix == 'E' and start is not None and this == kind:
      out.append((start, i + 1, kind))
      start = None
    elif not (prefix == 'I' and this == kind):
      start = None
  return out


def replaced(sentences: List[Sentence], tag_names: List[str],
             probability: float, seed: int):
  """A generator function: each call yields every sentence once, each entity
  replaced with ``probability`` by a random mention of its type."""
  found = [spans(s[features.TAG_IDS], tag_names) for s in sentences]
  pool = collections.defaultdict(list)
  for s, entity_spans in zip(sentences, found):
    for start, end, kind in entity_spans:
      pool[kind].append({k: s[k][start:end] for k in KEYS})
  rng = np.random.default_rng(seed)

  def generate():
    for s, entity_spans in zip(sentences, found):
      chosen = [e for e in entity_spans if rng.random() < probability]
      if not chosen:
        yield s
        continue
      pieces = {k: [] for k in KEYS}
      at = 0
      for start, end, kind in chosen:
        mentions = pool[kind]
        other = mentions[rng.integers(len(mentions))]
        for k in KEYS:
          pieces[k].append(s[k][at:start])
          pieces[k].append(other[k])
        at = end
      yield {k: np.concatenate(pieces[k] + [s[k][at:]]) for k in KEYS}

  return generate

