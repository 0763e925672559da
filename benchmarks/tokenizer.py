"""How well ``tag_text`` does on raw text: CoNLL sentences joined back into
ordinary English text (no space before , . ) % and the like, none after (),
tokenised in the graph and tagged, against the gold tokens and against
``tag_tokens`` on those gold tokens. Prints figures; asserts nothing.

  python -m benchmarks.tokenizer --model runs/bench/serving_model \\
      [--eval ../shared/data/conll2003/eng.testa]
"""

import argparse
import os
import sys
import time
from typing import List, Set, Tuple

from benchmarks import common
from benchmarks.common import DATA
from models import conll, entity_metrics
from serving import inference, versions

_NO_SPACE_BEFORE = {',', '.', ';', ':', '!', '?', ')', ']', '}', '%', "'s",
                    "'S", "n't", "'re", "'ve", "'ll", "'d", "'m", '...'}
_NO_SPACE_AFTER = {'(', '[', '{', '$'}


def detokenize(tokens: List[str]) -> Tuple[str, List[Tuple[int, int]]]:
  """Ordinary English text from CoNLL tokens, and each token's offsets in
  it. Double quotes alternate: an opening one sticks to the next token, a
  closing one to the previous."""
  text, spans, quote_open, glue = '', [], False, True
  for token in tokens:
    closing = token == '"' and quote_open
    if token == '"':
      quote_open = not quote_open
    if text and not glue and token not in _NO_SPACE_BEFORE and not closing:
      text += ' '
    spans.append((len(text), len(text) + len(token)))
    text += token
    glue = token in _NO_SPACE_AFTER or (token == '"' and quote_open)
  return text, spans


def _entities(tags: List[str], spans) -> Set[Tuple[str, int, int]]:
  return {(kind, spans[a][0], spans[b - 1][1])
          for kind, a, b in entity_metrics.entities(tags)}


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--model', required=True,
                 help="a run's serving_model/ or one version in it")
  p.add_argument('--eval', default=os.path.join(DATA, 'conll2003',
                                                'eng.testa'))
  p.add_argument('--encoding', default='utf-8')
  p.add_argument('--output', default='', help='also write the figures here')
  args = p.parse_args(argv)
  model_dir = versions.model_dir(args.model)
  sentences = list(conll.read_file(args.eval, args.encoding))
  texts, gold_spans = zip(*(detokenize(s.tokens) for s in sentences))
  started = time.time()
  results = list(inference.tag_texts(model_dir, texts))
  text_seconds = time.time() - started
  started = time.time()
  token_tags = inference.load_tagger(model_dir)([s.tokens for s in sentences])
  token_seconds = time.time() - started
  agree = gold_count = 0
  found = gold = correct = 0
  for sentence, spans, result in zip(sentences, gold_spans, results):
    predicted = {(t['start'], t['end']) for t in result['tokens']}
    agree += len(predicted & set(spans))
    gold_count += len(spans)
    want = _entities(sentence.tags, spans)
    got = {(e['type'], e['start'], e['end']) for e in result['entities']}
    found, gold, correct = (found + len(got), gold + len(want),
                            correct + len(got & want))
  precision = correct / found if found else 0.0
  recall = correct / gold if gold else 0.0
  text_f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
  token_f1 = entity_metrics.score([s.tags for s in sentences],
                                  token_tags)['f1']
  tokens = sum(len(s.tokens) for s in sentences)
  figures = {
      'sentences': len(sentences), 'gold_tokens': gold_count,
      'token_agreement': round(100 * agree / gold_count, 2),
      'tag_text_entity_f1': round(100 * text_f1, 2),
      'tag_tokens_entity_f1': round(100 * token_f1, 2),
      'tag_text_tokens_per_second': round(tokens / text_seconds),
      'tag_tokens_tokens_per_second': round(tokens / token_seconds),
      'model': model_dir,
  }
  common.report(figures, args.output)
  return 0


if __name__ == '__main__':
  sys.exit(main())
