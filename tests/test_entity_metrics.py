import pytest

from models import entity_metrics as em


def test_entities_with_conlleval_chunk_rules():
  assert em.entities(['B-PER', 'I-PER', 'O', 'I-LOC', 'B-LOC', 'I-ORG']) == {
      ('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5), ('ORG', 5, 6)}


def test_exact_span_and_type_required():
  gold = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG', 'O']]
  pred = [['B-PER', 'O', 'O', 'B-LOC'],     # PER span wrong, LOC right
          ['B-MISC', 'O']]                  # wrong type
  r = em.score(gold, pred)
  assert (r['correct'], r['predicted'], r['gold']) == (1, 3, 3)
  assert r['precision'] == pytest.approx(1 / 3)
  assert r['recall'] == pytest.approx(1 / 3)
  assert r['f1'] == pytest.approx(1 / 3)
  assert r['per_type']['LOC']['f1'] == 1.0
  assert r['per_type']['PER']['f1'] == 0.0
  assert r['per_type']['MISC']['predicted'] == 1
  assert r['token_accuracy'] == pytest.approx(4 / 6)


def test_only_scores_the_entities_it_accepts():
  gold = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG', 'O']]
  pred = [['B-PER', 'O', 'O', 'B-LOC'], ['B-MISC', 'O']]
  # Entities that touch token 0 of their sentence: gold PER 0-2 and ORG 0-1,
  # predicted PER 0-1 and MISC 0-1; none of them is right.
  r = em.score(gold, pred, only=lambda n, e: e[1] == 0)
  assert (r['correct'], r['predicted'], r['gold']) == (0, 2, 2)
  r = em.score(gold, pred, only=lambda n, e: e[1] > 0)  # the LOC alone
  assert (r['correct'], r['predicted'], r['gold'], r['f1']) == (1, 1, 1, 1.0)
  r = em.score(gold, pred, only=lambda n, e: n == 1)  # sentence 1 alone
  assert (r['correct'], r['predicted'], r['gold']) == (0, 1, 1)


def test_iob1_gold_equals_its_iob2_form():
  gold_iob1 = [['I-ORG', 'I-ORG', 'O', 'I-LOC', 'B-LOC']]
  pred_iob2 = [['B-ORG', 'I-ORG', 'O', 'B-LOC', 'B-LOC']]
  assert em.score(gold_iob1, pred_iob2)['f1'] == 1.0


def test_perfect_and_empty():
  assert em.score([['B-PER']], [['B-PER']])['f1'] == 1.0
  r = em.score([['O']], [['O']])
  assert r['f1'] == 0.0 and r['token_accuracy'] == 1.0


def test_length_mismatch_is_an_error():
  with pytest.raises(ValueError, match='sentence 0'):
    em.score([['O', 'O']], [['O']])


def test_report_mentions_every_type():
  report = em.format_report(em.score([['B-PER', 'B-LOC']],
                                     [['B-PER', 'O']]))
  assert 'FB1:  66.67' in report and 'PER' in report and 'LOC' in report
