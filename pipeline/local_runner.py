"""Thin runner: the pipeline on the local Beam runner with SQLite metadata."""

import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from typing import Iterator

from tfx import v1 as tfx

from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline


@contextlib.contextmanager
def scratch_tempdir() -> Iterator[str]:
  """Points temporary files of the run, its Beam workers' too, at one folder
  that is removed when the run ends, failed or not.

  Every Beam-based TFX executor builds a ~50 MB source package of TFX in a
  fresh temporary folder for remote Beam workers (even on the DirectRunner)
  and never removes it: without this, each run left ~150 MB in /tmp.
  SIGTERM (``kill``, a scheduler's timeout) ends the run through the same
  clean-up as an error or Ctrl-C.
  """
  scratch = tempfile.mkdtemp(prefix='ner-pipeline-')
  saved_tempdir, saved_env = tempfile.tempdir, os.environ.get('TMPDIR')
  tempfile.tempdir = os.environ['TMPDIR'] = scratch
  main = threading.current_thread() is threading.main_thread()
  if main:
    saved_handler = signal.signal(
        signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
  try:
    yield scratch
  finally:
    if main:
      signal.signal(signal.SIGTERM, saved_handler)
    tempfile.tempdir = saved_tempdir
    if saved_env is None:
      del os.environ['TMPDIR']
    else:
      os.environ['TMPDIR'] = saved_env
    shutil.rmtree(scratch, ignore_errors=True)


def run(config: PipelineConfig) -> None:
  logging.getLogger().setLevel(logging.INFO)
  with scratch_tempdir():
    tfx.orchestration.LocalDagRunner().run(create_pipeline(config))
