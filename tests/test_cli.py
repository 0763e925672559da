import os

import pytest

from models import conll
from models.config import TrainerConfig, from_json, to_json
from pipeline import cli


def _args(*argv):
  return cli._parser().parse_args(['run', *argv])


def test_help_explains_every_option(capsys):
  with pytest.raises(SystemExit) as exit_:
    cli.main(['run', '--help'])
  assert exit_.value.code == 0
  text = capsys.readouterr().out
  for option in ('--train', '--eval', '--test', '--unlabeled',
                 '--pretrained-vectors', '--vectors-format', '--encoding',
                 '--tag-scheme', '--static-embeddings', '--min-f1',
                 '--max-f1-drop', '--output', '--beam-arg', '--embedding'):
    assert option in text


def test_without_data_the_demo_sample_is_generated(tmp_path):
  config = cli.config_from_args(_args('--output', str(tmp_path)))
  assert config.output_dir == str(tmp_path)
  assert config.train.startswith(str(tmp_path / 'data'))
  assert len(list(conll.read_file(config.train))) > 100
  assert config.embedding.source == 'word2vec'
  assert config.embedding.unlabeled_paths == [str(tmp_path / 'data' /
                                                  'unlabeled.txt')]


def test_options_reach_the_config(tmp_path):
  train, vectors = tmp_path / 'a.conll', tmp_path / 'v.txt'
  train.write_text('x O\n')
  vectors.write_text('1 2\nx 0.5 0.5\n')
  config = cli.config_from_args(_args(
      '--train', str(train), '--eval', str(train), '--encoding', 'latin-1',
      '--tag-scheme', 'bioes', '--pretrained-vectors', str(vectors),
      '--vectors-format', 'glove', '--static-embeddings', '--epochs', '3',
      '--mention-replace', '0.2', '--no-crf', '--w2v-dim', '50', '--seed', '7',
      '--min-f1', '0.8', '--max-f1-drop', '0.02',
      '--output', str(tmp_path / 'o'), '--beam-arg=--direct_num_workers=2',
      '--beam-arg=--direct_running_mode=multi_processing'))
  assert config.embedding.source == 'pretrained'
  assert config.embedding.vector_files() == [(str(vectors), 'glove')]
  assert config.trainer.static_embeddings is True
  assert config.trainer.epochs == 3
  assert config.trainer.mention_replace == 0.2
  assert config.trainer.crf is False and config.embedding.dim == 50
  assert config.trainer.seed == config.embedding.seed == 7
  assert (config.gate.min_f1, config.gate.max_f1_drop) == (0.8, 0.02)
  assert (config.encoding, config.tag_scheme) == ('latin-1', 'bioes')
  assert config.beam_args == ('--direct_num_workers=2',
                              '--direct_running_mode=multi_processing')
  assert config.serving_dir == os.path.join(str(tmp_path / 'o'),
                                            'serving_model')
  # Stacked: Word2Vec beside two vector files of different formats.
  config = cli.config_from_args(_args(
      '--train', str(train), '--eval', str(train), '--embedding', 'stacked',
      '--pretrained-vectors', str(vectors), str(train), '--vectors-format',
      'glove', 'word2vec-text', '--output', str(tmp_path / 'o')))
  assert config.embedding.source == 'stacked'
  assert config.embedding.vector_files() == [
      (str(vectors), 'glove'), (str(train), 'word2vec-text')]


def test_infer_file_is_read_as_conll_or_as_raw_text(tmp_path):
  conll_file, text = tmp_path / 'a.conll', tmp_path / 'notes.txt'
  conll_file.write_text('-DOCSTART- O\n\nPeter B-PER\nwent O\n')
  text.write_text('Peter went to Paris.\nSo did Mary.\n')
  for path, is_text in ((conll_file, False), (text, True)):
    config = cli.config_from_args(_args('--train', str(conll_file), '--eval',
                                        str(conll_file), '--infer', str(path),
                                        '--output', str(tmp_path / 'o')))
    assert (config.infer, config.infer_text) == (str(path), is_text)
  with pytest.raises(SystemExit, match='no such file'):
    cli.config_from_args(_args('--infer', str(tmp_path / 'absent')))


def test_missing_files_and_half_given_data_are_refused(tmp_path):
  with pytest.raises(SystemExit, match='no such file'):
    cli.config_from_args(_args('--train', str(tmp_path / 'x'), '--eval',
                               str(tmp_path / 'x')))
  with pytest.raises(SystemExit, match='both --train and --eval'):
    cli.config_from_args(_args('--train', str(tmp_path / 'x')))


def test_pretrained_vectors_alone_say_that_unlabeled_text_is_not_read(
    tmp_path, capsys):
  bad, vectors, text = (tmp_path / 'bad.conll', tmp_path / 'v.txt',
                        tmp_path / 'text.txt')
  bad.write_text('x O\ny\n')  # stops the run at its second line
  vectors.write_text('x 0.5 0.5\n')
  text.write_text('x y\n')
  common = ['run', '--train', str(bad), '--eval', str(bad),
            '--pretrained-vectors', str(vectors), '--vectors-format', 'glove']
  assert cli.main([*common, '--unlabeled', str(text), '--output',
                   str(tmp_path / 'a')]) == 1
  assert '--unlabeled is not read unless --embedding stacked' in (
      capsys.readouterr().out)
  assert cli.main([*common, '--output', str(tmp_path / 'b')]) == 1
  assert '--unlabeled' not in capsys.readouterr().out
  assert cli.main([*common, '--unlabeled', str(text), '--embedding',
                   'stacked', '--output', str(tmp_path / 'c')]) == 1
  assert '--unlabeled' not in capsys.readouterr().out


def test_the_epoch_cap_follows_the_ensemble_unless_given(tmp_path):
  out = ('--output', str(tmp_path))
  ensemble = cli.config_from_args(_args(*out)).trainer
  assert (ensemble.ensemble, ensemble.epochs) == (3, 10)
  single = cli.config_from_args(_args(*out, '--ensemble', '1')).trainer
  assert single.epochs == 17
  given = cli.config_from_args(_args(*out, '--ensemble', '1', '--epochs',
                                     '5')).trainer
  assert given.epochs == 5
  # What a component receives (JSON in ML Metadata) is the cap it used.
  assert from_json(TrainerConfig, to_json(ensemble)).epochs == 10
  with pytest.raises(ValueError, match='epochs'):
    TrainerConfig(epochs=-1)


def test_public_vectors_alone_train_one_tagger_unless_told(tmp_path):
  train, vectors = tmp_path / 'a.conll', tmp_path / 'v.txt'
  train.write_text('x O\n')
  vectors.write_text('1 2\nx 0.5 0.5\n')
  base = ('--train', str(train), '--eval', str(train), '--output',
          str(tmp_path / 'o'), '--pretrained-vectors', str(vectors))
  alone = cli.config_from_args(_args(*base)).trainer
  assert (alone.ensemble, alone.epochs) == (1, 17)
  told = cli.config_from_args(_args(*base, '--ensemble', '3')).trainer
  assert (told.ensemble, told.epochs) == (3, 10)
  stacked = cli.config_from_args(_args(*base, '--embedding',
                                       'stacked')).trainer
  assert stacked.ensemble == 3
