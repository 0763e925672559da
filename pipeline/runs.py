"""``ner-pipeline runs``: the past runs of an --output, from ML Metadata,
one line each: when, the data spans, eval F1, blessed or not, and the
version pushed."""

import datetime
import os
from typing import Dict, List

from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata

_OUTPUT = (metadata_store_pb2.Event.OUTPUT,
           metadata_store_pb2.Event.DECLARED_OUTPUT)


def _value(artifact, name):
  prop = artifact.custom_properties.get(name)
  if prop is None:
    return None
  return {'int_value': prop.int_value, 'double_value': prop.double_value,
          'string_value': prop.string_value}[prop.WhichOneof('value')]


def list_runs(metadata_path: str) -> List[Dict]:
  """Every pipeline run in the store, oldest first."""
  if not os.path.exists(metadata_path):
    return []
  runs = []
  with metadata.Metadata(metadata.sqlite_metadata_connection_config(
      metadata_path)) as m:
    store = m.store
    for context in sorted(store.get_contexts_by_type('pipeline_run'),
                          key=lambda c: c.create_time_since_epoch):
      executions = store.get_executions_by_context(context.id)
      by_type = {e.type.rsplit('.', 1)[-1]: e for e in executions}
      outputs = {}
      for name, execution in by_type.items():
        events = [e for e in store.get_events_by_execution_ids([execution.id])
                  if e.type in _OUTPUT]
        outputs[name] = store.get_artifacts_by_id(
            [e.artifact_id for e in events])
      run = {'run': context.name, 'started': datetime.datetime.fromtimestamp(
          context.create_time_since_epoch / 1000).strftime('%Y-%m-%d %H:%M'),
             'state': _state(executions)}
      spans = sorted({_value(a, 'span') for a in outputs.get(
          'ConllExampleGen', []) if a.type == 'Examples'} - {None})
      if spans:
        run['spans'] = spans
      for a in outputs.get('NerEvaluator', []):
        if a.type == 'ModelBlessing':
          run['f1'], run['blessed'] = _value(a, 'f1'), bool(_value(a,
                                                                   'blessed'))
      for a in outputs.get('Pusher', []):
        if _value(a, 'pushed'):
          run['pushed_version'] = _value(a, 'pushed_version')
      runs.append(run)
  return runs


def _state(executions) -> str:
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
