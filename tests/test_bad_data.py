"""Bad data files end before any component runs, in one line that names the
file and line, with exit status 1 and nothing pushed; the forms of good
files that used to break (BOM, byte 0x85, CR line ends, long sentences) are
read right."""

import os

import pytest

from models import conll
from pipeline import cli

GOOD = 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nPeter NNP B-NP B-PER\n\n'


def _run(tmp_path, train: bytes, *extra):
  path = tmp_path / 'train.conll'
  if train is not None:
    path.write_bytes(train)
  eval_ = tmp_path / 'eval.conll'
  eval_.write_text(GOOD)
  return cli.main(['run', '--train', str(path), '--eval', str(eval_),
                   '--output', str(tmp_path / 'out'), *extra])


CASES = [
    ('column count', GOOD.encode() + b'x NN O\n', 'train.conll:5: expected 4 '
     'columns like the lines before, found 3'),
    ('tag form', GOOD.encode() + b'x NN B-NP PER-B\n',
     "train.conll:5: invalid NER tag 'PER-B'"),
    ('type outside the schema',
     GOOD.encode() + b'\nHer PRP B-NP O\niPhone NN I-NP B-PRODUCT\n',
     "train.conll:7: entity type 'PRODUCT' is not in the schema, which has "
     'LOC, MISC, ORG, PER; to train on the types of your data, run '
     '"ner-pipeline schema'),
    ('invalid bytes', GOOD.encode() + b'caf\xe9 NN B-NP O\n',
     'train.conll:5: cannot decode as utf-8 (byte 0xe9); pass the right '
     'encoding with --encoding'),
    ('empty file', b'', 'train.conll: holds no sentence'),
    ('blank lines only', b'\n\n-DOCSTART- -X- -X- O\n\n',
     'train.conll: holds no sentence'),
    ('zero-width token', GOOD.encode() + '\u200b NN B-NP O\n'.encode(),
     "train.conll:5: the token '\\u200b' holds only control or zero-width "
     'characters'),
    ('control character token', GOOD.encode() + b'\x07 NN B-NP O\n',
     "train.conll:5: the token '\\x07' holds only control"),
]


@pytest.mark.parametrize('name,data,message', CASES, ids=[c[0] for c in CASES])
def test_bad_file_ends_in_one_line_and_nothing_is_pushed(tmp_path, capsys,
                                                          name, data,
                                                          message):
  assert _run(tmp_path, data) == 1
  err = capsys.readouterr().err
  first = err.splitlines()[0]
  assert first.startswith('ner-pipeline run: ' + str(tmp_path)), err
  assert message in first, err
  assert 'Traceback' not in err
  assert not os.path.exists(tmp_path / 'out' / 'serving_model')
  assert not os.path.exists(tmp_path / 'out' / 'metadata.sqlite')


def test_directory_as_train_file(tmp_path, capsys):
  (tmp_path / 'train.conll').mkdir()
  assert _run(tmp_path, None) == 1
  err = capsys.readouterr().err
  assert 'train.conll: is a directory; give a file' in err.splitlines()[0]
  assert 'Traceback' not in err


def test_verbose_shows_the_traceback(tmp_path):
  with pytest.raises(conll.ConllFormatError, match='invalid NER tag'):
    _run(tmp_path, GOOD.encode() + b'x NN B-NP PER-B\n', '--verbose')


def test_bom_is_stripped_and_lines_end_only_at_newlines(tmp_path):
  path = tmp_path / 'a.conll'
  # A BOM, CR and CRLF line ends, and byte 0x85 (U+0085 in Latin-1, which
  # str.splitlines() would take for a line end) inside a token.
  path.write_bytes(b'\xef\xbb\xbf-DOCSTART- O\r\n\r\nPeter B-PER\rwent O\r\n'
                   b'\nna\xc2\x85ve O\n')
  sentences = list(conll.read_file(str(path)))
  assert sentences[0].tokens == ['Peter', 'went']
  assert sentences[1].tokens == ['na\x85ve'] and sentences[1].line == 6
  path.write_bytes(b'Peter B-PER\nna\x85ve O\n')
  assert next(conll.read_file(str(path), 'latin-1')).tokens == [
      'Peter', 'na\x85ve']
  # Column separators are spaces and tabs only: a no-break space stays in
  # its token.
  path.write_bytes('New\u00a0York\tB-LOC\n'.encode())
  assert next(conll.read_file(str(path))).tokens == ['New\u00a0York']


def test_long_sentence_is_cut_outside_entities_with_a_warning(tmp_path,
                                                              capsys):
  tokens = [f'w{i}' for i in range(12)]
  tags = ['O'] * 12
  tags[3:6] = ['B-PER', 'I-PER', 'I-PER']  # the cut at 5 moves back to 3
  sentence = conll.Sentence(tokens=tokens, tags=tags, line=10)
  parts = conll.split_long(sentence, 5)
  assert [p.tokens for p in parts] == [tokens[:3], tokens[3:8], tokens[8:]]
  assert [p.line for p in parts] == [10, 13, 18]
  assert parts[1].tags[:3] == ['B-PER', 'I-PER', 'I-PER']
  # An entity longer than a part is cut; its second half opens with B-.
  long_entity = conll.Sentence(tokens=tokens[:8],
                               tags=['B-ORG'] + ['I-ORG'] * 7)
  parts = conll.split_long(long_entity, 5)
  assert [p.tags[0] for p in parts] == ['B-ORG', 'B-ORG']
  assert conll.split_long(sentence, 12) == [sentence]
  # The run warns, and counts the cut sentences per split.
  from pipeline import data_check  # pylint: disable=g-import-not-at-top
  path = tmp_path / 'long.conll'
  path.write_text('\n'.join(f'{t} {g}' for t, g in zip(tokens, tags)) + '\n')
  counts = data_check.check_file(str(path), 'utf-8', 'auto', None, 5)
  assert counts == {'sentences': 1, 'tokens': 12, 'sentences_cut': 1}
