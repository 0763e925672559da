"""Compiling for Kubeflow v2 / Vertex AI, and the requests that run it."""

import json

import pytest
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from pipeline import cli

IMAGE = 'europe-docker.pkg.dev/proj/ner/pipeline:1.0'
COMPONENTS = {'ConllExampleGen', 'StatisticsGen', 'schema_importer',
              'ExampleValidator', 'ValidationGate', 'EmbeddingGen',
              'NerTransform', 'NerTrainer', 'NerEvaluator', 'Pusher'}


@pytest.fixture(scope='module')
def compiled(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('kfp') / 'pipeline.json')
  assert cli.main([
      'compile', '--target', 'vertex', '--image', IMAGE,
      '--pipeline-root', 'gs://bucket/root', '--data-root', 'gs://bucket/data',
      '--serving-dir', 'gs://bucket/serving', '--min-f1', '0.8',
      '--output', path]) == 0
  with open(path) as f:
    return path, json.load(f)


def test_spec_passes_the_kfp_pipeline_spec_schema(compiled):
  _, job = compiled
  spec = json_format.ParseDict(job['pipelineSpec'],
                               pipeline_spec_pb2.PipelineSpec())
  assert spec.schema_version == '2.1.0'
  assert COMPONENTS <= set(spec.root.dag.tasks)


def test_every_component_runs_in_the_image(compiled):
  _, job = compiled
  executors = job['pipelineSpec']['deploymentSpec']['executors']
  for name in COMPONENTS - {'schema_importer'}:
    container = executors[f'{name}_executor']['container']
    assert container['image'] == IMAGE
  assert 'components.embedding_gen.Executor' in executors[
      'EmbeddingGen_executor']['container']['args']


def test_custom_artifact_type_on_the_wire(compiled):
  _, job = compiled
  components = job['pipelineSpec']['components']
  out = components['EmbeddingGen']['outputDefinitions']['artifacts']
  assert out['embedding']['artifactType']['instanceSchema'].startswith(
      'title: ner.EmbeddingMatrix')
  for consumer in ('NerTransform', 'NerTrainer'):
    assert 'ner.EmbeddingMatrix' in json.dumps(
        components[consumer]['inputDefinitions'])


def test_runtime_parameters_with_defaults(compiled):
  _, job = compiled
  params = job['pipelineSpec']['root']['inputDefinitions']['parameters']
  assert params == {'data_root': {'parameterType': 'STRING'},
                    'min_f1': {'parameterType': 'NUMBER_DOUBLE'},
                    'max_f1_drop': {'parameterType': 'NUMBER_DOUBLE'}}
  assert job['runtimeConfig'] == {
      'gcsOutputDirectory': 'gs://bucket/root',
      'parameterValues': {'data_root': 'gs://bucket/data', 'min_f1': 0.8,
                          'max_f1_drop': 0.0}}


def _dry_run(capsys, *argv):
  assert cli.main(list(argv)) == 0
  return json.loads(capsys.readouterr().out)


def test_submit_dry_run_request(compiled, capsys):
  path, job = compiled
  request = _dry_run(
      capsys, 'submit', '--compiled', path, '--project', 'proj', '--region',
      'europe-west4', '--service-account', 'ner@proj.iam.gserviceaccount.com',
      '--param', 'min_f1=0.85', '--job-id', 'ner-2026-11-26', '--dry-run')
  assert request['parent'] == 'projects/proj/locations/europe-west4'
  assert request['pipelineJobId'] == 'ner-2026-11-26'
  pipeline_job = request['pipelineJob']
  assert pipeline_job['displayName'] == 'ner-word2vec'
  assert pipeline_job['serviceAccount'] == 'ner@proj.iam.gserviceaccount.com'
  assert pipeline_job['pipelineSpec'] == job['pipelineSpec']
  assert pipeline_job['runtimeConfig'] == {
      'gcsOutputDirectory': 'gs://bucket/root',
      'parameterValues': {'data_root': 'gs://bucket/data', 'min_f1': 0.85,
                          'max_f1_drop': 0.0}}
  assert pipeline_job['labels']['tfx_runner'] == 'kubeflow_v2'


def test_schedule_dry_run_request(compiled, capsys):
  path, _ = compiled
  request = _dry_run(
      capsys, 'schedule', '--compiled', path, '--project', 'proj', '--cron',
      '0 3 * * 1', '--time-zone', 'Europe/Berlin', '--param',
      'data_root=gs://bucket/data2', '--dry-run')
  assert request['parent'] == 'projects/proj/locations/us-central1'
  schedule = request['schedule']
  assert schedule['cron'] == 'TZ=Europe/Berlin 0 3 * * 1'
  assert schedule['displayName'] == 'ner-word2vec-schedule'
  assert schedule['maxConcurrentRunCount'] == '1'
  create = schedule['createPipelineJobRequest']
  assert create['parent'] == request['parent']
  assert create['pipelineJob']['runtimeConfig']['parameterValues'][
      'data_root'] == 'gs://bucket/data2'


@pytest.mark.parametrize('extra,message', [
    (['--param', 'nope=1'], "unknown pipeline parameter 'nope'"),
    (['--param', 'novalue'], 'is not NAME=VALUE'),
    (['--pipeline-root', '/local/root'], 'needs a gs:// pipeline root'),
])
def test_bad_submit_requests_are_refused(compiled, extra, message):
  path, _ = compiled
  with pytest.raises(SystemExit, match=message):
    cli.main(['submit', '--compiled', path, '--project', 'p', '--dry-run',
              *extra])


def test_bad_cron_is_refused(compiled):
  path, _ = compiled
  with pytest.raises(SystemExit, match='must have 5 fields'):
    cli.main(['schedule', '--compiled', path, '--project', 'p', '--cron',
              '0 3 * *', '--dry-run'])
