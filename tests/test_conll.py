import pytest

from models import conll


def parse(text, **kw):
  return list(conll.parse_lines(text.splitlines(), path='f.conll', **kw))


def test_conll2003_four_columns_iob1_become_iob2():
  text = ('-DOCSTART- -X- -X- O\n\n'
          'EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n'
          'call NN I-NP O\n\n'
          'Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n')
  sentences = parse(text)
  assert [s.tokens for s in sentences] == [
      ['EU', 'rejects', 'German', 'call'], ['Peter', 'Blackburn']]
  assert sentences[0].tags == ['B-ORG', 'O', 'B-MISC', 'O']
  assert sentences[1].tags == ['B-PER', 'I-PER']
  assert sentences[0].pos == ['NNP', 'VBZ', 'JJ', 'NN']
  assert sentences[0].chunk == ['I-NP', 'I-VP', 'I-NP', 'I-NP']
  assert sentences[1].line == 8


def test_iob1_b_tag_separates_touching_entities():
  assert conll.to_iob2(['I-LOC', 'I-LOC', 'B-LOC', 'I-PER', 'O', 'I-LOC']) == [
      'B-LOC', 'I-LOC', 'B-LOC', 'B-PER', 'O', 'B-LOC']


def test_bioes_and_bilou_become_iob2():
  assert conll.to_iob2(['S-PER', 'B-ORG', 'I-ORG', 'E-ORG', 'S-ORG', 'O']) == [
      'B-PER', 'B-ORG', 'I-ORG', 'I-ORG', 'B-ORG', 'O']
  assert conll.to_iob2(['U-LOC', 'B-LOC', 'L-LOC']) == ['B-LOC', 'B-LOC',
                                                       'I-LOC']


def test_two_and_three_columns_tabs_and_crlf():
  two = parse('Madrid\tB-LOC\r\nis\tO\r\n')
  assert two[0].tokens == ['Madrid', 'is'] and two[0].pos is None
  three = parse('Melbourne NP B-LOC\n( Fpa O\n')
  assert three[0].pos == ['NP', 'Fpa'] and three[0].chunk is None
  assert three[0].tags == ['B-LOC', 'O']


@pytest.mark.parametrize('text,line,problem', [
    ('a O\nb\n', 2, 'expected at least 2 columns'),
    ('a NN O\nb O\n', 2, 'expected 3 columns'),
    ('a O\n\nb X-PER\n', 3, "invalid NER tag 'X-PER'"),
    ('a O\nb B_PER\n', 2, 'invalid NER tag'),
])
def test_malformed_input_names_file_line_and_problem(text, line, problem):
  with pytest.raises(conll.ConllFormatError) as err:
    parse(text)
  assert err.value.line == line
  assert str(err.value).startswith(f'f.conll:{line}: ')
  assert problem in str(err.value)


def test_bioes_tags_rejected_when_scheme_says_iob():
  with pytest.raises(conll.ConllFormatError, match='not valid in scheme iob2'):
    parse('a S-PER\n', scheme='iob2')


def test_read_file_latin1_and_decode_error(tmp_path):
  path = tmp_path / 'esp.train'
  path.write_bytes('Mar\xeda NP B-PER\nhabla VMI O\n'.encode('latin-1'))
  sentence, = conll.read_file(str(path), encoding='latin-1')
  assert sentence.tokens == ['Mar\xeda', 'habla']
  with pytest.raises(conll.ConllFormatError) as err:
    list(conll.read_file(str(path), encoding='utf-8'))
  assert f'{path}:1: cannot decode as utf-8' in str(err.value)


def test_format_round_trip():
  sentences = parse('A NN I-NP B-PER\nb VB I-VP O\n\nC NN I-NP B-LOC\n')
  again = parse(conll.format_sentences(sentences))
  assert [(s.tokens, s.tags, s.pos, s.chunk) for s in again] == [
      (s.tokens, s.tags, s.pos, s.chunk) for s in sentences]


def test_format_with_predictions_is_conlleval_layout():
  sentences = parse('A NN B-PER\nb VB O\n\nC NN B-LOC\n')
  text = conll.format_sentences(sentences, [['B-PER', 'B-LOC'], ['O']])
  assert text == 'A NN B-PER B-PER\nb VB O B-LOC\n\nC NN B-LOC O\n'
