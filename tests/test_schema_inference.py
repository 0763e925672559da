"""ner-pipeline schema: SchemaGen on a training file with entity types of
its own, the curated constraints kept; a run then validates against it."""

import pytest

from models import conll
from pipeline import cli, data_check, scratch
from pipeline.config import default_schema_dir

TRAIN = ('Apple B-ORG\nsold O\nthe O\niPhone B-PRODUCT\n15 I-PRODUCT\n'
         'in O\nMay B-DATE\n.\tO\n\n' * 3)


def test_schema_command_writes_the_types_of_the_data(tmp_path, capsys):
  train = tmp_path / 'train.conll'
  train.write_text(TRAIN)
  out = tmp_path / 'schema'
  assert cli.main(['schema', '--train', str(train), '--output', str(out)]) == 0
  assert f'wrote {out}/schema.pbtxt' in capsys.readouterr().out
  schema = data_check.load_schema(str(out))
  # Every type with both prefixes, whichever the file showed.
  assert data_check.schema_tags(schema) == [
      'O', 'B-DATE', 'I-DATE', 'B-ORG', 'I-ORG', 'B-PRODUCT', 'I-PRODUCT']
  tags = next(f for f in schema.feature if f.name == 'tags')
  assert tags.distribution_constraints.min_domain_mass == 1.0
  assert schema.dataset_constraints.min_examples_count == 1
  assert (out / 'schema.pbtxt').read_text().startswith(
      '# Written by "ner-pipeline schema"')
  # The file validates against it, and not against the curated schema.
  counts = data_check.check_files({'train': str(train)}, 'utf-8', 'auto',
                                  str(out), 250)
  assert counts['train']['sentences'] == 3
  with pytest.raises(conll.ConllFormatError,
                     match="train.conll:4: entity type 'PRODUCT'"):
    data_check.check_files({'train': str(train)}, 'utf-8', 'auto',
                           default_schema_dir(), 250)


def test_a_second_run_into_the_same_output_is_refused(tmp_path, capsys):
  train = tmp_path / 'train.conll'
  train.write_text('Peter B-PER\n')
  out = tmp_path / 'out'
  with scratch.output_lock(str(out)):
    code = cli.main(['run', '--train', str(train), '--eval', str(train),
                     '--output', str(out)])
  assert code == 1
  err = capsys.readouterr().err
  assert f'{out} is in use by another run (pid ' in err
  assert not (out / 'metadata.sqlite').exists()


def test_infer_schema_is_kept_for_later_runs_into_the_same_output(tmp_path):
  train = tmp_path / 'train.conll'
  train.write_text(TRAIN)
  out = tmp_path / 'out'
  argv = ['run', '--train', str(train), '--eval', str(train), '--output',
          str(out)]
  args = cli._parser().parse_args(argv + ['--infer-schema'])
  config = cli.config_from_args(args)
  counts = cli._check_data(args, config)
  assert config.schema_dir == str(out / 'schema')
  assert counts['eval']['tokens'] == 24
  # A later run without the flag validates against the kept schema.
  later = cli.config_from_args(cli._parser().parse_args(argv))
  assert later.schema_dir == str(out / 'schema')
  assert 'B-PRODUCT' in data_check.schema_tags(
      data_check.load_schema(later.schema_dir))
