"""Pusher: the stock component with an atomic push, and a second chance for
a blessed model whose push failed.

The stock executor copies into ``<base>/<unix time>/`` in place, so a server
polling ``<base>`` can find half a version. Here a version is copied into a
hidden folder beside it (``.partial-...``, not an integer: TF Serving and
``serving.versions`` skip it) and renamed once whole. On an object store
(gs://) a folder rename is no atomic operation, so the version is copied in
place and ``versions.MARKER`` is written last; readers of such paths take a
version only once its marker is there. The marker (in every version) also
records which model was pushed.

``LatestBlessedModelStrategy`` counts blessings, not pushes: after a failed
push, a rerun finds the blessed model as its own baseline and NerEvaluator
does not bless it again. Such a blessing says ``is_baseline``; when the
serving directory has no version of that model, it is pushed now.
"""

import json
import os
import time
import uuid

import tensorflow as tf
from absl import logging
from tfx.components.pusher import component as pusher_component
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.components.base import executor_spec
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

from models import atomic
from serving import versions

IS_BASELINE = 'is_baseline'  # a ModelBlessing property NerEvaluator sets
_PARTIAL = '.partial-'
_STALE_AFTER_S = 3600  # partial folders older than this are leftovers


def pushed_models(base: str) -> dict:
  """Model URI -> version, from the markers of the complete versions."""
  found = {}
  for version in versions.complete_versions(base):
    marker = os.path.join(base, str(version), versions.MARKER)
    if tf.io.gfile.exists(marker):
      with tf.io.gfile.GFile(marker) as f:
        found[json.load(f).get('model_uri')] = version
  return found


def _remove_leftovers(base: str) -> None:
  """Partial folders of pushes that were killed."""
  if not tf.io.gfile.isdir(base):
    return
  for name in tf.io.gfile.listdir(base):
    path = os.path.join(base, name.strip('/'))
    try:
      stale = name.startswith(_PARTIAL) and (
          time.time() - tf.io.gfile.stat(path).mtime_nsec / 1e9
          > _STALE_AFTER_S)
    except tf.errors.OpError:
      continue
    if stale:
      tf.io.gfile.rmtree(path)


def _copy(model_path: str, target: str) -> None:
  """saved_model.pb last: TF Serving takes a folder with it for a model."""
  io_utils.copy_dir(model_path, target,
                    deny_regex_patterns=[r'saved_model\.pb'])
  io_utils.copy_file(os.path.join(model_path, 'saved_model.pb'),
                     os.path.join(target, 'saved_model.pb'))


def push(model_path: str, base: str, model_uri: str) -> str:
  """Copies a SavedModel to a new version under ``base``, atomically;
  returns the version."""
  tf.io.gfile.makedirs(base)
  _remove_leftovers(base)
  existing = versions.complete_versions(base)
  version = str(max([int(time.time())] + [v + 1 for v in existing]))
  target = os.path.join(base, version)
  record = json.dumps({'model_uri': model_uri, 'version': int(version),
                       'pushed_at': time.time()})
  if '://' in base:
    _copy(model_path, target)
    atomic.write(os.path.join(target, versions.MARKER), record)
    return version
  partial = os.path.join(base, f'{_PARTIAL}{version}-{uuid.uuid4().hex[:8]}')
  try:
    _copy(model_path, partial)
    atomic.write(os.path.join(partial, versions.MARKER), record)
    tf.io.gfile.rename(partial, target)
  finally:
    if tf.io.gfile.exists(partial):
      tf.io.gfile.rmtree(partial)
  return version


class Executor(pusher_executor.Executor):

  def Do(self, input_dict, output_dict, exec_properties) -> None:
    self._log_startup(input_dict, output_dict, exec_properties)
    model_push = artifact_utils.get_single_instance(
        output_dict[standard_component_specs.PUSHED_MODEL_KEY])
    model = artifact_utils.get_single_instance(
        input_dict[standard_component_specs.MODEL_KEY])
    destination = pusher_pb2.PushDestination()
    proto_utils.json_to_proto(
        exec_properties[standard_component_specs.PUSH_DESTINATION_KEY],
        destination)
    base = destination.filesystem.base_directory
    if not self.CheckBlessing(input_dict):
      blessing = artifact_utils.get_single_instance(
          input_dict[standard_component_specs.MODEL_BLESSING_KEY])
      if (not blessing.get_int_custom_property(IS_BASELINE)
          or model.uri in pushed_models(base)):
        self._MarkNotPushed(model_push)
        return
      logging.warning('Pusher: the blessed model %s was never pushed (an '
                      'earlier push failed); pushing it now', model.uri)
    version = push(self.GetModelPath(input_dict), base, model.uri)
    logging.info('Pusher: model %s pushed as %s', model.uri,
                 os.path.join(base, version))
    io_utils.copy_dir(self.GetModelPath(input_dict), model_push.uri)
    self._MarkPushed(model_push, pushed_destination=os.path.join(base, version),
                     pushed_version=version)


class Pusher(pusher_component.Pusher):
  """tfx.components.Pusher with the executor above (filesystem targets)."""

  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)
