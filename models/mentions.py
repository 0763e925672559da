"""Mention replacement: each epoch, some training entities are swapped for
other training mentions of the same type, so that the tagger learns to type a
name from its context as well as from having seen that name (on CoNLL-2003
the tagger's commonest error is a name found with the wrong type)."""

import collections
from typing import Dict, List

import numpy as np
import tensorflow as tf

from models import features

_KEYS = (features.TOKEN_IDS, features.CASING, features.CHAR_IDS,
         features.TAG_IDS)


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


def replaced(sentences: List[Dict[str, np.ndarray]], tag_names: List[str],
             probability: float, seed: int):
  """A generator function: each call yields every sentence once, each entity
  replaced with ``probability`` by a random mention of its type."""
  found = [spans(s[features.TAG_IDS], tag_names) for s in sentences]
  pool = collections.defaultdict(list)
  for s, entity_spans in zip(sentences, found):
    for start, end, kind in entity_spans:
      pool[kind].append({k: s[k][start:end] for k in _KEYS})
  rng = np.random.default_rng(seed)

  def generate():
    for s, entity_spans in zip(sentences, found):
      chosen = [e for e in entity_spans if rng.random() < probability]
      if not chosen:
        yield s
        continue
      pieces = {k: [] for k in _KEYS}
      at = 0
      for start, end, kind in chosen:
        mentions = pool[kind]
        other = mentions[rng.integers(len(mentions))]
        for k in _KEYS:
          pieces[k].append(s[k][at:start])
          pieces[k].append(other[k])
        at = end
      yield {k: np.concatenate(pieces[k] + [s[k][at:]]) for k in _KEYS}

  return generate


def dataset(parsed: tf.data.Dataset, tag_names: List[str], probability: float,
            seed: int) -> tf.data.Dataset:
  """``parsed`` (one dict of feature arrays per sentence) read into memory
  once, then replayed each epoch with fresh replacements."""
  sentences = [{k: v.numpy() for k, v in x.items()} for x in parsed]
  signature = {k: tf.TensorSpec(v.shape, v.dtype)
               for k, v in parsed.element_spec.items()}
  return tf.data.Dataset.from_generator(
      replaced(sentences, tag_names, probability, seed),
      output_signature=signature)
