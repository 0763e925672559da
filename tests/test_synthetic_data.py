from models import conll
from pipeline import synthetic_data


def test_demo_files_parse_as_conll2003_iob1(tmp_path):
  paths = synthetic_data.write_demo_data(str(tmp_path), train=50, eval_=10,
                                         test=10, unlabeled=20)
  assert set(paths) == {'train', 'eval', 'test', 'unlabeled'}
  text = open(paths['train']).read()
  assert text.startswith('-DOCSTART- -X- -X- O\n\n')
  assert ' B-' not in text  # IOB1: no touching same-type entities here
  sentences = list(conll.read_file(paths['train']))
  assert len(sentences) == 50
  assert all(len(s.tokens) == len(s.tags) == len(s.pos) == len(s.chunk)
             for s in sentences)
  types = {t[2:] for s in sentences for t in s.tags if t != 'O'}
  assert types == {'PER', 'LOC', 'ORG', 'MISC'}
  assert len(open(paths['unlabeled']).read().splitlines()) == 20


def test_generation_is_deterministic_and_eval_has_unseen_names():
  a = synthetic_data.generate_sentences(30, 'train', seed=1)
  assert a == synthetic_data.generate_sentences(30, 'train', seed=1)
  train_words = {w for s in synthetic_data.generate_sentences(500, 'train')
                 for w, t in s if t != 'O'}
  eval_words = {w for s in synthetic_data.generate_sentences(200, 'eval')
                for w, t in s if t != 'O'}
  assert eval_words - train_words
