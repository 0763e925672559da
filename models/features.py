"""Feature names and the tf.Example form of a sentence, shared by all stages."""

import os
from typing import Dict, Iterator, List

import tensorflow as tf

from models.conll import Sentence

TOKENS = 'tokens'
TEXT = 'text'  # raw text to tag (an inference input)
TAGS = 'tags'
POS = 'pos'
CHUNK = 'chunk'

# Outputs of the Transform graph.
TOKEN_IDS = 'token_ids'
TAG_IDS = 'tag_ids'
CASING = 'casing'
CHAR_IDS = 'char_ids'  # [batch, length * MAX_WORD_CHARS]
TAG_VOCAB = 'tags'  # names of the vocabularies TFT writes
CHAR_VOCAB = 'chars'


def _bytes(values: List[str]) -> tf.train.Feature:
  return tf.train.Feature(
      bytes_list=tf.train.BytesList(value=[v.encode('utf-8') for v in values]))


def to_example(sentence: Sentence) -> tf.train.Example:
  feature = {TOKENS: _bytes(sentence.tokens), TAGS: _bytes(sentence.tags)}
  if sentence.pos is not None:
    feature[POS] = _bytes(sentence.pos)
  if sentence.chunk is not None:
    feature[CHUNK] = _bytes(sentence.chunk)
  return tf.train.Example(features=tf.train.Features(feature=feature))


def text_example(text: str) -> tf.train.Example:
  return tf.train.Example(features=tf.train.Features(
      feature={TEXT: _bytes([text])}))


def from_example(example: tf.train.Example) -> Dict[str, List[str]]:
  out = {}
  for key, feature in example.features.feature.items():
    out[key] = [v.decode('utf-8') for v in feature.bytes_list.value]
  return out


def split_files(split_uri: str) -> List[str]:
  """The record files of one split directory of an Examples artifact."""
  return sorted(tf.io.gfile.glob(os.path.join(split_uri, '*')))


def read_split(split_uri: str) -> Iterator[Dict[str, List[str]]]:
  """Decoded sentences of one split, streamed (GZIP TFRecords)."""
  files = split_files(split_uri)
  if not files:
    raise ValueError(f'no example files in {split_uri}')
  for record in tf.data.TFRecordDataset(files, compression_type='GZIP'):
    yield from_example(tf.train.Example.FromString(record.numpy()))


class SplitTokens:
  """Re-iterable token lists of one split, for gensim's several passes."""

  def __init__(self, split_uri: str):
    self.split_uri = split_uri

  def __iter__(self):
    for sentence in read_split(self.split_uri):
      yield sentence[TOKENS]
