import keras
import numpy as np
import pytest
import tensorflow as tf

from models import entity_metrics, features, model as model_lib
from models import checkpoints, trainer
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


def test_step_benchmark_runs_taggers_side_by_side(capsys):
  from benchmarks import step_benchmark
  assert step_benchmark.main(['--sentences', '64', '--vocab', '300',
                              '--threads', '1', '--side-by-side', '2',
                              '--set', 'lstm_units=4', 'char_filters=3']) == 0
  lines = capsys.readouterr().out.strip().splitlines()
  assert len(lines) == 3
  for line in lines[:2]:  # each process's epoch, with one thread
    assert line.startswith('step_benchmark: lstm_units=4 char_filters=3, '
                           '1 thread(s): ')
  slowest = max(float(l.split(': ')[2].split(' s ')[0]) for l in lines[:2])
  assert lines[2] == (f'step_benchmark: 2 side by side: {slowest:.2f} s for '
                      f'all, {slowest / 2:.2f} s per tagger-epoch')


class _Killed(Exception):
  """Stands for the SIGKILL of test_pipeline's kill-and-rerun test."""


def test_a_member_resumes_after_its_last_checkpointed_epoch(tmp_path,
                                                            monkeypatch):
  _write(str(tmp_path / 'part-0.gz'), [4, 6, 3, 5, 7, 2])
  data = trainer.dataset([str(tmp_path / '*.gz')], _SPEC, 2, True)
  matrix = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
  config = TrainerConfig(lstm_units=4, epochs=5, patience=5)
  tags = ['O', 'B-PER', 'I-PER']
  root = str(tmp_path / 'checkpoints')
  save = trainer.EpochCheckpoint.on_epoch_end

  def killed_after_epoch_3(self, epoch, logs=None):
    save(self, epoch, logs)
    if epoch == 2:
      raise _Killed()

  monkeypatch.setattr(trainer.EpochCheckpoint, 'on_epoch_end',
                      killed_after_epoch_3)
  with pytest.raises(_Killed):
    trainer.fit_one(config, matrix, 3, 12, data, data, tags,
                    str(tmp_path / 'logs'), root, 0)
  saved = checkpoints.load(root, 0)
  assert saved['epochs_done'] == 3 and not saved['finished']
  assert len(saved['history']['loss']) == 3
  monkeypatch.setattr(trainer.EpochCheckpoint, 'on_epoch_end', save)
  steps = []
  monkeypatch.setattr(trainer.EpochCheckpoint, 'on_train_begin',
                      lambda self, logs=None: steps.append(
                          int(self.model.optimizer.iterations.numpy())))
  model, history, resumed = trainer.fit_one(
      config, matrix, 3, 12, data, data, tags, str(tmp_path / 'logs'), root,
      0)
  assert resumed == 3
  # The optimizer's state came back: its steps of the 3 epochs before.
  assert steps == [int(saved['optimizer'][0])] and steps[0] >= 3 * 3
  assert len(history['loss']) == len(history['val_f1']) == 5
  assert history['loss'][:3] == saved['history']['loss']
  # Finished: a later call takes the member as it is.
  again, history_again, resumed_again = trainer.fit_one(
      config, matrix, 3, 12, data, data, tags, str(tmp_path / 'logs'), root,
      0)
  assert resumed_again == 5 and history_again == history
  for a, b in zip(again.get_weights(), model.get_weights()):
    np.testing.assert_array_equal(a, b)


def test_extra_callbacks_see_every_epoch_with_its_eval_f1(tmp_path):
  _write(str(tmp_path / 'part-0.gz'), [4, 6, 3, 5])
  data = trainer.dataset([str(tmp_path / '*.gz')], _SPEC, 2, True)
  matrix = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
  seen = []

  class Record(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
      seen.append((epoch, logs['val_f1'], len(self.model.get_weights())))

  _, history, _ = trainer.fit_one(
      TrainerConfig(lstm_units=4, epochs=3, patience=5), matrix, 3, 12, data,
      data, ['O', 'B-PER', 'I-PER'], str(tmp_path / 'logs'),
      str(tmp_path / 'checkpoints'), 0, callbacks=[Record()])
  assert [e for e, _, _ in seen] == [0, 1, 2]
  assert [f for _, f, _ in seen] == history['val_f1']
  assert all(n > 0 for _, _, n in seen)
