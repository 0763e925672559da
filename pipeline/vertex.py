"""Vertex AI Pipelines: the requests that run or schedule a compiled pipeline.

The request objects built here are exactly what is sent (``--dry-run`` prints
them instead), through the Vertex AI v1 API clients.
"""

import json
import re
from typing import Any, Dict, Optional

from google.protobuf import json_format

_CRON_FIELD = re.compile(r'^[0-9*/,\-A-Za-z?LW#]+$')


def load_compiled(path: str) -> Dict[str, Any]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with tf.io.gfile.GFile(path) as f:
    compiled = json.load(f)
  if 'pipelineSpec' not in compiled:
    raise ValueError(f'{path} is not a compiled pipeline (no pipelineSpec); '
                     'make one with `ner-pipeline compile`')
  return compiled


def parse_parameters(pairs) -> Dict[str, Any]:
  """NAME=VALUE pairs; numbers become numbers (thresholds are doubles)."""
  values = {}
  for pair in pairs or []:
    name, sep, value = pair.partition('=')
    if not sep or not name:
      raise ValueError(f'parameter {pair!r} is not NAME=VALUE')
    try:
      values[name] = float(value)
    except ValueError:
      values[name] = value
  return values


def job_request(compiled: Dict[str, Any], project: str, region: str,
                pipeline_root: str = '', service_account: str = '',
                parameter_values: Optional[Dict[str, Any]] = None,
                job_id: str = '', labels: Optional[Dict[str, str]] = None):
  """A CreatePipelineJobRequest for the compiled pipeline."""
  from google.cloud import aiplatform_v1  # pylint: disable=g-import-not-at-top
  known = compiled['pipelineSpec']['root'].get('inputDefinitions', {}).get(
      'parameters', {})
  values = dict(compiled.get('runtimeConfig', {}).get('parameterValues', {}))
  for name, value in (parameter_values or {}).items():
    if name not in known:
      raise ValueError(f'unknown pipeline parameter {name!r}; the pipeline '
                       f'takes {sorted(known)}')
    values[name] = value
  root = pipeline_root or compiled.get('runtimeConfig', {}).get(
      'gcsOutputDirectory', '')
  if not root.startswith('gs://'):
    raise ValueError('Vertex AI needs a gs:// pipeline root (--pipeline-root)')
  job = {
      'display_name': compiled.get('displayName', 'ner-word2vec'),
      'pipeline_spec': compiled['pipelineSpec'],
      'runtime_config': {'gcs_output_directory': root,
                         'parameter_values': values},
      'labels': {**compiled.get('labels', {}), **(labels or {})},
  }
  if service_account:
    job['service_account'] = service_account
  return aiplatform_v1.CreatePipelineJobRequest(
      parent=f'projects/{project}/locations/{region}', pipeline_job=job,
      pipeline_job_id=job_id)


def schedule_request(job, cron: str, display_name: str = '',
                     time_zone: str = '', max_concurrent_runs: int = 1):
  """A CreateScheduleRequest that creates ``job`` on the cron schedule."""
  from google.cloud import aiplatform_v1  # pylint: disable=g-import-not-at-top
  fields = cron.split()
  if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
    raise ValueError(f'cron {cron!r} must have 5 fields, e.g. "0 3 * * 1"')
  return aiplatform_v1.CreateScheduleRequest(
      parent=job.parent,
      schedule={
          'display_name': display_name or
                          f'{job.pipeline_job.display_name}-schedule',
          'cron': f'TZ={time_zone} {cron}' if time_zone else cron,
          'max_concurrent_run_count': max_concurrent_runs,
          'create_pipeline_job_request': job,
      })


def as_dict(request) -> Dict[str, Any]:
  """The request as the JSON body the API receives."""
  return json_format.MessageToDict(type(request).pb(request))


def _endpoint(parent: str) -> Dict[str, str]:
  region = parent.split('/')[3]
  return {'api_endpoint': f'{region}-aiplatform.googleapis.com'}


def send_job(request):
  from google.cloud import aiplatform_v1  # pylint: disable=g-import-not-at-top
  client = aiplatform_v1.PipelineServiceClient(
      client_options=_endpoint(request.parent))
  return client.create_pipeline_job(request=request)


def send_schedule(request):
  from google.cloud import aiplatform_v1  # pylint: disable=g-import-not-at-top
  client = aiplatform_v1.ScheduleServiceClient(
      client_options=_endpoint(request.parent))
  return client.create_schedule(request=request)
