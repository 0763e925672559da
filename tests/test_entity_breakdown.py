"""The confusion matrix of entity types and F1 by kind of word."""

from models import entity_breakdown, entity_metrics

GOLD = [['B-PER', 'I-PER', 'O', 'B-LOC'],
        ['B-ORG', 'I-ORG', 'O', 'O'],
        ['O', 'O', 'O', 'O']]
PRED = [['B-PER', 'I-PER', 'O', 'B-ORG'],  # right span, wrong type
        ['B-ORG', 'O', 'O', 'O'],  # a boundary error: missed and spurious
        ['O', 'B-MISC', 'O', 'O']]  # spurious


def test_confusion_pairs_entities_by_span():
  assert entity_breakdown.confusion(GOLD, PRED) == {
      'LOC': {'ORG': 1}, 'ORG': {'missed': 1}, 'PER': {'PER': 1},
      'spurious': {'MISC': 1, 'ORG': 1}}


def test_confusion_diagonal_is_conllevals_correct_entities():
  matrix = entity_breakdown.confusion(GOLD, PRED)
  scores = entity_metrics.score(GOLD, PRED)
  for etype, row in matrix.items():
    if etype != 'spurious':
      assert row.get(etype, 0) == scores['per_type'][etype]['correct']
      assert sum(row.values()) == scores['per_type'][etype]['gold']
  predicted = {}
  for row in matrix.values():
    for col, n in row.items():
      predicted[col] = predicted.get(col, 0) + n
  predicted.pop('missed')
  assert predicted == {t: v['predicted'] for t, v in
                       scores['per_type'].items() if v['predicted']}


def test_word_kinds_follow_training_words_and_the_lookup_chain():
  tokens = [['Paris', 'is', 'in', 'France'], ['Zork', 'met', 'Ann', 'Lee']]
  gold = [['B-LOC', 'O', 'O', 'B-LOC'], ['B-PER', 'O', 'B-PER', 'I-PER']]
  pred = [['B-LOC', 'O', 'O', 'O'], ['B-PER', 'O', 'B-PER', 'I-PER']]
  train = [['Paris', 'was', 'sunny'], ['ann', 'lee', 'came']]
  vocab = ['paris', 'france', 'ann', 'lee', 'is', 'in', 'met']  # no 'zork'
  kinds = entity_breakdown.by_word_kind(tokens, gold, pred, train, vocab)
  # Paris and "Ann Lee" (lower-cased) occur in training; France only has a
  # vector; Zork has no row at all.
  assert kinds['seen_in_train']['gold'] == 2
  assert kinds['seen_in_train']['f1'] == 1.0
  assert kinds['unseen_with_vector']['gold'] == 1
  assert kinds['unseen_with_vector']['recall'] == 0.0
  assert kinds['unk']['gold'] == 1 and kinds['unk']['f1'] == 1.0
