"""``ner-pipeline runs``: the past runs of an --output, from ML Metadata,
one line each: when, the data spans, eval F1, blessed or not, and the
version pushed."""

import datetime
import os
from typing import Dict, List

from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.types import artifact_utils

_OUTPUT = (metadata_store_pb2.Event.OUTPUT,
           metadata_store_pb2.Event.DECLARED_OUTPUT)


def value(artifact, name):
  """A custom property of an artifact or execution, or None."""
  prop = getattr(artifact, 'mlmd_artifact', artifact).custom_properties.get(
      name)
  if prop is None:
    return None
  return {'int_value': prop.int_value, 'double_value': prop.double_value,
          'string_value': prop.string_value}[prop.WhichOneof('value')]


def run_record(store, context) -> Dict:
  """One pipeline run: its executions (MLMD protos) and their output
  artifacts (TFX Artifacts), keyed by component (the last part of the
  execution's type name)."""
  executions = store.get_executions_by_context(context.id)
  by_type = {e.type.rsplit('.', 1)[-1]: e for e in executions}
  outputs = {}
  for name, execution in by_type.items():
    events = [e for e in store.get_events_by_execution_ids([execution.id])
              if e.type in _OUTPUT]
    found = store.get_artifacts_by_id([e.artifact_id for e in events])
    types = {t.id: t for t in store.get_artifact_types_by_id(
        list({a.type_id for a in found}))}
    outputs[name] = [artifact_utils.deserialize_artifact(types[a.type_id], a)
                     for a in found]
  return {'context': context, 'executions': by_type, 'outputs': outputs}


def open_store(metadata_path: str) -> metadata.Metadata:
  return metadata.Metadata(metadata.sqlite_metadata_connection_config(
      metadata_path))


def contexts(store) -> List:
  """The store's pipeline runs, oldest first."""
  return sorted(store.get_contexts_by_type('pipeline_run'),
                key=lambda c: c.create_time_since_epoch)


def list_runs(metadata_path: str) -> List[Dict]:
  """Every pipeline run in the store, oldest first."""
  if not os.path.exists(metadata_path):
    return []
  runs = []
  with open_store(metadata_path) as m:
    for context in contexts(m.store):
      record = run_record(m.store, context)
      outputs = record['outputs']
      run = {'run': context.name, 'started': datetime.datetime.fromtimestamp(
          context.create_time_since_epoch / 1000).strftime('%Y-%m-%d %H:%M'),
             'state': run_state(record['executions'].values())}
      spans = sorted({value(a, 'span') for a in outputs.get(
          'ConllExampleGen', []) if a.type_name == 'Examples'} - {None})
      if spans:
        run['spans'] = spans
      for a in outputs.get('NerEvaluator', []):
        if a.type_name == 'ModelBlessing':
          run['f1'], run['blessed'] = value(a, 'f1'), bool(value(a,
                                                                 'blessed'))
      for a in outputs.get('Pusher', []):
        if value(a, 'pushed'):
          run['pushed_version'] = value(a, 'pushed_version')
      runs.append(run)
  return runs


def run_state(executions) -> str:
  states = {e.last_known_state for e in executions}
  e = metadata_store_pb2.Execution
  if states & {e.FAILED}:
    return 'failed'
  if states & {e.RUNNING, e.NEW, e.CANCELED}:
    return 'killed'
  return 'finished'


def format_run(run: Dict) -> str:
  spans = ('spans ' + ','.join(map(str, run['spans']))) if run.get(
      'spans') else 'no spans'
  f1 = f"F1 {100 * run['f1']:.2f}" if run.get('f1') is not None else 'no F1'
  blessed = {True: 'blessed', False: 'not blessed', None: '-'}[
      run.get('blessed')]
  pushed = (f"pushed {run['pushed_version']}" if run.get('pushed_version')
            else 'not pushed')
  return (f"{run['started']}  {run['state']:<8}  {spans:<10}  {f1:<9}  "
          f'{blessed:<11}  {pushed}')
