"""Distilling the ensemble into one tagger through unlabelled text: writes a
student's training file, the labelled training set followed by sentences of
unlabelled text tagged by a finished run's model (the teacher), for a run
of one tagger on it. Prints what it wrote; asserts nothing.

  python -m benchmarks.distill --teacher runs/defaults-s30/serving_model \\
      --tokens 300000 --output runs/distill/train_plus_300k.conll
  python -m benchmarks.benchmark --output runs/student-s30 \\
      --train runs/distill/train_plus_300k.conll -- --seed 30 --ensemble 1

One tagger serves at about twice the speed of three; whether it can learn
what the three know from their tags on text no one labelled is the
question (issue 25). Unlabelled files are read as documents separated by
blank lines (the Reuters-21578 files of ../shared/data/unlabeled_en: a
headline line in capitals, then the story, wrapped). Each document goes
through the served model's own tokeniser (serving/text.py, which keeps the
dots of abbreviations and initials on their words) and is cut into
sentences after a . ! or ? token that a capital, a digit or a bracket
follows (after a quote, if one comes between); sentences of 4 to 60 tokens
are drawn at random (--seed) until --tokens, and tagged through the
teacher's tag_tokens, as `ner-pipeline tag --conll` scores a model. The
file has two columns, token and IOB2 tag.
"""

import argparse
import collections
import glob
import itertools
import json
import os
import random
import sys
import time
from typing import Iterable, Iterator, List

from benchmarks.common import DATA
from models import atomic, conll, entity_metrics
from serving import inference, text, threads, versions

MIN_TOKENS, MAX_TOKENS = 4, 60
_OPENERS = '(['
_QUOTES = ('"', "'", '``', "''")


def documents(lines: Iterable[str]) -> Iterator[str]:
  """Texts of blocks separated by blank lines, each block's lines joined;
  a first line without a lower-case letter (a headline) is a text of its
  own."""
  block: List[str] = []
  for line in itertools.chain(lines, ['']):  # a blank line ends the last
    line = line.strip()
    if line:
      block.append(line)
      continue
    if len(block) > 1 and not any(c.islower() for c in block[0]):
      yield block.pop(0)
    if block:
      yield ' '.join(block)
    block = []


def sentences(tokens: List[str]) -> List[List[str]]:
  """A document's tokens cut after each sentence end that a capital, a
  digit or an opening bracket follows, or a quote and then one of them (a
  quote before a lower-case word closes the sentence it follows)."""
  out, start = [], 0
  for i in range(len(tokens) - 1):
    nxt = tokens[i + 1]
    if nxt in _QUOTES:  # opens the next sentence, or closes this one
      nxt = tokens[i + 2] if i + 2 < len(tokens) else 'x'
    if (tokens[i] in ('.', '!', '?') and
        (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in _OPENERS)):
      out.append(tokens[start:i + 1])
      start = i + 1
  if start < len(tokens):
    out.append(tokens[start:])
  return out


def tokenized(texts: List[str], batch_size: int = 256) -> List[List[str]]:
  """Tokens of each text, by the served model's tokeniser."""
  out = []
  for start in range(0, len(texts), batch_size):
    tokens, _, _ = text.tokenize(texts[start:start + batch_size])
    out += [[t.decode('utf-8') for t in row] for row in tokens.to_list()]
  return out


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--teacher', required=True,
                 help="a run's serving_model/ (its newest version) or one "
                 'version folder')
  p.add_argument('--train', default=os.path.join(DATA, 'conll2003',
                                                 'eng.train'))
  p.add_argument('--unlabeled', nargs='+', default=sorted(glob.glob(
      os.path.join(DATA, 'unlabeled_en', 'reuters21578_apte_part*.txt'))))
  p.add_argument('--tokens', type=int, default=300000,
                 help='tokens of tagged sentences to add')
  p.add_argument('--seed', type=int, default=0)
  p.add_argument('--encoding', default='utf-8')
  p.add_argument('--output', required=True, help='CoNLL file to write')
  args = p.parse_args(argv)
  threads.for_tagging()
  teacher = versions.model_dir(args.teacher)
  if not teacher:
    p.error(f'no SavedModel in {args.teacher}')
  if not args.unlabeled:
    p.error('no unlabelled files (--unlabeled)')
  started = time.time()
  texts = [t for path in args.unlabeled
           for t in documents(conll.read_lines(path, args.encoding))]
  pool = [s for tokens in tokenized(texts) for s in sentences(tokens)
          if MIN_TOKENS <= len(s) <= MAX_TOKENS]
  random.Random(args.seed).shuffle(pool)
  chosen, count = [], 0
  for s in pool:
    if count >= args.tokens:
      break
    chosen.append(s)
    count += len(s)
  tokenizing = time.time() - started
  started = time.time()
  tags = inference.load_tagger(teacher)(chosen)
  tagging = time.time() - started
  train = [conll.Sentence(s.tokens, s.tags) for s in
           conll.read_file(args.train, args.encoding)]
  transfer = [conll.Sentence(list(s), t) for s, t in zip(chosen, tags)]
  if os.path.dirname(args.output):
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with atomic.open_for_writing(args.output) as f:
    f.write(conll.format_sentences(train + transfer))
  entities = collections.Counter(
      kind for t in tags for kind, _, _ in entity_metrics.entities(t))
  print(json.dumps({
      'output': args.output, 'teacher': teacher,
      'train_sentences': len(train),
      'train_tokens': sum(len(s.tokens) for s in train),
      'unlabeled_texts': len(texts), 'pool_sentences': len(pool),
      'transfer_sentences': len(transfer), 'transfer_tokens': count,
      'transfer_entities': dict(sorted(entities.items())),
      'tokenizing_seconds': round(tokenizing, 1),
      'tagging_seconds': round(tagging, 1),
      'tagging_tokens_per_second': round(count / max(tagging, 1e-9))},
                   indent=2))
  return 0


if __name__ == '__main__':
  sys.exit(main())
