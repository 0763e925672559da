"""Thin runner: the pipeline on the local Beam runner with SQLite metadata."""

import logging

from tfx import v1 as tfx

from pipeline import scratch
from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline


def run(config: PipelineConfig) -> None:
  logging.getLogger().setLevel(logging.INFO)
  with scratch.tempdir():
    tfx.orchestration.LocalDagRunner().run(create_pipeline(config))
