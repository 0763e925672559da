"""`ner-pipeline serve` in a subprocess, spoken to over a real socket on
127.0.0.1 as a TF Serving client would."""

import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import tensorflow as tf

import small_model
from test_export import HARD_TEXTS

_MAX_BYTES = 20000


def _free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _call(url, body=None, method=None):
  """(status, decoded JSON answer); body is bytes, or an object to send as
  JSON."""
  if body is not None and not isinstance(body, bytes):
    body = json.dumps(body).encode()
  request = urllib.request.Request(url, data=body, method=method)
  try:
    with urllib.request.urlopen(request, timeout=60) as response:
      return response.status, json.loads(response.read())
  except urllib.error.HTTPError as e:
    return e.code, json.loads(e.read())


@pytest.fixture(scope='module')
def server(tmp_path_factory):
  base = tmp_path_factory.mktemp('serving')
  small_model.save(str(base / '1'))
  port = _free_port()
  proc = subprocess.Popen(
      [sys.executable, '-m', 'pipeline.cli', 'serve', '--model', str(base),
       '--port', str(port), '--poll-seconds', '0.3', '--max-request-bytes',
       str(_MAX_BYTES)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
      text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
  root = f'http://127.0.0.1:{port}/v1/models/ner'
  deadline = time.time() + 180
  while True:
    try:
      if _call(root)[0] == 200:
        break
    except OSError:
      pass
    assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
    time.sleep(0.5)
  yield root, base
  proc.terminate()
  proc.wait(timeout=60)


def test_status_and_metadata_come_from_the_saved_model(server):
  root, _ = server
  assert _call(root) == (200, {'model_version_status': [{
      'version': '1', 'state': 'AVAILABLE',
      'status': {'error_code': 'OK', 'error_message': ''}}]})
  status, meta = _call(root + '/metadata')
  assert status == 200 and meta['model_spec']['version'] == '1'
  defs = meta['metadata']['signature_def']['signature_def']
  assert set(defs) == {'serving_default', 'tag_text', 'tag_tokens',
                       'tag_examples'}
  assert defs['tag_text']['inputs']['text']['dtype'] == 'DT_STRING'
  assert defs['tag_tokens']['inputs']['tokens']['tensor_shape']['dim'] == [
      {'size': '-1', 'name': ''}] * 2
  assert {'entity_start', 'entity_score', 'token_end'} <= set(
      defs['serving_default']['outputs'])


def test_predict_rows_and_columns_answer_as_the_signature_does(server):
  root, base = server
  texts = ['Peter Blackburn visited Paris .', 'Acme Corp. hired Mary']
  direct = tf.saved_model.load(str(base / '1')).signatures['tag_text'](
      text=tf.constant(texts))
  status, rows = _call(root + ':predict', {'instances': texts})
  assert status == 200 and len(rows['predictions']) == 2
  for i, row in enumerate(rows['predictions']):
    width = len(row['tokens'])
    assert row['tokens'] == [t.decode() for t in
                             direct['tokens'].numpy()[i][:width]]
    assert row['entity_start'] == direct['entity_start'].numpy()[i].tolist()
  # Inputs a service meets (tests/test_export.py), but the longest: one
  # request holds them all.
  hard = HARD_TEXTS[:-1]
  status, answer = _call(root + ':predict', {'instances': hard})
  assert status == 200 and len(answer['predictions']) == len(hard)
  for text, row in zip(hard, answer['predictions']):
    assert [text[s:e] for s, e in zip(row['token_start'], row['token_end'])
            if s >= 0] == [t for t in row['tokens'] if t]
  status, columns = _call(root + '/versions/1:predict',
                          {'signature_name': 'tag_text',
                           'inputs': {'text': texts}})
  assert status == 200
  assert columns['outputs']['tags'] == [r['tags'] for r in
                                        rows['predictions']]
  # One input: instances and inputs may give its values bare.
  assert _call(root + ':predict', {'inputs': texts})[1] == columns
  status, tokens = _call(root + ':predict', {
      'signature_name': 'tag_tokens',
      'instances': [['Peter', 'went'], ['Paris']]})
  assert status == 200
  assert [len(p['tags']) for p in tokens['predictions']] == [2, 2]
  assert tokens['predictions'][1]['tags'][1] == 'O'  # padding


_BAD = [
    (':predict', b'{"instances": ["a"', 400, 'malformed JSON'),
    (':predict', b'["a"]', 400, 'JSON object'),
    (':predict', b'{"instances": [1]}', 400, 'not a string'),
    (':predict', b'{"instances": [["a"]]}', 400, 'not a string'),
    (':predict', b'{"instances": []}', 400, 'non-empty'),
    (':predict', b'{"inputs": []}', 400, 'non-empty batch'),
    (':predict', b'{"instances": ["a"], "inputs": ["a"]}', 400, 'exactly one'),
    (':predict', b'{"instances": [{"text": "a", "x": "b"}]}', 400,
     'exactly the inputs'),
    (':predict', b'{"signature_name": "tag_tokens", "inputs": {"text": ["a"]}}',
     400, 'exactly the inputs'),
    (':predict', b'{"signature_name": "nope", "instances": ["a"]}', 400,
     'not found'),
    (':predict', b'{"instances": ["a"], "extra": 1}', 400, 'unknown request'),
    (':predict', b'{"instances": ["\\ud800"]}', 400, 'text'),
    (':predict', b'{"instances": ["caf\xe9"]}', 400, 'UTF-8'),
    (':predict', b'[' * 9000 + b']' * 9000, 400, 'nested'),
    (':predict', b'{"instances": ["' + b'a' * _MAX_BYTES + b'"]}', 413,
     'larger than'),
    ('/versions/7:predict', b'{"instances": ["a"]}', 404, 'version 7'),
    ('/versions/abc:predict', b'{"instances": ["a"]}', 404, 'Not Found'),
    ('/versions/..%2F..%2Fetc:predict', b'{}', 404, 'Not Found'),
    ('/versions/7', None, 404, 'version 7'),
]


@pytest.mark.parametrize('path, body, code, message', _BAD)
def test_client_faults_get_a_4xx_and_an_error(server, path, body, code,
                                              message):
  root, _ = server
  status, answer = _call(root + path, body)
  assert (status, list(answer)) == (code, ['error'])
  assert message in answer['error']
  assert _call(root)[0] == 200  # and the server lives on


def test_unknown_models_and_methods(server):
  root, _ = server
  status, answer = _call(root.replace('/ner', '/other') + ':predict',
                         {'instances': ['a']})
  assert status == 404 and "'other'" in answer['error']
  assert _call(root + ':predict', method='GET')[0] == 405


def test_concurrent_requests(server):
  root, _ = server
  texts = [f'Peter number {i} visited Paris .' for i in range(40)]
  with concurrent.futures.ThreadPoolExecutor(8) as pool:
    answers = list(pool.map(
        lambda t: _call(root + ':predict', {'instances': [t]}), texts))
  assert all(status == 200 for status, _ in answers)
  assert [a['predictions'][0]['tokens'][2] for _, a in answers] == [
      str(i) for i in range(40)]


def _wait_for(root, predicate, timeout=120):
  deadline = time.time() + timeout
  while time.time() < deadline:
    status = _call(root)[1]['model_version_status']
    if predicate({s['version']: s for s in status}):
      return status
    time.sleep(0.3)
  raise AssertionError(f'status never matched: {status}')


def test_new_versions_are_picked_up_and_bad_ones_never_serve(server):
  root, base = server
  # Half copied: a SavedModel without its variables is not a version yet.
  (base / '3').mkdir()
  shutil.copy(base / '1' / 'saved_model.pb', base / '3' / 'saved_model.pb')
  # A complete copy, renamed into place as a push does.
  shutil.copytree(base / '1', base / 'tmp-2')
  os.rename(base / 'tmp-2', base / '2')
  _wait_for(root, lambda s: s.get('2', {}).get('state') == 'AVAILABLE')
  versions = _wait_for(root, lambda s: s['1']['state'] == 'END')
  assert '3' not in {s['version'] for s in versions}
  assert _call(root + '/versions/2:predict', {'instances': ['a b']})[0] == 200
  assert _call(root + '/versions/1:predict', {'instances': ['a b']})[0] == 404
  assert _call(root + '/metadata')[1]['model_spec']['version'] == '2'
  # Version 3 completes with a corrupt graph: reported, never serving.
  shutil.copytree(base / '1' / 'variables', base / '3' / 'variables')
  (base / '3' / 'saved_model.pb').write_bytes(b'not a graph')
  status = _wait_for(root, lambda s: s.get('3', {}).get('state') == 'END')
  three = [s for s in status if s['version'] == '3'][0]
  assert three['status']['error_code'] != 'OK'
  assert three['status']['error_message']
  assert _call(root + ':predict', {'instances': ['a b']})[0] == 200
  assert _call(root + '/metadata')[1]['model_spec']['version'] == '2'


_THREADS = r'''
import sys
import tensorflow as tf
from serving import threads
if sys.argv[1] == 'late':
  tf.constant(1) + 1  # TensorFlow's first operation, before the call
print(threads.for_tagging(), tf.config.threading.get_intra_op_parallelism_threads(),
      tf.config.threading.get_inter_op_parallelism_threads(), threads.cores())
'''


def _threads(when: str) -> list:
  done = subprocess.run(
      [sys.executable, '-c', _THREADS, when], capture_output=True, text=True,
      timeout=120,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert done.returncode == 0, done.stderr
  return done.stdout.split()


def test_a_tagging_process_runs_one_thread_an_operation_cores_at_once():
  # What `ner-pipeline serve` and `tag` ask of TensorFlow before they load a
  # model. After the process's first operation TensorFlow keeps its own
  # (0: its choice), and the call says so.
  ok, intra, inter, cores = _threads('first')
  assert (ok, intra, inter) == ('True', '1', cores) and int(cores) >= 1
  assert _threads('late') == ['False', '0', '0', cores]
