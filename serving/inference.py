"""Tagging token lists with an exported model through its ``tag_tokens``
signature, exactly as a serving client would (raw strings in, tags out)."""

from typing import Callable, List, Sequence

import tensorflow as tf

Tagger = Callable[[Sequence[Sequence[str]]], List[List[str]]]


def load_tagger(saved_model_dir: str, batch_size: int = 256) -> Tagger:
  """Returns a function that tags sentences in length-sorted batches."""
  signature = tf.saved_model.load(saved_model_dir).signatures['tag_tokens']

  def tag(sentences: Sequence[Sequence[str]]) -> List[List[str]]:
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    out: List[List[str]] = [[] for _ in sentences]
    for start in range(0, len(order), batch_size):
      batch = [sentences[i] for i in order[start:start + batch_size]]
      width = max(1, max(len(s) for s in batch))
      padded = [list(s) + [''] * (width - len(s)) for s in batch]
      tags = signature(tokens=tf.constant(padded, tf.string))['tags'].numpy()
      for i, row, sentence in zip(order[start:start + batch_size], tags, batch):
        out[i] = [t.decode('utf-8') for t in row[:len(sentence)]]
    return out

  return tag
