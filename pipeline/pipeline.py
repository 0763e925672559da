"""The one function that builds the DAG; runners only decide where it runs."""

import os
from typing import Any, Dict, List, Optional, Tuple

from tfx import v1 as tfx

from components.conll_example_gen import (ConllExampleGen, for_one_file,
                                          input_config)
from components.embedding_gen import EmbeddingGen
from components.ner_evaluator import NerEvaluator
from components.ner_trainer import NerTrainer
from components.ner_transform import NerTransform
from components.pusher import Pusher
from components.validation_gate import ValidationGate
from pipeline.config import PipelineConfig, default_schema_dir

PREPROCESSING_FN = 'models.preprocessing.preprocessing_fn'
RUN_FN = 'models.trainer.run_fn'


def split_patterns(config: PipelineConfig) -> Tuple[str, Dict[str, str]]:
  """input_base and per-split patterns relative to it.

  With ``data_root`` the config holds the patterns already; otherwise they
  come from file paths (local or gs://) under their longest common folder.
  """
  files = {'train': config.train, 'eval': config.eval}
  if config.test:
    files['test'] = config.test
  if config.data_root:
    return config.data_root, files
  files = {k: v if '://' in v else os.path.abspath(v)
           for k, v in files.items()}
  folders = [p.rsplit('/', 1)[0].split('/') for p in files.values()]
  common = []
  for parts in zip(*folders):
    if len(set(parts)) != 1:
      break
    common.append(parts[0])
  base = '/'.join(common) or '/'
  return base, {k: p[len(base):].lstrip('/') for k, p in files.items()}


def runtime_parameters(config: PipelineConfig) -> Dict[str, Any]:
  """Values an orchestrator (Kubeflow, Vertex) may set per run, with the
  config's values as defaults."""
  base, _ = split_patterns(config)
  param = tfx.dsl.experimental.RuntimeParameter
  return {
      'data_root': param(name='data_root', ptype=str, default=base),
      'min_f1': param(name='min_f1', ptype=float, default=config.gate.min_f1),
      'max_f1_drop': param(name='max_f1_drop', ptype=float,
                           default=config.gate.max_f1_drop),
  }


def create_components(config: PipelineConfig,
                      params: Optional[Dict[str, Any]] = None) -> List:
  """All components, wired. ``params`` (see runtime_parameters) replaces the
  data root and the gate thresholds by orchestrator parameters."""
  base, patterns = split_patterns(config)
  params = params or {}
  example_gen = ConllExampleGen(
      input_base=params.get('data_root', base),
      input_config=input_config(patterns),
      encoding=config.encoding, tag_scheme=config.tag_scheme,
      span_window=config.span_window,
      max_sentence_tokens=config.max_sentence_tokens)
  statistics_gen = tfx.components.StatisticsGen(
      examples=example_gen.outputs['examples'])
  schema_importer = tfx.dsl.Importer(
      source_uri=config.schema_dir or default_schema_dir(),
      artifact_type=tfx.types.standard_artifacts.Schema).with_id(
          'schema_importer')
  example_validator = tfx.components.ExampleValidator(
      statistics=statistics_gen.outputs['statistics'],
      schema=schema_importer.outputs['result'])
  validation_gate = ValidationGate(
      anomalies=example_validator.outputs['anomalies'],
      statistics=statistics_gen.outputs['statistics'])

  embedding_gen = EmbeddingGen(examples=example_gen.outputs['examples'],
                               config=config.embedding)
  embedding_gen.add_upstream_node(validation_gate)
  transform = NerTransform(
      examples=example_gen.outputs['examples'],
      schema=schema_importer.outputs['result'],
      embedding=embedding_gen.outputs['embedding'],
      preprocessing_fn=PREPROCESSING_FN,
      splits_config=tfx.proto.SplitsConfig(analyze=['train'],
                                           transform=['train', 'eval']))
  transform.add_upstream_node(validation_gate)
  trainer = NerTrainer(
      examples=transform.outputs['transformed_examples'],
      transform_graph=transform.outputs['transform_graph'],
      embedding=embedding_gen.outputs['embedding'], run_fn=RUN_FN,
      config=config.trainer)

  model_resolver = tfx.dsl.Resolver(
      strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy,
      model=tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
      model_blessing=tfx.dsl.Channel(
          type=tfx.types.standard_artifacts.ModelBlessing)).with_id(
              'latest_blessed_model_resolver')
  evaluator = NerEvaluator(
      examples=example_gen.outputs['examples'],
      model=trainer.outputs['model'],
      baseline_model=model_resolver.outputs['model'],
      baseline_blessing=model_resolver.outputs['model_blessing'],
      embedding=embedding_gen.outputs['embedding'],
      min_f1=params.get('min_f1', config.gate.min_f1),
      max_f1_drop=params.get('max_f1_drop', config.gate.max_f1_drop),
      drift_bounds=config.gate)
  inference = bulk_inference(config, trainer, evaluator)
  pusher = Pusher(
      model=trainer.outputs['model'],
      model_blessing=evaluator.outputs['blessing'],
      push_destination=tfx.proto.PushDestination(
          filesystem=tfx.proto.PushDestination.Filesystem(
              base_directory=config.serving_dir)))
  return [example_gen, statistics_gen, schema_importer, example_validator,
          validation_gate, embedding_gen, transform, trainer, model_resolver,
          evaluator, pusher, *inference]


# BulkInferrer's output columns: the tag_examples output, then the feature
# name it gets in the output examples.
INFERENCE_COLUMNS = {'tokens': 'inferred_tokens', 'tags': 'inferred_tags',
                     'scores': 'inferred_scores'}


def bulk_inference(config: PipelineConfig, trainer, evaluator) -> List:
  """With ``config.infer``: an ExampleGen for that file and a BulkInferrer
  that tags it through ``tag_examples`` with the model, once blessed; its
  output examples hold the input's features plus INFERENCE_COLUMNS."""
  if not config.infer:
    return []
  infer_gen = for_one_file(
      config.infer, 'infer', encoding=config.encoding,
      tag_scheme=config.tag_scheme,
      text_lines=config.infer_text).with_id('InferExampleGen')
  columns = [tfx.proto.PredictOutputCol(output_key=key, output_column=column)
             for key, column in INFERENCE_COLUMNS.items()]
  inferrer = tfx.components.BulkInferrer(
      examples=infer_gen.outputs['examples'], model=trainer.outputs['model'],
      model_blessing=evaluator.outputs['blessing'],
      data_spec=tfx.proto.DataSpec(),
      model_spec=tfx.proto.ModelSpec(model_signature_name=['tag_examples']),
      output_example_spec=tfx.proto.OutputExampleSpec(output_columns_spec=[
          tfx.proto.OutputColumnsSpec(predict_output=tfx.proto.PredictOutput(
              output_columns=columns))]))
  return [infer_gen, inferrer]


def create_pipeline(config: PipelineConfig,
                    for_orchestrator: bool = False) -> tfx.dsl.Pipeline:
  """The pipeline; locally with a SQLite metadata store, or, for Kubeflow /
  Vertex (which bring their own metadata), with runtime parameters."""
  return tfx.dsl.Pipeline(
      pipeline_name=config.pipeline_name,
      pipeline_root=config.pipeline_root,
      components=create_components(
          config, runtime_parameters(config) if for_orchestrator else None),
      enable_cache=config.enable_cache,
      metadata_connection_config=None if for_orchestrator else (
          tfx.orchestration.metadata.sqlite_metadata_connection_config(
              config.metadata_path)),
      beam_pipeline_args=list(config.beam_args))
