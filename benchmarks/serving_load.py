"""Load on ``ner-pipeline serve`` over localhost: a bounded loop of
concurrent clients for a fixed time, first single sentences, then batches
of 32; requests/s, p50 and p99 latency, tokens/s and the server's memory.
Prints figures; asserts nothing.

  python -m benchmarks.serving_load --model runs/bench/serving_model \\
      [--seconds 60] [--clients 4]
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

from benchmarks import common
from benchmarks.common import DATA, ROOT
from benchmarks.tokenizer import detokenize
from models import conll


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _memory_mb(pid: int) -> dict:
  with open(f'/proc/{pid}/status') as f:
    fields = dict(line.split(':', 1) for line in f)
  return {k: round(int(fields[k].split()[0]) / 1024) for k in ('VmRSS',
                                                              'VmHWM')}


def _load(port, bodies, tokens, clients, seconds):
  """Each client posts bodies in turn on one kept-alive connection until the
  time is up; returns the figures."""
  latencies, counted, errors = [], [0], [0]
  lock = threading.Lock()
  stop = time.time() + seconds

  def client(offset):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    i = offset
    while time.time() < stop:
      body, n = bodies[i % len(bodies)], tokens[i % len(bodies)]
      started = time.perf_counter()
      conn.request('POST', '/v1/models/ner:predict', body,
                   {'Content-Type': 'application/json'})
      response = conn.getresponse()
      response.read()
      elapsed = time.perf_counter() - started
      with lock:
        if response.status == 200:
          latencies.append(elapsed)
          counted[0] += n
        else:
          errors[0] += 1
      i += clients
    conn.close()

  threads = [threading.Thread(target=client, args=(k,))
             for k in range(clients)]
  began = time.time()
  for t in threads:
    t.start()
  for t in threads:
    t.join()
  wall = time.time() - began
  latencies.sort()
  pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
  return {'requests': len(latencies), 'errors': errors[0],
          'requests_per_second': round(len(latencies) / wall, 1),
          'p50_ms': round(1000 * statistics.median(latencies), 2),
          'p99_ms': round(1000 * pick(0.99), 2),
          'tokens_per_second': round(counted[0] / wall)}


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--model', required=True, help='a serving directory')
  p.add_argument('--eval', default=os.path.join(DATA, 'conll2003',
                                                'eng.testa'))
  p.add_argument('--seconds', type=float, default=60)
  p.add_argument('--clients', type=int, default=4)
  p.add_argument('--batch', type=int, default=32)
  p.add_argument('--output', default='', help='also write the figures here')
  args = p.parse_args(argv)
  sentences = [s.tokens for s in conll.read_file(args.eval)
               if 5 <= len(s.tokens) <= 40]
  texts = [detokenize(s)[0] for s in sentences]
  port = _free_port()
  server = subprocess.Popen(
      [sys.executable, '-m', 'pipeline.cli', 'serve', '--model', args.model,
       '--port', str(port)], cwd=ROOT, stdout=subprocess.PIPE,
      stderr=subprocess.DEVNULL, text=True)
  try:
    line = server.stdout.readline()  # 'serving ...' once it has loaded
    if not line.startswith('serving'):
      raise SystemExit(f'serving_load: the server did not start: {line}')
    single = [json.dumps({'instances': [t]}) for t in texts]
    _load(port, single, [len(s) for s in sentences], args.clients, 5)  # warm
    figures = {'single_sentence': _load(port, single, [len(s) for s in
                                                       sentences],
                                        args.clients, args.seconds)}
    batches = [json.dumps({'instances': texts[i:i + args.batch]})
               for i in range(0, len(texts) - args.batch, args.batch)]
    batch_tokens = [sum(map(len, sentences[i:i + args.batch]))
                    for i in range(0, len(texts) - args.batch, args.batch)]
    figures[f'batch_{args.batch}'] = _load(port, batches, batch_tokens,
                                           args.clients, args.seconds)
    figures['server_memory_mb'] = _memory_mb(server.pid)
    figures.update(clients=args.clients, seconds=args.seconds,
                   mean_sentence_tokens=round(statistics.mean(
                       map(len, sentences)), 1))
  finally:
    server.terminate()
    server.wait(timeout=60)
  common.report(figures, args.output)
  return 0


if __name__ == '__main__':
  sys.exit(main())
