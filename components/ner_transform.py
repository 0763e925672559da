"""NerTransform: the stock Transform plus an input channel for the embeddings.

The vocabulary that Transform applies belongs to EmbeddingGen, so the
embedding artifact is a real input (lineage shows which vectors a model used)
and the executor hands its URI to the preprocessing_fn via custom_config.
"""

from typing import Optional

from tfx import types
from tfx.components.transform import executor as transform_executor
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.proto import transform_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter

from components import artifacts, code_version


class NerTransformSpec(standard_component_specs.TransformSpec):
  PARAMETERS = {**standard_component_specs.TransformSpec.PARAMETERS,
                **code_version.PARAMETER}
  INPUTS = {
      **standard_component_specs.TransformSpec.INPUTS,
      artifacts.EMBEDDING_KEY: ChannelParameter(
          type=artifacts.EmbeddingMatrix),
  }


class Executor(transform_executor.Executor):

  def Do(self, input_dict, output_dict, exec_properties):
    super().Do(input_dict, output_dict,
               artifacts.with_embedding_uri(input_dict, exec_properties))


class NerTransform(base_beam_component.BaseBeamComponent):
  """Transform whose preprocessing_fn finds the embedding URI in
  ``custom_config`` (``models.embedding_files.URI_KEY``)."""

  SPEC_CLASS = NerTransformSpec
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

  def __init__(self, examples: types.BaseChannel, schema: types.BaseChannel,
               embedding: types.BaseChannel, preprocessing_fn: str,
               splits_config: Optional[transform_pb2.SplitsConfig] = None):
    super().__init__(spec=NerTransformSpec(
        examples=examples, schema=schema, embedding=embedding,
        preprocessing_fn=preprocessing_fn,
        custom_config='{}',
        splits_config=splits_config,
        force_tf_compat_v1=0,
        # StatisticsGen already describes the raw data; skipping TFT's own
        # pre/post statistics saves a full pass on a small machine.
        disable_statistics=1,
        code_version=code_version.current(),
        transform_graph=types.Channel(type=standard_artifacts.TransformGraph),
        transformed_examples=types.Channel(type=standard_artifacts.Examples)))
