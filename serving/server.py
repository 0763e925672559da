"""An HTTP server that speaks TF Serving's REST API for a serving directory.

``POST /v1/models/NAME[/versions/N]:predict`` takes ``instances`` (rows,
answered with ``predictions``) or ``inputs`` (columns, answered with
``outputs``) and an optional ``signature_name``; ``GET /v1/models/NAME``
answers ``model_version_status`` and ``GET /v1/models/NAME/metadata`` the
signature defs, all read from the SavedModel itself. A client fault gets a
4xx and ``{"error": ...}``. The newest complete version folder serves; a
watcher thread loads a newer one while the old one keeps serving, and a
version that fails to load is reported and never replaces a good one.
Signatures run in a thread pool, so requests are served concurrently.
"""

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf
from aiohttp import web

from serving import versions

_DTYPES = {tf.string: 'DT_STRING', tf.int32: 'DT_INT32', tf.int64: 'DT_INT64',
           tf.float32: 'DT_FLOAT', tf.float64: 'DT_DOUBLE', tf.bool: 'DT_BOOL'}
_PREDICT_METHOD = 'tensorflow/serving/predict'


class ClientError(Exception):
  """A request the client must fix; answered with ``status``."""

  def __init__(self, message: str, status: int = 400):
    super().__init__(message)
    self.status = status


class Version:
  """One version folder: its state as TF Serving reports it and, once
  loaded, its signatures."""

  def __init__(self, number: int, path: str):
    self.number, self.path = number, path
    self.state, self.error = 'START', ''
    self.signatures: Dict[str, Any] = {}
    self.files = versions.fingerprint(path)

  def load(self) -> None:
    self.state = 'LOADING'
    try:
      model = tf.saved_model.load(self.path)
      self.signatures = dict(model.signatures)
      self._model = model  # keeps the variables alive
      self.state = 'AVAILABLE'
    except Exception as e:  # pylint: disable=broad-except
      self.state, self.error = 'END', f'{type(e).__name__}: {e}'
      logging.warning('serve: version %d did not load: %s', self.number,
                      self.error)

  def status(self) -> Dict[str, Any]:
    failed = bool(self.error)
    return {'version': str(self.number), 'state': self.state,
            'status': {'error_code': 'UNKNOWN' if failed else 'OK',
                       'error_message': self.error}}


class Registry:
  """The versions of one model under a serving directory."""

  def __init__(self, base: str, poll_seconds: float = 2.0):
    self.base, self.poll_seconds = base, poll_seconds
    self.versions: Dict[int, Version] = {}
    self.serving: Optional[Version] = None
    self._lock = threading.Lock()
    self._stop = threading.Event()

  def poll(self) -> None:
    """Loads the newest complete version if it is new; the one serving keeps
    serving until then, and stays if the new one fails."""
    found = versions.complete_versions(self.base)
    if not found:
      return
    path = os.path.join(self.base, str(found[-1]))
    known = self.versions.get(found[-1])
    # A version that failed is tried again only once its files change (a
    # copy that was still going on, say).
    if known is not None and not (known.error and
                                  known.files != versions.fingerprint(path)):
      return
    newest = Version(found[-1], path)
    with self._lock:
      self.versions[newest.number] = newest
    newest.load()
    if newest.state != 'AVAILABLE':
      return
    with self._lock:
      old, self.serving = self.serving, newest
      if old is not None:
        old.state, old.signatures = 'END', {}
    logging.warning('serve: version %d is serving', newest.number)

  def watch(self) -> None:
    while not self._stop.wait(self.poll_seconds):
      try:
        self.poll()
      except Exception:  # pylint: disable=broad-except
        logging.exception('serve: polling %s failed', self.base)

  def start(self) -> None:
    self.poll()
    threading.Thread(target=self.watch, daemon=True).start()

  def stop(self) -> None:
    self._stop.set()

  def get(self, number: Optional[int]) -> Version:
    with self._lock:
      serving = self.serving
      if number is None:
        if serving is None:
          raise ClientError('no version of the model is available', 404)
        return serving
      if serving is None or serving.number != number:
        raise ClientError(f'version {number} of the model is not available',
                          404)
      return serving

  def statuses(self, number: Optional[int] = None) -> List[Dict[str, Any]]:
    with self._lock:
      chosen = [v for n, v in sorted(self.versions.items(), reverse=True)
                if number is None or n == number]
    if not chosen:
      raise ClientError(f'version {number} of the model is not known', 404)
    return [v.status() for v in chosen]


