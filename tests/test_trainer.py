import numpy as np
import tensorflow as tf

from models import entity_metrics, features, model as model_lib
from models import trainer
from models.config import TrainerConfig
from models.preprocessing import MAX_WORD_CHARS

_SPEC = {k: tf.io.VarLenFeature(tf.int64) for k in (
    features.TOKEN_IDS, features.CASING, features.CHAR_IDS, features.TAG_IDS)}


def _write(path, lengths):
  with tf.io.TFRecordWriter(path, options='GZIP') as w:
    for n in lengths:
      ids = list(range(2, n + 2))
      feats = {features.TOKEN_IDS: ids, features.CASING: [1] * n,
               features.CHAR_IDS: [3] * (n * MAX_WORD_CHARS),
               features.TAG_IDS: [i % 3 for i in range(n)]}
      w.write(tf.train.Example(features=tf.train.Features(feature={
          k: tf.train.Feature(int64_list=tf.train.Int64List(value=v))
          for k, v in feats.items()})).SerializeToString())


def test_dataset_buckets_by_length_and_weights_padding(tmp_path):
  lengths = [3, 5, 40, 41, 4, 39, 2]
  _write(str(tmp_path / 'part-0.gz'), lengths)
  batches = list(trainer.dataset([str(tmp_path / '*.gz')], _SPEC,
                                        batch_size=3, shuffle=True))
  seen = []
  for inputs, tags, weights in batches:
    n = weights.numpy().sum(axis=1).astype(int)
    seen.extend(n)
    # Sentences of one batch come from one length bucket.
    assert max(n) - min(n) < 8 or min(n) >= 32
    assert inputs[features.CHAR_IDS].shape[2] == MAX_WORD_CHARS
    assert tags.shape == weights.shape == inputs[features.TOKEN_IDS].shape
    np.testing.assert_array_equal(
        inputs[features.TOKEN_IDS].numpy() != 0, weights.numpy() > 0)
  assert sorted(seen) == sorted(lengths)


def test_entity_f1_callback_scores_the_decoded_tags(tmp_path):
  _write(str(tmp_path / 'part-0.gz'), [4, 6, 3])
  data = trainer.dataset([str(tmp_path / '*.gz')], _SPEC, 2, False)
  matrix = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
  model = model_lib.build_model(matrix, 3, 12, TrainerConfig(lstm_units=4))
  callback = trainer.EntityF1(data, ['O', 'B-PER', 'I-PER'])
  callback.set_model(model)
  logs = {}
  callback.on_epoch_end(0, logs)
  gold, predicted = [], []
  for inputs, tags, weights in data:
    best = model_lib.tag_ids([model], inputs, weights > 0).numpy()
    for g, p, n in zip(tags.numpy(), best, weights.numpy().sum(1).astype(int)):
      gold.append([['O', 'B-PER', 'I-PER'][i] for i in g[:n]])
      predicted.append([['O', 'B-PER', 'I-PER'][i] for i in p[:n]])
  assert logs['val_f1'] == entity_metrics.score(gold, predicted)['f1']


def test_plateau_schedule_waits_for_entities_then_decays_stops_restores():
  matrix = np.zeros((10, 4), np.float32)
  model = model_lib.build_model(matrix, 3, 12, TrainerConfig(
      lstm_units=4, learning_rate=0.008))
  schedule = trainer.PlateauSchedule(patience=3, lr_decay=0.5)
  schedule.set_model(model)
  schedule.on_train_begin()
  dense = model.get_layer('emissions')
  rates, stopped = [], []
  # Three epochs that find no entity (no plateau yet), a first best, a better
  # one, then three epochs without a new best.
  for epoch, f1 in enumerate([0.0, 0.0, 0.0, 0.5, 0.6, 0.6, 0.55, 0.59]):
    dense.bias.assign(np.full(3, float(epoch), np.float32))
    model.stop_training = False
    schedule.on_epoch_end(epoch, {'val_f1': f1})
    rates.append(round(float(model.optimizer.learning_rate), 6))
    stopped.append(model.stop_training)
  assert rates == [0.008] * 5 + [0.004, 0.002, 0.001]
  assert stopped == [False] * 7 + [True]
  schedule.on_train_end()
  np.testing.assert_array_equal(dense.bias.numpy(), [4.0, 4.0, 4.0])


def test_step_benchmark_times_an_epoch_of_synthetic_batches(capsys):
  from benchmarks import step_benchmark
  assert step_benchmark.main(['--sentences', '64', '--vocab', '300', '--set',
                              'lstm_units=4', 'char_filters=3']) == 0
  line = capsys.readouterr().out.strip().splitlines()[-1]
  assert line.startswith('step_benchmark: lstm_units=4 char_filters=3: ')
  assert 'tokens/s' in line
