"""Benchmark: the full pipeline on CoNLL-2003 (../shared/data), then the
exported model's inference speed and its eval F1 on entities with unseen
words. Prints figures; asserts nothing.

  python -m benchmarks.benchmark [--output runs/bench] [-- extra run options]
  python -m benchmarks.benchmark --output runs/bench --no-run   # report again
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from benchmarks.common import ROOT, add_data_arguments
from pipeline.outputs import latest_execution

def inference_speed(model_dir, sentences, batch_size=256, repeats=200):
  """Tokens/s tagging all sentences in batches, and the median latency of
  one ~15-token sentence, both through the tag_tokens signature."""
  from serving import inference, threads  # pylint: disable=g-import-not-at-top
  tuned = threads.for_tagging()  # as `ner-pipeline tag` and `serve` do
  tag = inference.load_tagger(model_dir, batch_size=batch_size)
  tag(sentences[:batch_size])  # warm-up: traces the function
  tokens = sum(len(s) for s in sentences)
  started = time.perf_counter()
  tag(sentences)
  throughput = tokens / (time.perf_counter() - started)
  single = [s for s in sentences if 13 <= len(s) <= 17][:repeats]
  tag(single[:1])
  latencies = []
  for s in single:
    t0 = time.perf_counter()
    tag([s])
    latencies.append(1000 * (time.perf_counter() - t0))
  return {'inference_threads': (f'1 per operation, {threads.cores()} at '
                                'once' if tuned else "TensorFlow's default"),
          'inference_tokens_per_second': round(throughput),
          'single_sentence_ms_median': round(statistics.median(latencies), 2),
          'single_sentence_tokens': round(statistics.mean(map(len, single)), 1)}


def _peak_memory(run: subprocess.Popen, every: float = 0.5) -> int:
  """Waits for ``run``; returns the largest resident memory (bytes) of it
  and its descendants together (the Trainer's worker processes among
  them), sampled every ``every`` seconds."""
  import psutil  # pylint: disable=g-import-not-at-top
  peak, top = 0, psutil.Process(run.pid)
  while run.poll() is None:
    total = 0
    try:
      for process in [top, *top.children(recursive=True)]:
        try:
          total += process.memory_info().rss
        except psutil.Error:  # ended meanwhile
          pass
    except psutil.Error:
      pass
    peak = max(peak, total)
    time.sleep(every)
  return peak


def test_scores(model_dir, path, encoding):
  """Entity F1 of the pushed model on a held-out file (never used to select)."""
  from models import conll, entity_metrics
  from serving import inference  # pylint: disable=g-import-not-at-top
  sentences = list(conll.read_file(path, encoding))
  result = entity_metrics.score(
      [s.tags for s in sentences],
      inference.load_tagger(model_dir)([s.tokens for s in sentences]))
  return {'test_f1': round(100 * result['f1'], 2),
          'test_per_type_f1': {k: round(100 * v['f1'], 2)
                               for k, v in result['per_type'].items()}}


def unseen_word_scores(model_dir, vocab_rows, train_path, eval_path,
                       encoding):
  """Eval entity F1 of the pushed model on three disjoint kinds of entity:
  every word seen in the training file; some word unseen there but with a
  row of its own (a vector from the unlabelled text); some word with no row
  (<UNK>). The gap between eng.testa and the held-out test set opens in the
  last two (words compared lower-cased, digits as 0)."""
  from models import conll, entity_breakdown
  from serving import inference  # pylint: disable=g-import-not-at-top
  sentences = list(conll.read_file(eval_path, encoding))
  tokens = [s.tokens for s in sentences]
  kinds = entity_breakdown.by_word_kind(
      tokens, [s.tags for s in sentences],
      inference.load_tagger(model_dir)(tokens),
      [s.tokens for s in conll.read_file(train_path, encoding)],
      vocab_rows[2:])
  result = {name: {'f1': round(100 * r['f1'], 2), 'gold_entities': r['gold']}
            for name, r in kinds.items()}
  return {'eval_f1_by_words': result}


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  add_data_arguments(p, 'bench')
  p.add_argument('--test', default='',
                 help='also score this file with the pushed model')
  p.add_argument('--encoding', default='utf-8')
  p.add_argument('--no-run', action='store_true',
                 help='do not run the pipeline; report on the finished run '
                 'in --output (no wall time or memory then)')
  args = p.parse_args(argv)
  command = [sys.executable, '-m', 'pipeline.cli', 'run', '--train',
             args.train, '--eval', args.eval, '--encoding', args.encoding,
             '--output', args.output, '--unlabeled', *args.unlabeled,
             *(['--test', args.test] if args.test else []), *args.extra]
  measured = {}
  if not args.no_run:
    print('benchmark:', ' '.join(command), flush=True)
    started = time.time()
    log = os.path.join(os.path.dirname(os.path.abspath(args.output)),
                       os.path.basename(args.output) + '.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, 'w') as f:
      run = subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT,
                             cwd=ROOT)
      peak = _peak_memory(run)
    if run.returncode:
      print(f'benchmark: the run failed (exit {run.returncode}); see {log}')
      return run.returncode
    measured = {'command': ' '.join(command),
                'wall_seconds': round(time.time() - started, 1),
                'peak_memory_mb': round(max(peak, resource.getrusage(
                    resource.RUSAGE_CHILDREN).ru_maxrss * 1024) / 2**20)}
  with open(os.path.join(args.output, 'last_run.json')) as f:
    run = json.load(f)
  root = os.path.join(args.output, 'pipeline_root')
  with open(os.path.join(latest_execution(
      os.path.join(root, 'NerTrainer', 'model_run')),
                         'training_stats.json')) as f:
    training = json.load(f)
  from models import embedding_files, conll  # pylint: disable=g-import-not-at-top
  sentences = [s.tokens for s in conll.read_file(args.eval, args.encoding)]
  serving = os.path.join(args.output, 'serving_model')
  model_dir = latest_execution(serving)
  result = {
      'eval_f1': round(100 * run['eval']['f1'], 2),
      'eval_precision': round(100 * run['eval']['precision'], 2),
      'eval_recall': round(100 * run['eval']['recall'], 2),
      'per_type_f1': {k: round(100 * v['f1'], 2)
                      for k, v in run['eval']['per_type'].items()},
      'blessed': run['blessed'],
      **measured,
      'epochs_run': training['epochs_run'],
      'train_tokens_per_second': training['train_tokens_per_second'],
      **inference_speed(model_dir, sentences),
      **unseen_word_scores(
          model_dir, embedding_files.load_vocab(latest_execution(os.path.join(
              root, 'EmbeddingGen', 'embedding'))), args.train, args.eval,
          args.encoding),
      **(test_scores(model_dir, args.test, args.encoding) if args.test
         else {}),
      'embedding': run['embedding'],
  }
  # A report on a finished run leaves the benchmark's own figures alone.
  name = 'report.json' if args.no_run else 'benchmark.json'
  with open(os.path.join(args.output, name), 'w') as f:
    json.dump(result, f, indent=2)
  print(json.dumps(result, indent=2))
  return 0


if __name__ == '__main__':
  sys.exit(main())
