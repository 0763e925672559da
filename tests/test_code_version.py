"""--cache never reuses outputs of other code: every component that runs
project code carries the code's fingerprint among its properties."""

import shutil

from components import code_version
from pipeline import pipeline
from pipeline.config import PipelineConfig

ROOT = code_version.os.path.dirname(code_version.os.path.dirname(
    code_version.__file__))


def test_fingerprint_follows_the_code(tmp_path):
  for package in code_version.PACKAGES:
    shutil.copytree(f'{ROOT}/{package}', tmp_path / package,
                    ignore=shutil.ignore_patterns('__pycache__'))
  before = code_version.fingerprint(str(tmp_path))
  assert before == code_version.current()
  (tmp_path / 'notes.txt').write_text('not code')
  assert code_version.fingerprint(str(tmp_path)) == before
  with open(tmp_path / 'models' / 'crf.py', 'a') as f:
    f.write('\n# a change\n')
  assert code_version.fingerprint(str(tmp_path)) != before


def test_every_component_running_project_code_carries_it(tmp_path):
  config = PipelineConfig(output_dir=str(tmp_path), train='/d/train.conll',
                          eval='/d/eval.conll')
  components = {c.id: c for c in pipeline.create_components(config)}
  for name in ('EmbeddingGen', 'NerTransform', 'NerTrainer', 'NerEvaluator'):
    assert components[name].exec_properties[code_version.KEY] == (
        code_version.current()), name
  assert code_version.current() in components[
      'ConllExampleGen'].exec_properties['custom_config']
