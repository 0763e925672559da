"""The tf.Transform preprocessing_fn: tokens to ids, casing, BIOES tags to ids.

It runs inside the TFT graph, which the exported model embeds, so serving
applies exactly the lookup that training saw. The vocabulary file comes from
the EmbeddingGen artifact (its URI arrives through ``custom_config``); TFT
copies it into the transform graph's assets.
"""

from typing import Any, Dict

import tensorflow as tf
import tensorflow_transform as tft

from models import embedding_files, embeddings, features

# Casing classes; 0 is padding. Capitalisation is the strongest NER signal and
# the word lookup may have lower-cased it away, so the model gets it apart.
CASING_CLASSES = ('<pad>', 'lower', 'upper', 'title', 'numeric', 'has_digit',
                  'mixed', 'other')
_CASING_PATTERNS = (  # later patterns win
    ('mixed', r'.*\p{L}.*'),
    ('has_digit', r'.*[0-9].*'),
    ('lower', r"\p{Ll}[\p{Ll}'\-]*"),
    ('title', r"\p{Lu}[\p{Ll}'\-]*"),
    ('upper', r"\p{Lu}[\p{Lu}'\-.&]*"),
    ('numeric', r'[0-9.,:/+%\-]*[0-9][0-9.,:/+%\-]*'),
)


# Characters kept per token (CoNLL tokens rarely run longer) and the size of
# the character vocabulary; unseen characters share one id.
MAX_WORD_CHARS = 20
MAX_CHAR_VOCAB = 300


def casing_ids(tokens: tf.Tensor) -> tf.Tensor:
  """int64 casing class of each string (never 0, which is padding)."""
  ids = tf.fill(tf.shape(tokens), tf.constant(CASING_CLASSES.index('other'),
                                              tf.int64))
  for name, pattern in _CASING_PATTERNS:
    ids = tf.where(tf.strings.regex_full_match(tokens, pattern),
                   tf.constant(CASING_CLASSES.index(name), tf.int64), ids)
  return ids


def lookup_ids(tokens: tf.Tensor, vocab_file: str) -> tf.Tensor:
  """Row of each token: as written, lower-cased, digits to 0, else <UNK>.

  Mirrors ``embeddings.token_id``.
  """
  lowered = tf.strings.lower(tokens, encoding='utf-8')
  ids = None
  for keys in (tokens, lowered,
               tf.strings.regex_replace(lowered, '[0-9]', '0')):
    found = tft.apply_vocabulary(keys, vocab_file,
                                 default_value=embeddings.UNK_ID)
    ids = found if ids is None else tf.where(
        tf.equal(ids, embeddings.UNK_ID), found, ids)
  return ids


def char_ids(tokens: tf.SparseTensor, max_chars: int) -> tf.SparseTensor:
  """Character ids of each token, ``max_chars`` slots per token (0 = none),
  flattened to [batch, length * max_chars] so that it travels as one VarLen
  feature; the trainer reshapes it to [batch, length, max_chars].

  Ids come from a TFT vocabulary of the training characters (1-based, the
  last id is for characters training never showed).
  """
  chars = tf.strings.unicode_split(tokens.values, 'UTF-8')[:, :max_chars]
  ids = tft.compute_and_apply_vocabulary(
      chars.flat_values, top_k=MAX_CHAR_VOCAB, num_oov_buckets=1,
      vocab_filename=features.CHAR_VOCAB) + 1
  dense = chars.with_flat_values(ids).to_tensor(
      default_value=0, shape=[None, max_chars])
  slots = tf.range(max_chars, dtype=tf.int64)
  rows = tf.repeat(tokens.indices[:, 0], max_chars)
  cols = tf.reshape(tokens.indices[:, 1:2] * max_chars + slots[None, :], [-1])
  return tf.SparseTensor(
      tf.stack([rows, cols], axis=1), tf.reshape(dense, [-1]),
      tokens.dense_shape * tf.constant([1, max_chars], tf.int64))


def bioes_tags(tags: tf.SparseTensor) -> tf.SparseTensor:
  """IOB2 tags [batch, length] rewritten as BIOES: the last token of an entity
  becomes E-X, a one-token entity S-X.

  The tagger learns and decodes these richer tags (the CRF can then tell an
  entity's end from its middle); serving maps them back to IOB2
  (``model.repair_iob2``).
  """
  values, rows = tags.values, tags.indices[:, 0]
  following = tf.concat([values[1:], ['O']], axis=0)
  same_row = tf.concat([tf.equal(rows[1:], rows[:-1]), [False]], axis=0)
  entity_type = lambda t: tf.strings.regex_replace(t, '^[A-Z]-', '')
  continued = same_row & tf.strings.regex_full_match(following, 'I-.*') & (
      tf.equal(entity_type(following), entity_type(values)))
  values = tf.where(continued, values, tf.strings.regex_replace(
      tf.strings.regex_replace(values, '^B-', 'S-'), '^I-', 'E-'))
  return tf.SparseTensor(tags.indices, values, tags.dense_shape)


def preprocessing_fn(inputs: Dict[str, Any],
                     custom_config: Dict[str, Any]) -> Dict[str, Any]:
  vocab_file = embedding_files.vocab_file(custom_config[embedding_files.URI_KEY])
  tokens = inputs[features.TOKENS]  # SparseTensor [batch, None]
  outputs = {
      features.TOKEN_IDS: tf.SparseTensor(
          tokens.indices, lookup_ids(tokens.values, vocab_file),
          tokens.dense_shape),
      features.CASING: tf.SparseTensor(
          tokens.indices, casing_ids(tokens.values), tokens.dense_shape),
      features.CHAR_IDS: char_ids(tokens, MAX_WORD_CHARS),
  }
  tags = bioes_tags(inputs[features.TAGS])
  # Ids by frequency, so 0 is 'O'. A tag the training split never shows (eval
  # may hold one) maps to 'O' for the loss; entity F1 is scored on strings.
  outputs[features.TAG_IDS] = tft.compute_and_apply_vocabulary(
      tags, vocab_filename=features.TAG_VOCAB, default_value=0)
  return outputs
