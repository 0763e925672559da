"""The serving SavedModel: the Transform graph, every member of the ensemble,
and three signatures in core TensorFlow ops, so that ``tf.saved_model.load``
or a stock TF Serving binary runs them without this project.

- ``tag_text`` (``serving_default``): raw text [batch] in; tokens with tags,
  marginal probabilities and character offsets, and entities with type,
  text, offsets and a confidence, out (``serving.text`` tokenises).
- ``tag_tokens``: tokens [batch, length], padded at the end with '', in;
  ``tags`` (IOB2, 'O' at padding) and ``scores`` out.
- ``tag_examples``: serialized ``tf.Example`` with a ``tokens`` feature (as
  ConllExampleGen writes them) or a raw ``text`` (one line of a text file),
  for BulkInferrer; ``tokens``, ``tags`` and ``scores``.

Scores are probabilities under the (ensemble's) CRF, by forward-backward: a
token's score is the marginal probability of its tag; an entity's is the
probability that its tokens carry exactly its tags (the whole span, type and
boundaries), whatever the tags elsewhere. Outputs are dense: strings pad with
'', offsets with -1, scores with 0.
"""

from typing import List, Sequence

import keras
import tensorflow as tf

from models import crf, features
from models import model as model_lib
from models.preprocessing import MAX_WORD_CHARS
from serving import text as text_lib

# Tokens per piece of a long text (CoNLL-2003 sentences run to 124 tokens).
MAX_PIECE_TOKENS = 128
SIGNATURES = ('tag_text', 'tag_tokens', 'tag_examples')


def _probability(log_prob):
  """exp, kept in [0, 1]: float32 round-off can put a sure log
  probability a hair above 0."""
  return tf.minimum(tf.exp(log_prob), 1.0)