def _spec_json(name: str, spec: tf.TensorSpec) -> Dict[str, Any]:
  dims = [{'size': str(-1 if d is None else d), 'name': ''}
          for d in spec.shape.as_list()]
  return {'dtype': _DTYPES.get(spec.dtype, spec.dtype.name),
          'tensor_shape': {'dim': dims, 'unknown_rank': False}, 'name': name}


def signature_defs(version: Version) -> Dict[str, Any]:
  defs = {}
  for name, fn in version.signatures.items():
    inputs = fn.structured_input_signature[1]
    defs[name] = {
        'inputs': {k: _spec_json(k, s) for k, s in inputs.items()},
        'outputs': {k: _spec_json(k, s)
                    for k, s in fn.structured_outputs.items()},
        'method_name': _PREDICT_METHOD}
  return defs


def _check_values(name: str, value: Any, spec: tf.TensorSpec,
                  depth: int) -> None:
  """Raises ClientError unless ``value`` nests ``depth`` lists deep with
  scalars of the spec's type at the bottom."""
  if depth:
    if not isinstance(value, list):
      raise ClientError(f'input {name!r} must be a list {depth} deep')
    for item in value:
      _check_values(name, item, spec, depth - 1)
    return
  ok = {tf.string: lambda v: isinstance(v, str),
        tf.bool: lambda v: isinstance(v, bool)}.get(
            spec.dtype, lambda v: isinstance(v, (int, float)) and
            not isinstance(v, bool) and (spec.dtype.is_floating or
                                         isinstance(v, int)))
  if not ok(value):
    raise ClientError(f'input {name!r} holds {json.dumps(value)[:40]}, '
                      f'not a {spec.dtype.name}')


def _to_tensor(name: str, batch: List[Any], spec: tf.TensorSpec) -> tf.Tensor:
  """A batch of instance values as one tensor; string rows of different
  lengths are padded at the end with '' (the padding tag_tokens reads)."""
  depth = spec.shape.rank
  _check_values(name, batch, spec, depth)
  if depth == 2 and spec.dtype == tf.string:
    width = max((len(row) for row in batch), default=0)
    batch = [row + [''] * (width - len(row)) for row in batch]
  try:
    array = np.array(batch, dtype=object if spec.dtype == tf.string else
                     spec.dtype.as_numpy_dtype)
    if array.ndim != depth:
      raise ClientError(f'input {name!r} must have rank {depth} with the '
                        f'batch, not {array.ndim} (rows of different '
                        'lengths?)')
    return tf.constant(array, dtype=spec.dtype)
  except (ValueError, OverflowError, TypeError, UnicodeError) as e:
    raise ClientError(f'input {name!r}: {e}') from None


def parse_request(body: Dict[str, Any], version: Version
                  ) -> Tuple[Any, Dict[str, tf.Tensor], bool]:
  """The signature, its input tensors, and whether the request is in row
  format, from a decoded predict request."""
  if not isinstance(body, dict):
    raise ClientError('the request must be a JSON object')
  extra = set(body) - {'signature_name', 'instances', 'inputs'}
  if extra:
    raise ClientError(f'unknown request field(s): {sorted(extra)}')
  if ('instances' in body) == ('inputs' in body):
    raise ClientError('give exactly one of "instances" (rows) or "inputs" '
                      '(columns)')
  name = body.get('signature_name', 'serving_default')
  if not isinstance(name, str) or name not in version.signatures:
    raise ClientError(f'serving signature name {name!r} not found; known: '
                      f'{sorted(version.signatures)}')
  fn = version.signatures[name]
  specs = fn.structured_input_signature[1]
  rows = 'instances' in body
  data = body['instances'] if rows else body['inputs']
  if rows:
    if not isinstance(data, list) or not data:
      raise ClientError('"instances" must be a non-empty list')
    if len(specs) == 1 and not all(isinstance(r, dict) for r in data):
      [key] = specs
      data = [{key: r} for r in data]
    for r in data:
      if not isinstance(r, dict) or set(r) != set(specs):
        raise ClientError(f'each instance needs exactly the inputs '
                          f'{sorted(specs)}')
    columns = {k: [r[k] for r in data] for k in specs}
  else:
    if len(specs) == 1 and not isinstance(data, dict):
      data = {next(iter(specs)): data}
    if not isinstance(data, dict) or set(data) != set(specs):
      raise ClientError(f'"inputs" needs exactly the inputs {sorted(specs)}')
    columns = data
  tensors = {}
  for key, spec in specs.items():
    if not isinstance(columns[key], list) or not columns[key]:
      raise ClientError(f'input {key!r} must be a non-empty batch (a list)')
    tensors[key] = _to_tensor(key, columns[key], spec)
  if len({int(t.shape[0]) for t in tensors.values()}) != 1:
    raise ClientError('all inputs must have the same batch size')
  return fn, tensors, rows


