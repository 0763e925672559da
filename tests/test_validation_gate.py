from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2
from google.protobuf import text_format

from components import validation_gate


def _stats(tokens, tags, num_examples=2):
  text = f'''datasets {{
    num_examples: {num_examples}
    features {{ path {{ step: "tokens" }} string_stats {{ common_stats {{
      tot_num_values: {tokens[0]} min_num_values: {tokens[1]}
      max_num_values: {tokens[2]} }} }} }}
    features {{ path {{ step: "tags" }} string_stats {{ common_stats {{
      tot_num_values: {tags[0]} min_num_values: {tags[1]}
      max_num_values: {tags[2]} }} }} }}
  }}'''
  return text_format.Parse(text, statistics_pb2.DatasetFeatureStatisticsList())


def test_equal_lengths_pass_and_differences_are_named():
  assert validation_gate.statistics_problems(_stats((9, 2, 7), (9, 2, 7))) == []
  problems = validation_gate.statistics_problems(_stats((9, 2, 7), (8, 1, 7)))
  assert problems == [
      'tokens and tags differ in length (tot_num_values: 9 vs 8)',
      'tokens and tags differ in length (min_num_values: 2 vs 1)']


def test_empty_split_is_a_problem():
  assert validation_gate.statistics_problems(
      _stats((0, 0, 0), (0, 0, 0), num_examples=0)) == [
          'the split has no examples']


def test_anomalies_are_described_per_feature():
  anomalies = text_format.Parse('''
    anomaly_info { key: "tags" value {
      reason { type: ENUM_TYPE_UNEXPECTED_STRING_VALUES
               short_description: "Unexpected string values"
               description: "Examples contain values missing from the schema: B-COMPANY (~50%)." } } }
  ''', anomalies_pb2.Anomalies())
  assert validation_gate.describe(anomalies) == [
      "feature 'tags': Examples contain values missing from the schema: "
      'B-COMPANY (~50%).']
  assert validation_gate.describe(anomalies_pb2.Anomalies()) == []