class TaggerServing(tf.Module):
  """The exported module; see the module docstring for its signatures."""

  def __init__(self, models: Sequence[keras.Model], tft_layer,
               tag_names: Sequence[str]):
    super().__init__()
    self.models = list(models)
    # The TensorFlow variables under the Keras 3 ones, tracked here too:
    # without them, loaders that read the SavedModel as a TF1 graph (TF
    # Serving, saved_model_cli, BulkInferrer's RunInference) cannot find the
    # weights ("Could not find variable ..."; keras-team/keras#20095).
    self.weights = [w.value for m in self.models for w in m.weights]
    self.tft_layer = tft_layer
    self.tag_names = tf.constant(list(tag_names))

  def _inputs(self, tokens):
    transformed = self.tft_layer({features.TOKENS: tf.sparse.from_dense(tokens)})
    shape = tf.shape(tokens, out_type=tf.int64)
    inputs = {
        key: tf.sparse.to_dense(tf.sparse.reset_shape(transformed[key], shape))
        for key in (features.TOKEN_IDS, features.CASING)}
    chars = tf.sparse.to_dense(tf.sparse.reset_shape(
        transformed[features.CHAR_IDS], shape * [1, MAX_WORD_CHARS]))
    inputs[features.CHAR_IDS] = tf.reshape(
        chars, [shape[0], shape[1], MAX_WORD_CHARS])
    return inputs

  def _tag(self, tokens):
    """Tags (IOB2, 'O' at padding), token log probabilities, the span
    function of ``crf.path_log_probs`` and the mask, for tokens [B, T]
    padded at the end with '' (an empty token inside a row is a token)."""
    width = tf.shape(tokens)[1]
    positions = tf.range(width)[None, :]
    lengths = tf.reduce_max(tf.where(tf.not_equal(tokens, ''), positions + 1,
                                     0), axis=1)
    mask = positions < lengths[:, None]
    emissions, transitions, start, end = model_lib.potentials(
        self.models, self._inputs(tokens), mask)
    ids = crf.viterbi_decode(emissions, mask, transitions, start, end)
    token, span = crf.path_log_probs(emissions, mask, transitions, start, end,
                                     ids)
    tags = tf.where(mask, tf.gather(self.tag_names, ids), 'O')
    return model_lib.repair_iob2(tags), token, span, mask

  @tf.function(input_signature=[
      tf.TensorSpec([None, None], tf.string, name='tokens')])
  def tag_tokens(self, tokens):
    tags, token, _, mask = self._tag(tokens)
    return {'tags': tags, 'scores': tf.where(mask, _probability(token), 0.0)}

  def _tag_ragged(self, tokens):
    """Tags and scores of the flat tokens of ``tokens`` [batch, (n)], tagged
    in pieces (``text_lib.pieces``), and the entities: their input row,
    first and last flat token, type and log probability."""
    piece = text_lib.pieces(tokens, MAX_PIECE_TOKENS)
    count = tf.maximum(tf.reduce_max(piece) + 1, 0)
    by_piece = tf.RaggedTensor.from_value_rowids(tokens.flat_values, piece,
                                                 nrows=count)
    # One more one-token piece, so that the tagger never sees an empty
    # batch; its results are dropped.
    padded = tf.concat([by_piece, tf.ragged.constant([['.']])],
                       axis=0).to_tensor('')
    tags, token, span, mask = self._tag(padded)
    tags, token, mask = tags[:-1], token[:-1], mask[:-1]
    piece_row, first, last, kind = text_lib.entity_spans(tags)
    offset = tf.gather(by_piece.row_splits, piece_row)
    entities = {'row': tf.gather(tokens.value_rowids(), offset + first),
                'first': offset + first, 'last': offset + last,
                'type': kind, 'log_prob': span(piece_row, first, last)}
    return (tf.boolean_mask(tags, mask),
            _probability(tf.boolean_mask(token, mask)),
            entities)

  @tf.function(input_signature=[
      tf.TensorSpec([None], tf.string, name='examples')])
  def tag_examples(self, examples):
    """Examples with ``tokens`` (ConllExampleGen's) or a raw ``text``
    (tokenised as tag_text does): their tokens, tags and scores."""
    parsed = tf.io.parse_example(examples, {
        features.TOKENS: tf.io.VarLenFeature(tf.string),
        features.TEXT: tf.io.FixedLenFeature([], tf.string, default_value='')})
    given = tf.RaggedTensor.from_sparse(parsed[features.TOKENS])
    from_text, _, _ = text_lib.tokenize(parsed[features.TEXT])
    has_text = tf.not_equal(parsed[features.TEXT], '')
    rows = tf.range(tf.shape(examples, out_type=tf.int64)[0])
    tokens = tf.gather(tf.concat([given, from_text], axis=0),
                       tf.where(has_text, rows + tf.size(rows, tf.int64),
                                rows))
    tags, scores, _ = self._tag_ragged(tokens)
    return {'tokens': tokens.to_tensor(''),
            'tags': tokens.with_flat_values(tags).to_tensor(''),
            'scores': tokens.with_flat_values(scores).to_tensor(0.0)}

  @tf.function(input_signature=[
      tf.TensorSpec([None], tf.string, name='text')])
  def tag_text(self, text):
    tokens, starts, ends = text_lib.tokenize(text)
    tags, scores, entities = self._tag_ragged(tokens)
    out = {
        'tokens': tokens.to_tensor(''),
        'tags': tokens.with_flat_values(tags).to_tensor(''),
        'scores': tokens.with_flat_values(scores).to_tensor(0.0),
        'token_start': starts.to_tensor(-1),
        'token_end': ends.to_tensor(-1),
    }
    per_row = lambda v: tf.RaggedTensor.from_value_rowids(
        v, entities['row'], nrows=tokens.nrows())
    entity_start = per_row(tf.gather(starts.flat_values, entities['first']))
    entity_end = per_row(tf.gather(ends.flat_values, entities['last']))
    entity_text = text_lib.span_text(tf.strings.unicode_split(text, 'UTF-8'),
                                     entity_start, entity_end)
    out.update({
        'entity_type': per_row(entities['type']).to_tensor(''),
        'entity_text': entity_text.to_tensor(''),
        'entity_start': entity_start.to_tensor(-1),
        'entity_end': entity_end.to_tensor(-1),
        'entity_score': per_row(
            _probability(entities['log_prob'])).to_tensor(0.0),
    })
    return out


def save(module: TaggerServing, path: str) -> None:
  signatures = {name: getattr(module, name).get_concrete_function()
                for name in SIGNATURES}
  signatures['serving_default'] = signatures['tag_text']
  tf.saved_model.save(module, path, signatures=signatures)


def export(models: Sequence[keras.Model], tft_output, tag_names: List[str],
           path: str) -> None:
  save(TaggerServing(models, tft_output.transform_features_layer(),
                     tag_names), path)