def _json_value(array: np.ndarray) -> Any:
  if array.dtype == object:
    return np.vectorize(lambda b: b.decode('utf-8', 'replace'),
                        otypes=[object])(array).tolist() if array.size else (
                            array.tolist())
  return array.tolist()


def format_response(outputs: Dict[str, tf.Tensor], rows: bool
                    ) -> Dict[str, Any]:
  values = {k: _json_value(v.numpy()) for k, v in outputs.items()}
  if not rows:
    return {'outputs': values if len(values) > 1 else
            next(iter(values.values()))}
  count = len(next(iter(values.values())))
  if len(values) == 1:
    return {'predictions': next(iter(values.values()))}
  return {'predictions': [{k: v[i] for k, v in values.items()}
                          for i in range(count)]}


def _error(message: str, status: int) -> web.Response:
  return web.json_response({'error': message}, status=status)


class App:
  """The aiohttp application around a Registry."""

  def __init__(self, registry: Registry, model_name: str,
               max_request_bytes: int, threads: int):
    self.registry, self.model_name = registry, model_name
    self.max_request_bytes = max_request_bytes
    self.pool = concurrent.futures.ThreadPoolExecutor(threads)
    self.app = web.Application(client_max_size=max_request_bytes,
                               middlewares=[self.errors])
    base = '/v1/models/{name:[^/:]+}'
    version = r'/versions/{version:\d+}'
    self.app.add_routes([
        web.get(base, self.status), web.get(base + version, self.status),
        web.get(base + '/metadata', self.metadata),
        web.get(base + version + '/metadata', self.metadata),
        web.post(base + ':predict', self.predict),
        web.post(base + version + ':predict', self.predict)])

  @web.middleware
  async def errors(self, request, handler):
    try:
      return await handler(request)
    except ClientError as e:
      return _error(str(e), e.status)
    except web.HTTPRequestEntityTooLarge:
      return _error(f'the request is larger than the limit of '
                    f'{self.max_request_bytes} bytes', 413)
    except web.HTTPException as e:
      return _error(e.reason or 'bad request', e.status)
    except tf.errors.InvalidArgumentError as e:
      return _error(e.message, 400)

  def _version(self, request) -> Optional[int]:
    if request.match_info['name'] != self.model_name:
      raise ClientError(f"no model named {request.match_info['name']!r}; "
                        f'this server serves {self.model_name!r}', 404)
    version = request.match_info.get('version')
    return int(version) if version is not None else None

  async def status(self, request):
    return web.json_response({'model_version_status': self.registry.statuses(
        self._version(request))})

  async def metadata(self, request):
    version = self.registry.get(self._version(request))
    return web.json_response({
        'model_spec': {'name': self.model_name, 'signature_name': '',
                       'version': str(version.number)},
        'metadata': {'signature_def': {'signature_def':
                                       signature_defs(version)}}})

  async def predict(self, request):
    version = self.registry.get(self._version(request))
    raw = await request.read()
    try:
      body = json.loads(raw.decode('utf-8'))
    except UnicodeDecodeError as e:
      raise ClientError(f'the request is not valid UTF-8: {e}') from None
    except json.JSONDecodeError as e:
      raise ClientError(f'malformed JSON: {e}') from None
    except RecursionError:
      raise ClientError('the JSON is nested too deeply') from None
    fn, tensors, rows = parse_request(body, version)
    loop = asyncio.get_running_loop()
    outputs = await loop.run_in_executor(self.pool, lambda: fn(**tensors))
    return web.json_response(format_response(outputs, rows))


def serve(model_dir: str, model_name: str = 'ner', host: str = '127.0.0.1',
          port: int = 8501, max_request_bytes: int = 8 << 20,
          poll_seconds: float = 2.0, threads: int = 4) -> None:
  """Serves until interrupted (Ctrl-C, SIGTERM)."""
  registry = Registry(model_dir, poll_seconds)
  started = time.time()
  registry.start()
  if registry.serving is None:
    logging.warning('serve: no complete version under %s yet; waiting for '
                    'one', model_dir)
  app = App(registry, model_name, max_request_bytes, threads)
  print(f'serving {model_dir} as {model_name!r} on http://{host}:{port} '
        f'(version {registry.serving.number if registry.serving else "none"},'
        f' loaded in {time.time() - started:.1f} s)', flush=True)
  try:
    web.run_app(app.app, host=host, port=port, print=None,
                access_log=None)
  finally:
    registry.stop()
    app.pool.shutdown(wait=False)
