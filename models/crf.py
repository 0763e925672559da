"""A linear-chain CRF written in TensorFlow (TensorFlow Addons is unmaintained).

A tagger that scores tag transitions learns, for instance, that ``I-PER`` does
not follow ``B-ORG``, and decodes the best whole sequence (Viterbi) instead of
the best tag at each token. Masks are prefix masks: a sentence's tokens come
first, padding after.
"""

import keras
import tensorflow as tf


def _time_major(emissions, mask):
  return (tf.transpose(emissions, [1, 0, 2]),
          tf.transpose(tf.cast(mask, tf.bool), [1, 0]))


def _with_extra_step(emissions, mask):
  """One extra masked step, so that scans over steps 1.. are never empty
  (in a graph with unknown T an empty scan cannot stack its outputs)."""
  return (tf.pad(emissions, [[0, 0], [0, 1], [0, 0]]),
          tf.pad(tf.cast(mask, tf.bool), [[0, 0], [0, 1]]))


def log_likelihood(emissions, tags, mask, transitions, start, end):
  """Per-sentence log p(tags | emissions): gold score minus log partition.

  emissions [B, T, K] float; tags [B, T] int; mask [B, T] bool;
  transitions [K, K] (from, to); start, end [K].
  """
  tags = tf.cast(tags, tf.int32)
  maskf = tf.cast(mask, emissions.dtype)
  emit = tf.reduce_sum(
      tf.gather(emissions, tags, batch_dims=2) * maskf, axis=1)
  pairs = tf.gather(tf.gather(transitions, tags[:, :-1]), tags[:, 1:],
                    batch_dims=2)
  trans = tf.reduce_sum(pairs * maskf[:, 1:], axis=1)
  lengths = tf.cast(tf.reduce_sum(maskf, axis=1), tf.int32)
  last = tf.gather(tags, tf.maximum(lengths - 1, 0), batch_dims=1)
  gold = emit + trans + tf.gather(start, tags[:, 0]) + tf.gather(end, last)

  em, m = _time_major(emissions, mask)

  def step(alpha, inputs):
    e, mk = inputs
    nxt = tf.reduce_logsumexp(alpha[:, :, None] + transitions[None], axis=1) + e
    return tf.where(mk[:, None], nxt, alpha)

  alpha = tf.foldl(step, (em[1:], m[1:]), initializer=start[None] + em[0])
  log_z = tf.reduce_logsumexp(alpha + end[None], axis=1)
  return gold - log_z


def viterbi_decode(emissions, mask, transitions, start, end):
  """The best tag sequence [B, T] (int32); padding repeats the last tag."""
  time = tf.shape(emissions)[1]
  em, m = _time_major(*_with_extra_step(emissions, mask))
  k = tf.shape(transitions)[0]
  identity = tf.range(k)[None, :] + tf.zeros_like(tf.cast(em[0], tf.int32))

  def step(carry, inputs):
    score, _ = carry
    e, mk = inputs
    candidates = score[:, :, None] + transitions[None]
    best = tf.cast(tf.argmax(candidates, axis=1), tf.int32)
    new = tf.reduce_max(candidates, axis=1) + e
    return (tf.where(mk[:, None], new, score),
            tf.where(mk[:, None], best, identity))

  first = start[None] + em[0]
  scores, pointers = tf.scan(step, (em[1:], m[1:]),
                             initializer=(first, identity))
  final = tf.concat([first[None], scores], axis=0)[-1] + end[None]
  last = tf.cast(tf.argmax(final, axis=1), tf.int32)
  previous = tf.scan(lambda tag, bp: tf.gather(bp, tag, batch_dims=1),
                     pointers, initializer=last, reverse=True)
  path = tf.concat([previous, last[None]], axis=0)
  return tf.transpose(path, [1, 0])[:, :time]


