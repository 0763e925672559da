"""NerTrainer: the stock Trainer plus an input channel for the embeddings.

Same pattern as NerTransform: the executor adds the embedding artifact's URI
to the custom_config the run_fn receives, so the model is initialised from
exactly the matrix whose vocabulary the Transform graph applies.
"""


from tfx import types
from tfx.components.trainer import executor as trainer_executor
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import trainer_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter

from components import artifacts, code_version
from models.config import TrainerConfig, to_json


class NerTrainerSpec(standard_component_specs.TrainerSpec):
  PARAMETERS = {**standard_component_specs.TrainerSpec.PARAMETERS,
                **code_version.PARAMETER}
  INPUTS = {
      **standard_component_specs.TrainerSpec.INPUTS,
      artifacts.EMBEDDING_KEY: ChannelParameter(
          type=artifacts.EmbeddingMatrix),
  }


class Executor(trainer_executor.GenericExecutor):

  def Do(self, input_dict, output_dict, exec_properties):
    super().Do(input_dict, output_dict,
               artifacts.with_embedding_uri(input_dict, exec_properties))


class NerTrainer(base_component.BaseComponent):
  """Trainer whose run_fn gets the ``TrainerConfig`` fields and the embedding
  URI (``models.embedding_files.URI_KEY``) in ``custom_config``."""

  SPEC_CLASS = NerTrainerSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

  def __init__(self, examples: types.BaseChannel,
               transform_graph: types.BaseChannel,
               embedding: types.BaseChannel, run_fn: str,
               config: TrainerConfig = TrainerConfig()):
    super().__init__(spec=NerTrainerSpec(
        examples=examples, transform_graph=transform_graph,
        embedding=embedding, run_fn=run_fn,
        train_args=trainer_pb2.TrainArgs(splits=['train']),
        eval_args=trainer_pb2.EvalArgs(splits=['eval']),
        custom_config=to_json(config), code_version=code_version.current(),
        model=types.Channel(type=standard_artifacts.Model),
        model_run=types.Channel(type=standard_artifacts.ModelRun)))
