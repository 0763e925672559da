"""Calling a pushed model in-process through its signatures, exactly as a
serving client would: token lists through ``tag_tokens``, raw text through
``tag_text`` (entities with offsets and confidence)."""

import json
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence)

import tensorflow as tf

Tagger = Callable[..., List[List[str]]]


def load_tagger(saved_model_dir: str, batch_size: int = 256) -> Tagger:
  """Returns a function that tags sentences in length-sorted batches;
  ``progress(done, total)``, when given, is called after each batch."""
  signature = tf.saved_model.load(saved_model_dir).signatures['tag_tokens']

  def tag(sentences: Sequence[Sequence[str]],
          progress: Optional[Callable[[int, int], None]] = None
          ) -> List[List[str]]:
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    out: List[List[str]] = [[] for _ in sentences]
    for start in range(0, len(order), batch_size):
      batch = [sentences[i] for i in order[start:start + batch_size]]
      width = max(1, max(len(s) for s in batch))
      padded = [list(s) + [''] * (width - len(s)) for s in batch]
      tags = signature(tokens=tf.constant(padded, tf.string))['tags'].numpy()
      for i, row, sentence in zip(order[start:start + batch_size], tags, batch):
        out[i] = [t.decode('utf-8') for t in row[:len(sentence)]]
      if progress is not None:
        progress(min(start + batch_size, len(order)), len(order))
    return out

  return tag


def _rows(outputs: Dict[str, tf.Tensor], texts: Sequence[str]
          ) -> Iterator[Dict[str, Any]]:
  """One dict per text from tag_text's padded outputs, padding dropped."""
  out = {k: v.numpy() for k, v in outputs.items()}
  text = lambda b: b.decode('utf-8')
  for i, raw in enumerate(texts):
    tokens = [text(t) for t in out['tokens'][i] if t]
    n, m = len(tokens), int((out['entity_type'][i] != b'').sum())
    yield {
        'text': raw,
        'tokens': [{'text': tokens[j], 'tag': text(out['tags'][i][j]),
                    'start': int(out['token_start'][i][j]),
                    'end': int(out['token_end'][i][j]),
                    'score': round(float(out['scores'][i][j]), 4)}
                   for j in range(n)],
        'entities': [{'type': text(out['entity_type'][i][j]),
                      'text': text(out['entity_text'][i][j]),
                      'start': int(out['entity_start'][i][j]),
                      'end': int(out['entity_end'][i][j]),
                      'score': round(float(out['entity_score'][i][j]), 4)}
                     for j in range(m)]}


def tag_texts(saved_model_dir: str, texts: Iterable[str],
              batch_size: int = 64) -> Iterator[Dict[str, Any]]:
  """Tags texts lazily, a batch at a time (bounded memory over any number):
  one dict per text with its tokens and entities."""
  signature = tf.saved_model.load(saved_model_dir).signatures['tag_text']
  batch: List[str] = []
  for raw in texts:
    batch.append(raw)
    if len(batch) == batch_size:
      yield from _rows(signature(text=tf.constant(batch)), batch)
      batch = []
  if batch:
    yield from _rows(signature(text=tf.constant(batch)), batch)


def format_result(result: Dict[str, Any], fmt: str) -> str:
  """One tagged text as ``text`` (the text, then an entity a line: type,
  offsets, score, text), ``jsonl`` (text and entities as one JSON line) or
  ``conll`` (a token and its tag a line, a blank line after)."""
  if fmt == 'jsonl':
    return json.dumps({'text': result['text'],
                       'entities': result['entities']},
                      ensure_ascii=False) + '\n'
  if fmt == 'conll':
    return ''.join(f"{t['text']} {t['tag']}\n"
                   for t in result['tokens']) + '\n'
  lines = [result['text']] + [
      f"  {e['type']}\t{e['start']}-{e['end']}\t{e['score']:.3f}\t{e['text']}"
      for e in result['entities']]
  return '\n'.join(lines) + '\n'
