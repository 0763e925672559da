"""How far new data is from the data a serving model was trained and
evaluated on: the gate's drift check.

A profile of an eval split holds three distributions: the share of tokens
out of the embedding vocabulary (through the model's lookup chain, so a
word counts as known as the model would find it), the share of each IOB2 tag
among tokens, and the share of sentences in each length bucket. Tags and
lengths are compared by the largest difference of a share (the L-infinity
distance TFDV uses for categorical drift); the OOV rate by its increase.
"""

import collections
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

from models import embeddings, features

LENGTH_BUCKETS = (5, 10, 20, 40)  # upper bounds; longer is the last bucket


def _bucket(n: int) -> str:
  for upper in LENGTH_BUCKETS:
    if n <= upper:
      return f'<={upper}'
  return f'>{LENGTH_BUCKETS[-1]}'


def _shares(counts: Mapping[str, int]) -> Dict[str, float]:
  total = sum(counts.values()) or 1
  return {k: v / total for k, v in sorted(counts.items())}


def profile(sentences: Iterable[Mapping[str, Sequence[str]]],
            vocab_index: Mapping[str, int]) -> Dict:
  """The profile of sentences (dicts with tokens and tags) against a
  vocabulary (``embeddings.vocab_index``)."""
  tokens = oov = 0
  tags: collections.Counter = collections.Counter()
  lengths: collections.Counter = collections.Counter()
  for s in sentences:
    words = s[features.TOKENS]
    tokens += len(words)
    oov += sum(embeddings.token_id(w, vocab_index) == embeddings.UNK_ID
               for w in words)
    tags.update(s[features.TAGS])
    lengths[_bucket(len(words))] += 1
  return {'tokens': tokens, 'sentences': sum(lengths.values()),
          'oov_rate': oov / max(tokens, 1), 'tags': _shares(tags),
          'lengths': _shares(lengths)}


def distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
  """L-infinity: the largest difference of a share."""
  return max((abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)),
             default=0.0)


def compare(baseline: Dict, new: Dict, max_oov_increase: float,
            max_tag_drift: float, max_length_drift: float
            ) -> Tuple[List[str], Dict[str, float]]:
  """(problems beyond the bounds, the numbers)."""
  numbers = {
      'oov_rate_baseline': round(baseline['oov_rate'], 4),
      'oov_rate_new': round(new['oov_rate'], 4),
      'tag_drift': round(distance(baseline['tags'], new['tags']), 4),
      'length_drift': round(distance(baseline['lengths'], new['lengths']), 4),
  }
  problems = []
  increase = new['oov_rate'] - baseline['oov_rate']
  if increase > max_oov_increase:
    problems.append(
        f"the eval OOV rate rose from {numbers['oov_rate_baseline']:.3f} to "
        f"{numbers['oov_rate_new']:.3f} (bound +{max_oov_increase})")
  if numbers['tag_drift'] > max_tag_drift:
    problems.append(f"the tag distribution moved by {numbers['tag_drift']:.3f}"
                    f' (L-infinity, bound {max_tag_drift})')
  if numbers['length_drift'] > max_length_drift:
    problems.append('the sentence-length distribution moved by '
                    f"{numbers['length_drift']:.3f} (L-infinity, bound "
                    f'{max_length_drift})')
  return problems, numbers
