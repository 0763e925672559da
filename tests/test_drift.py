"""The drift profile and its comparison (the e2e check is in
test_pipeline.py: a Spanish retrain against an English baseline)."""

import pytest

from models import drift, embeddings


def _sentences(rows):
  return [{'tokens': t.split(), 'tags': g.split()} for t, g in rows]


ENGLISH = _sentences([('Peter went to Paris .', 'B-PER O O B-LOC O'),
                      ('the EU said so', 'O B-ORG O O')] * 5)
INDEX = embeddings.vocab_index(['peter', 'went', 'to', 'paris', '.', 'the',
                                'eu', 'said', 'so'])


def test_profile_counts_oov_tags_and_lengths_through_the_lookup_chain():
  p = drift.profile(ENGLISH + _sentences([('Pedro fue a Madrid', 'B-PER O O '
                                           'B-LOC')]), INDEX)
  assert p['tokens'] == 49 and p['sentences'] == 11
  assert p['oov_rate'] == pytest.approx(4 / 49)  # 'Peter' found as 'peter'
  assert p['tags']['B-PER'] == pytest.approx(6 / 49)
  assert p['lengths'] == {'<=5': 1.0}


def test_the_same_data_passes_and_another_corpus_does_not():
  base = drift.profile(ENGLISH, INDEX)
  problems, numbers = drift.compare(base, drift.profile(ENGLISH, INDEX),
                                    0.1, 0.1, 0.25)
  assert problems == [] and numbers['tag_drift'] == 0.0
  spanish = _sentences([('El presidente de la Comisión Europea , Romano '
                         'Prodi , dijo hoy que el acuerdo sigue .',
                         'O O O O B-ORG I-ORG O B-PER I-PER O O O O O O O '
                         'O')] * 10)
  problems, numbers = drift.compare(base, drift.profile(spanish, INDEX), 0.1,
                                    0.1, 0.25)
  assert numbers['oov_rate_new'] > 0.9 and numbers['oov_rate_baseline'] == 0
  assert [p.split(' ')[1] for p in problems] == ['eval', 'tag',
                                                 'sentence-length']
  assert 'rose from 0.000 to 0.9' in problems[0]
  # Bounds as loose as the distances: nothing to report.
  loose = drift.compare(base, drift.profile(spanish, INDEX), 1.0, 1.0, 1.0)
  assert loose[0] == []