def forward_backward(emissions, mask, transitions, start, end):
  """Log forward and backward scores [B, T, K] and the log partition [B].

  ``alpha[b, t, y]``: log of the summed scores of all tag prefixes that end
  in ``y`` at ``t`` (its emission included); ``beta[b, t, y]``: of all
  suffixes after ``t`` given ``y`` at ``t`` (the end score included). So
  ``alpha + beta - log_z`` is the log marginal probability of each tag at
  each token.
  """
  time = tf.shape(emissions)[1]
  emissions, mask = _with_extra_step(emissions, mask)
  em, m = _time_major(emissions, mask)

  def forward(alpha, inputs):
    e, mk = inputs
    nxt = tf.reduce_logsumexp(alpha[:, :, None] + transitions[None], axis=1) + e
    return tf.where(mk[:, None], nxt, alpha)

  first = start[None] + em[0]
  alphas = tf.concat([first[None], tf.scan(forward, (em[1:], m[1:]),
                                           initializer=first)], axis=0)
  last = end[None] + tf.zeros_like(em[0])

  def backward(beta, inputs):
    e, mk = inputs
    nxt = tf.reduce_logsumexp(transitions[None] + (e + beta)[:, None, :],
                              axis=2)
    return tf.where(mk[:, None], nxt, last)

  betas = tf.concat([tf.scan(backward, (em[1:], m[1:]), initializer=last,
                             reverse=True), last[None]], axis=0)
  log_z = tf.reduce_logsumexp(alphas[-1] + end[None], axis=1)
  alpha = tf.transpose(alphas, [1, 0, 2])[:, :time]
  beta = tf.transpose(betas, [1, 0, 2])[:, :time]
  return alpha, beta, log_z


def path_log_probs(emissions, mask, transitions, start, end, tags):
  """For a tag path [B, T] (e.g. the Viterbi one): ``token`` [B, T], the log
  marginal probability of each token's tag, and ``span(rows, first, last)``,
  a function giving the log probability that tokens ``first..last`` of
  sentence ``rows`` (int [N] each; ``last`` inclusive) carry exactly the
  path's tags there, whatever the tags elsewhere.

  A span's probability is forward score at its first token, the path's
  scores inside it, and backward score at its last token, over the
  partition; for one token it is that token's marginal.
  """
  tags = tf.cast(tags, tf.int32)
  alpha, beta, log_z = forward_backward(emissions, mask, transitions, start,
                                        end)
  at_tag = lambda x: tf.gather(x, tags, batch_dims=2)
  alpha_y, beta_y = at_tag(alpha), at_tag(beta)
  steps = at_tag(emissions) + tf.pad(
      tf.gather(tf.gather(transitions, tags[:, :-1]), tags[:, 1:],
                batch_dims=2), [[0, 0], [1, 0]])
  cumulative = tf.cumsum(steps, axis=1)
  token = alpha_y + beta_y - log_z[:, None]

  def span(rows, first, last):
    pick = lambda x, i: tf.gather_nd(x, tf.stack([rows, i], axis=1))
    return (pick(alpha_y, first) + pick(cumulative, last)
            - pick(cumulative, first) + pick(beta_y, last)
            - tf.gather(log_z, rows))

  return token, span


class CRF(keras.layers.Layer):
  """Holds the transition scores; passes emissions through unchanged.

  Training uses ``negative_log_likelihood`` (see ``CrfTagger``), inference
  ``decode``.
  """

  def __init__(self, **kwargs):
    super().__init__(**kwargs)
    # An identity on the emissions, so the padding mask passes through
    # (Keras would otherwise warn at every build that it drops it).
    self.supports_masking = True

  def build(self, input_shape):
    k = input_shape[-1]
    self.transitions = self.add_weight(shape=(k, k), initializer='zeros',
                                       name='transitions')
    self.start = self.add_weight(shape=(k,), initializer='zeros', name='start')
    self.end = self.add_weight(shape=(k,), initializer='zeros', name='end')

  def call(self, emissions):
    return emissions

  def negative_log_likelihood(self, emissions, tags, mask):
    return -log_likelihood(emissions, tags, mask, self.transitions,
                           self.start, self.end)

  def decode(self, emissions, mask):
    return viterbi_decode(emissions, mask, self.transitions, self.start,
                          self.end)


class CrfTagger(keras.Model):
  """A functional model whose last layer is a CRF: the loss is the CRF's
  negative log-likelihood per sentence (sample weights give the mask)."""

  def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                   training=True):
    mask = tf.greater(sample_weight, 0)
    nll = self.get_layer('crf').negative_log_likelihood(y_pred, y, mask)
    loss = tf.reduce_mean(nll)
    if self.losses:
      loss += tf.add_n(self.losses)
    return loss
