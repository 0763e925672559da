"""Entity-level precision, recall and F1 with CoNLL ``conlleval`` semantics.

An entity counts as correct only when its type and both boundaries match the
gold entity exactly; scores are micro-averaged over entities. Tags are first
normalised to IOB2 with the same rules conlleval uses to open a chunk (an ``I-X``
that does not continue an X chunk opens one), so IOB1 gold and IOB2 predictions
can be compared directly.
"""

import collections
from typing import Callable, Dict, Iterable, Optional, Sequence, Set, Tuple

from models.conll import to_iob2

Entity = Tuple[str, int, int]  # (type, start, end exclusive)


def entities(tags: Sequence[str]) -> Set[Entity]:
  """The set of entities in one sentence's tags (any IOB scheme)."""
  found = set()
  etype, start = None, 0
  for i, tag in enumerate(list(to_iob2(tags)) + ['O']):
    if etype is not None and not (tag.startswith('I-') and tag[2:] == etype):
      found.add((etype, start, i))
      etype = None
    if tag.startswith('B-'):
      etype, start = tag[2:], i
  return found


def score(gold: Iterable[Sequence[str]],
          predicted: Iterable[Sequence[str]],
          only: Optional[Callable[[int, Entity], bool]] = None
          ) -> Dict[str, object]:
  """Scores parallel sentences of gold and predicted tags.

  Returns precision, recall and f1 (0..1), entity and token counts, token
  accuracy and a ``per_type`` dict of the same figures per entity type.
  ``only(sentence_index, entity)``, when given, keeps only the gold and
  predicted entities it accepts (e.g. those with an unseen word), so that a
  kind of entity is scored on its own.
  """
  counts = collections.defaultdict(lambda: [0, 0, 0])  # correct, pred, gold
  tokens = correct_tokens = 0
  for n, (g, p) in enumerate(zip(gold, predicted)):
    g, p = list(g), list(p)
    if len(g) != len(p):
      raise ValueError(f'sentence {n}: {len(g)} gold tags but {len(p)} '
                       'predicted tags')
    tokens += len(g)
    correct_tokens += sum(a == b for a, b in zip(to_iob2(g), to_iob2(p)))
    ge, pe = entities(g), entities(p)
    if only is not None:
      ge = {e for e in ge if only(n, e)}
      pe = {e for e in pe if only(n, e)}
    for etype, _, _ in ge:
      counts[etype][2] += 1
    for ent in pe:
      counts[ent[0]][1] += 1
      if ent in ge:
        counts[ent[0]][0] += 1
  total = [sum(c[i] for c in counts.values()) for i in range(3)]
  result = _prf(*total)
  result['token_accuracy'] = correct_tokens / tokens if tokens else 0.0
  result['tokens'] = tokens
  result['per_type'] = {t: _prf(*c) for t, c in sorted(counts.items())}
  return result


def _prf(correct: int, pred: int, gold: int) -> Dict[str, float]:
  precision = correct / pred if pred else 0.0
  recall = correct / gold if gold else 0.0
  f1 = (2 * precision * recall / (precision + recall)
        if precision + recall else 0.0)
  return {'precision': precision, 'recall': recall, 'f1': f1,
          'correct': correct, 'predicted': pred, 'gold': gold}


def format_report(result: Dict[str, object]) -> str:
  """A conlleval-style text table (percentages) for logs and the CLI."""
  lines = [
      f"tokens: {result['tokens']}; gold entities: {result['gold']}; "
      f"predicted: {result['predicted']}; correct: {result['correct']}",
      f"accuracy: {100 * result['token_accuracy']:6.2f}%; "
      f"precision: {100 * result['precision']:6.2f}%; "
      f"recall: {100 * result['recall']:6.2f}%; "
      f"FB1: {100 * result['f1']:6.2f}"]
  for etype, r in result['per_type'].items():
    lines.append(
        f"{etype:>17}: precision: {100 * r['precision']:6.2f}%; "
        f"recall: {100 * r['recall']:6.2f}%; FB1: {100 * r['f1']:6.2f}  "
        f"{r['predicted']}")
  return '\n'.join(lines)

