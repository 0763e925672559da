"""Exports the pushed model of a finished run again with this code's serving
signatures, without training: the taggers are rebuilt from the run's
TrainerConfig and embedding matrix and their weights read from the old
SavedModel's checkpoint. For measuring new signatures on a model trained by
an earlier commit. Prints the new folder.

  python -m benchmarks.reexport --run runs/bench --output runs/bench-v2/1
"""

import argparse
import dataclasses
import json
import os
import sys

import tensorflow as tf
import tensorflow_transform as tft

from models import embedding_files, export, features
from models import model as model_lib
from models.config import TrainerConfig, from_dict
from pipeline.outputs import latest_execution


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__,
                              formatter_class=argparse.RawTextHelpFormatter)
  p.add_argument('--run', required=True, help="a finished run's --output")
  p.add_argument('--output', required=True, help='the new SavedModel folder')
  args = p.parse_args(argv)
  root = os.path.join(args.run, 'pipeline_root')
  trainer = latest_execution(os.path.join(root, 'NerTrainer', 'model'))
  old = os.path.join(trainer, 'Format-Serving')
  config = _trainer_config(args.run)
  matrix = embedding_files.load_matrix(latest_execution(
      os.path.join(root, 'EmbeddingGen', 'embedding')))
  tft_output = tft.TFTransformOutput(latest_execution(
      os.path.join(root, 'NerTransform', 'transform_graph')))
  tags = [t.decode() if isinstance(t, bytes) else t
          for t in tft_output.vocabulary_by_name(features.TAG_VOCAB)]
  chars = tft_output.vocabulary_size_by_name(features.CHAR_VOCAB) + 2
  models = [model_lib.build_model(matrix, len(tags), chars,
                                  dataclasses.replace(config, seed=config.seed
                                                      + i))
            for i in range(config.ensemble)]
  status = tf.train.Checkpoint(models=models).read(
      os.path.join(old, 'variables', 'variables'))
  status.assert_existing_objects_matched().expect_partial()
  export.export(models, tft_output, tags, args.output)
  print(args.output)
  return 0


def _trainer_config(run: str) -> TrainerConfig:
  """The TrainerConfig the run's NerTrainer executed with, from ML Metadata."""
  from tfx.orchestration import metadata  # pylint: disable=g-import-not-at-top
  connection = metadata.sqlite_metadata_connection_config(
      os.path.join(run, 'metadata.sqlite'))
  with metadata.Metadata(connection) as store:
    executions = [e for e in store.store.get_executions()
                  if 'custom_config' in e.custom_properties and
                  'run_fn' in e.custom_properties]
    raw = json.loads(
        executions[-1].custom_properties['custom_config'].string_value)
  # Runs before commit 1c8d19f name two fields differently and hold the
  # retired options.
  if 'embedding_trainable' in raw:
    raw['static_embeddings'] = not raw.pop('embedding_trainable')
  known = {f.name for f in dataclasses.fields(TrainerConfig)}
  return from_dict(TrainerConfig, {k: v for k, v in raw.items()
                                   if k in known})


if __name__ == '__main__':
  sys.exit(main())
