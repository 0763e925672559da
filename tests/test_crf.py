"""The CRF against brute force over every tag sequence on small cases."""

import itertools

import numpy as np
import pytest


from models import crf


def _score(em, tags, trans, start, end):
  s = start[tags[0]] + end[tags[-1]] + sum(em[t, tag]
                                           for t, tag in enumerate(tags))
  return s + sum(trans[a, b] for a, b in zip(tags, tags[1:]))


def _case(seed, batch=3, time=4, k=3):
  rng = np.random.default_rng(seed)
  em = rng.normal(size=(batch, time, k)).astype(np.float32)
  trans = rng.normal(size=(k, k)).astype(np.float32)
  start, end = rng.normal(size=k).astype(np.float32), rng.normal(
      size=k).astype(np.float32)
  lengths = rng.integers(1, time + 1, size=batch)
  lengths[0] = time
  mask = np.arange(time)[None, :] < lengths[:, None]
  tags = rng.integers(0, k, size=(batch, time))
  return em, trans, start, end, mask, tags, lengths


@pytest.mark.parametrize('seed', range(5))
def test_log_likelihood_matches_brute_force(seed):
  em, trans, start, end, mask, tags, lengths = _case(seed)
  got = crf.log_likelihood(em, tags, mask, trans, start, end).numpy()
  k = trans.shape[0]
  for b, n in enumerate(lengths):
    scores = [_score(em[b], p, trans, start, end)
              for p in itertools.product(range(k), repeat=int(n))]
    log_z = np.log(np.sum(np.exp(scores)))
    want = _score(em[b], tags[b, :n], trans, start, end) - log_z
    assert got[b] == pytest.approx(want, abs=1e-4)


@pytest.mark.parametrize('seed', range(5))
def test_viterbi_matches_brute_force(seed):
  em, trans, start, end, mask, _, lengths = _case(seed, batch=4, time=5)
  path = crf.viterbi_decode(em, mask, trans, start, end).numpy()
  k = trans.shape[0]
  for b, n in enumerate(lengths):
    best = max(itertools.product(range(k), repeat=int(n)),
               key=lambda p: _score(em[b], p, trans, start, end))
    assert tuple(path[b, :n]) == best


def test_single_token_sentences():
  em = np.array([[[0.0, 2.0]], [[1.0, 0.0]]], np.float32)
  mask = np.ones((2, 1), bool)
  zeros = np.zeros(2, np.float32)
  trans = np.zeros((2, 2), np.float32)
  assert crf.viterbi_decode(em, mask, trans, zeros, zeros).numpy().tolist() == [
      [1], [0]]
  ll = crf.log_likelihood(em, np.array([[1], [0]]), mask, trans, zeros, zeros)
  np.testing.assert_allclose(
      ll.numpy(), [2 - np.log(1 + np.exp(2)), 1 - np.log(np.exp(1) + 1)],
      rtol=1e-5)


def test_viterbi_in_a_graph_with_one_token_batches():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  zeros = np.zeros(2, np.float32)
  decode = tf.function(
      lambda em, mask: crf.viterbi_decode(em, mask, np.zeros((2, 2),
                                                             np.float32),
                                          zeros, zeros),
      input_signature=[tf.TensorSpec([None, None, 2], tf.float32),
                       tf.TensorSpec([None, None], tf.bool)])
  em = np.array([[[0.0, 2.0]], [[1.0, 0.0]]], np.float32)
  assert decode(em, np.ones((2, 1), bool)).numpy().tolist() == [[1], [0]]
  longer = np.concatenate([em, em], axis=1)
  assert decode(longer, np.ones((2, 2), bool)).numpy().tolist() == [
      [1, 1], [0, 0]]


def test_transitions_change_the_decision():
  em = np.array([[[1.0, 0.0], [0.0, 0.1]]], np.float32)  # alone: [0, 1]
  mask = np.ones((1, 2), bool)
  zeros = np.zeros(2, np.float32)
  forbid = np.array([[0.0, -10.0], [0.0, 0.0]], np.float32)  # 0 -> 1 banned
  assert crf.viterbi_decode(em, mask, np.zeros((2, 2), np.float32), zeros,
                            zeros).numpy().tolist() == [[0, 1]]
  assert crf.viterbi_decode(em, mask, forbid, zeros,
                            zeros).numpy().tolist() == [[0, 0]]



@pytest.mark.parametrize('seed', range(4))
def test_marginals_and_span_probabilities_match_brute_force(seed):
  em, trans, start, end, mask, tags, lengths = _case(seed, batch=4, time=5)
  token, span = crf.path_log_probs(em, mask, trans, start, end, tags)
  first = np.array([[0, 1, 0]] * 4)
  last = np.array([[0, 2, 2]] * 4)
  spans = span(np.repeat(np.arange(4), 3), first.ravel(),
               last.ravel()).numpy().reshape(4, 3)
  token = token.numpy()
  k = trans.shape[0]
  for b, n in enumerate(lengths):
    paths = list(itertools.product(range(k), repeat=int(n)))
    weights = np.exp([_score(em[b], p, trans, start, end) for p in paths])
    weights /= weights.sum()
    for t in range(n):  # each token's tag
      want = sum(w for p, w in zip(paths, weights) if p[t] == tags[b, t])
      assert np.exp(token[b, t]) == pytest.approx(want, abs=1e-4)
    for j, (i, e) in enumerate(zip(first[b], last[b])):
      if e >= n:
        continue
      want = sum(w for p, w in zip(paths, weights)
                 if tuple(p[i:e + 1]) == tuple(tags[b, i:e + 1]))
      assert np.exp(spans[b, j]) == pytest.approx(want, abs=1e-4)


def test_marginals_of_one_token_sentences_sum_to_one():
  em = np.array([[[0.0, 2.0]], [[1.0, 0.0]]], np.float32)
  mask = np.ones((2, 1), bool)
  zeros = np.zeros(2, np.float32)
  both = [np.exp(crf.path_log_probs(
      em, mask, np.zeros((2, 2), np.float32), zeros, zeros,
      np.full((2, 1), tag))[0].numpy()[:, 0]) for tag in (0, 1)]
  np.testing.assert_allclose(both[0] + both[1], [1, 1], rtol=1e-5)
  np.testing.assert_allclose(both[1], [np.exp(2) / (1 + np.exp(2)),
                                       1 / (1 + np.e)], rtol=1e-5)
