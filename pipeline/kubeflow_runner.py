"""Thin runner: compiles the same DAG for Kubeflow Pipelines v2 / Vertex AI.

The result is a PipelineJob JSON (pipeline spec + runtime config) that
`ner-pipeline submit` sends to Vertex AI, or that the KFP UI / SDK uploads.
"""

import json
from typing import Any, Dict

from tfx import v1 as tfx

from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline, runtime_parameters


def compile_pipeline(config: PipelineConfig, image: str,
                     output_file: str) -> Dict[str, Any]:
  """Writes the compiled pipeline to output_file and returns it as a dict."""
  runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
      config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
          default_image=image, display_name=config.pipeline_name,
          use_pipeline_spec_2_1=True),
      output_filename=output_file)
  defaults = {name: param.default
              for name, param in runtime_parameters(config).items()}
  runner.run(create_pipeline(config, for_orchestrator=True),
             parameter_values=defaults, write_out=True)
  with open(output_file) as f:
    return json.load(f)
