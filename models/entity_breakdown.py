"""Where a tagger's entity errors are: a confusion matrix of entity types
that counts missed and spurious entities, and F1 by what training and the
vectors knew of an entity's words. The evaluator stores both, so that the
report and the benchmarks read the evaluator's own figures.
"""

import collections
from typing import AbstractSet, Dict, List, Mapping, Sequence

from models import embeddings, entity_metrics

MISSED = 'missed'  # a gold entity with no predicted entity on its span
SPURIOUS = 'spurious'  # a predicted entity with no gold entity on its span
# Kinds of gold or predicted entity, by its words (lower-cased, digits as 0).
WORD_KINDS = ('seen_in_train', 'unseen_with_vector', 'unk')


def confusion(gold: Sequence[Sequence[str]],
              predicted: Sequence[Sequence[str]]) -> Dict[str, Dict[str, int]]:
  """``{gold type or SPURIOUS: {predicted type or MISSED: count}}``.

  Entities are paired by their exact token span: a gold entity whose span
  was predicted with another type counts in that type's column; one whose
  span no prediction has (a boundary error included) is MISSED, and a
  prediction on a span that is no gold entity's is SPURIOUS. The diagonal
  is conlleval's correct entities.
  """
  counts: Dict[str, Dict[str, int]] = collections.defaultdict(
      collections.Counter)
  for g, p in zip(gold, predicted):
    gold_spans = {(s, e): t for t, s, e in entity_metrics.entities(g)}
    pred_spans = {(s, e): t for t, s, e in entity_metrics.entities(p)}
    for span, etype in gold_spans.items():
      counts[etype][pred_spans.get(span, MISSED)] += 1
    for span, etype in pred_spans.items():
      if span not in gold_spans:
        counts[SPURIOUS][etype] += 1
  return {row: dict(cols) for row, cols in sorted(counts.items())}


def word_kind(words: Sequence[str], train_words: AbstractSet[str],
              index: Mapping[str, int]) -> str:
  """'unk' when a word has no row through the model's lookup chain;
  otherwise 'unseen_with_vector' when a word never occurs in training;
  otherwise 'seen_in_train'."""
  if any(embeddings.token_id(w, index) == embeddings.UNK_ID for w in words):
    return 'unk'
  if any(embeddings.normalize(w) not in train_words for w in words):
    return 'unseen_with_vector'
  return 'seen_in_train'


def by_word_kind(tokens: Sequence[Sequence[str]],
                 gold: Sequence[Sequence[str]],
                 predicted: Sequence[Sequence[str]],
                 train_tokens: Sequence[Sequence[str]],
                 vocab: List[str]) -> Dict[str, Dict[str, float]]:
  """Precision, recall, F1 and counts for each of WORD_KINDS, scoring only
  the gold and predicted entities of that kind. ``vocab`` is the embedding's
  words without its <PAD> and <UNK> rows."""
  train_words = {embeddings.normalize(t) for s in train_tokens for t in s}
  index = embeddings.vocab_index(vocab)
  kinds = {}
  for name in WORD_KINDS:
    result = entity_metrics.score(
        gold, predicted, lambda n, e, name=name: word_kind(
            tokens[n][e[1]:e[2]], train_words, index) == name)
    kinds[name] = {k: result[k] for k in
                   ('precision', 'recall', 'f1', 'gold', 'predicted',
                    'correct')}
  return kinds
