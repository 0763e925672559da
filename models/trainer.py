"""Trainer run_fn: transformed examples in, a serving SavedModel out."""

import dataclasses
import json
import logging
import os
import time
from typing import Dict, List, Optional, Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from tfx.components.trainer.fn_args_utils import FnArgs

from models import atomic, batches, checkpoints, embedding_files
from models import entity_metrics
from models import export, features, member_processes, mentions
from models import model as model_lib
from models.config import TrainerConfig, from_dict

TRAINING_STATS_FILE = 'training_stats.json'


def dataset(file_patterns: List[str], feature_spec, batch_size: int,
            shuffle: bool, seed: int = 0, mention_replace: float = 0.0,
            tag_names: Optional[List[str]] = None) -> tf.data.Dataset:
  """(inputs, tag_ids, weights) batches of sentences of similar length
  (``batches``), read once; each pass over the dataset is an epoch, shuffled
  anew by ``seed`` when ``shuffle``. With ``mention_replace``, entities are
  swapped for other mentions of their type with that probability, anew each
  epoch (``mentions.replaced``)."""
  sentences = batches.read(file_patterns, feature_spec)
  group_of = batches.groups(sentences)
  if mention_replace:
    epoch = mentions.replaced(sentences, tag_names, mention_replace, seed)
  else:
    epoch = lambda: sentences
  # Its own stream: the replacements draw from ``seed`` itself.
  rng = np.random.default_rng([seed, 1]) if shuffle else None

  def generate():
    yield from batches.batches(list(epoch()), group_of, batch_size, rng)

  data = tf.data.Dataset.from_generator(generate,
                                        output_signature=batches.SIGNATURE)
  return data.apply(tf.data.experimental.assert_cardinality(
      batches.count(group_of, batch_size))).prefetch(2)


def entity_f1(tag, data: tf.data.Dataset, tag_names: List[str]) -> float:
  """Entity F1 (0..1, conlleval semantics) of ``tag(inputs, mask)``, which
  returns tag ids [batch, time], over ``data`` (batches of ``dataset``)."""
  names = np.array(tag_names)
  gold, predicted = [], []
  for inputs, tags, weights in data:
    best = tag(inputs, tf.greater(weights, 0)).numpy()
    lengths = weights.numpy().sum(axis=1).astype(int)
    for g, p, n in zip(tags.numpy(), best, lengths):
      gold.append(names[g[:n]])
      predicted.append(names[p[:n]])
  return entity_metrics.score(gold, predicted)['f1']


class EntityF1(keras.callbacks.Callback):
  """Adds ``val_f1`` (entity F1, conlleval semantics) to each epoch's logs,
  so that early stopping keeps the weights that tag entities best, not the
  ones with the lowest per-token loss."""

  def __init__(self, data: tf.data.Dataset, tag_names: List[str],
               member: int = 0):
    super().__init__()
    self.data, self.tag_names, self.member = data, tag_names, member
    self._tag = None

  def on_epoch_end(self, epoch, logs=None):
    if self._tag is None:  # one graph for every batch shape
      self._tag = tf.function(
          lambda inputs, mask: model_lib.tag_ids([self.model], inputs, mask),
          reduce_retracing=True)
    f1 = entity_f1(self._tag, self.data, self.tag_names)
    if logs is not None:
      logs['val_f1'] = f1
    logging.info('Trainer: tagger %d epoch %d loss %.4f eval entity F1 %.4f',
                 self.member + 1, epoch + 1, float((logs or {}).get('loss', float('nan'))), f1)


class PlateauSchedule(keras.callbacks.Callback):
  """Early stopping and learning-rate decay on eval entity F1 (``val_f1``).

  After an epoch without a new best F1 the learning rate is multiplied by
  ``lr_decay``; after ``patience`` such epochs in a row training stops; the
  best epoch's weights are restored at the end. Epochs before the tagger finds
  any entity count for neither: on small data that can take several epochs,
  and it is no plateau.
  """

  def __init__(self, patience: int, lr_decay: float = 1.0,
               min_delta: float = 1e-4, resume: Optional[dict] = None):
    super().__init__()
    self.patience, self.lr_decay, self.min_delta = patience, lr_decay, min_delta
    self.resume = resume

  def on_train_begin(self, logs=None):
    self.best, self.best_epoch, self.best_weights, self.wait = 0.0, -1, None, 0
    if self.resume:  # a checkpoint's state (EpochCheckpoint)
      self.best, self.best_epoch = self.resume['best'], self.resume[
          'best_epoch']
      self.wait, self.best_weights = self.resume['wait'], self.resume[
          'best_weights']

  def state(self) -> dict:
    return {'best': self.best, 'best_epoch': self.best_epoch,
            'wait': self.wait}

  def on_epoch_end(self, epoch, logs=None):
    f1 = logs['val_f1']
    if f1 > self.best + self.min_delta:
      self.best, self.best_epoch, self.wait = f1, epoch, 0
      self.best_weights = self.model.get_weights()
    elif self.best > 0:
      self.wait += 1
      lr = self.model.optimizer.learning_rate
      lr.assign(lr * self.lr_decay)
      if self.wait >= self.patience:
        self.model.stop_training = True

  def on_train_end(self, logs=None):
    if self.best_weights is not None:
      self.model.set_weights(self.best_weights)


class EpochCheckpoint(keras.callbacks.Callback):
  """Saves the member after every epoch (``models.checkpoints``)."""

  def __init__(self, root: str, member: int, schedule: PlateauSchedule,
               history: Dict[str, List[float]]):
    super().__init__()
    self.root, self.member, self.schedule = root, member, schedule
    self.history = history  # of the epochs before a resume

  def on_epoch_end(self, epoch, logs=None):
    for k, v in (logs or {}).items():
      self.history.setdefault(k, []).append(float(v))
    checkpoints.save(self.root, self.member, self.model, {
        'epochs_done': epoch + 1, 'finished': False,
        'learning_rate': float(self.model.optimizer.learning_rate.numpy()),
        'history': self.history, **self.schedule.state()},
                     self.schedule.best_weights)


def fit_one(config: TrainerConfig, matrix: np.ndarray, num_tags: int,
            num_chars: int, train: tf.data.Dataset,
            evaluation: tf.data.Dataset, tag_names: List[str],
            log_dir: str, checkpoint_root: str, member: int,
            callbacks: Sequence[keras.callbacks.Callback] = ()):
  """One tagger, early-stopped at its best eval entity F1; from its last
  checkpoint when a killed run left one. ``callbacks`` run after the
  tagger's own (experiments use them to look at every epoch)."""
  keras.utils.set_random_seed(config.seed)
  model = model_lib.build_model(matrix, num_tags, num_chars, config)
  model.summary(print_fn=logging.info)
  logging.info('Trainer: tagger %d of %d, at most %d epochs', member + 1,
               config.ensemble, config.epochs)
  state = checkpoints.load(checkpoint_root, member)
  if state is not None:
    checkpoints.restore(model, state)
    model.optimizer.learning_rate.assign(state['learning_rate'])
    logging.info('Trainer: tagger %d resumes after epoch %d', member + 1,
                 state['epochs_done'])
    if state['finished']:
      model.set_weights(state['weights'])
      return model, state['history'], state['epochs_done']
  schedule = PlateauSchedule(config.patience, config.lr_decay, resume=state)
  history = dict(state['history']) if state else {}
  callbacks = [EntityF1(evaluation, tag_names, member), schedule,
               EpochCheckpoint(checkpoint_root, member, schedule, history),
               keras.callbacks.TensorBoard(log_dir=log_dir), *callbacks]
  done = state['epochs_done'] if state else 0
  stopped = state is not None and state['wait'] >= config.patience
  if done < config.epochs and not stopped:
    # No validation_data: the eval pass that matters is EntityF1's.
    model.fit(train, epochs=config.epochs, initial_epoch=done,
              callbacks=callbacks, verbose=2)
  elif schedule.best_weights is not None:
    model.set_weights(schedule.best_weights)
  f1s = history.get('val_f1', [0.0])
  kept = schedule.best_epoch if schedule.best_weights is not None else (
      len(f1s) - 1)
  logging.info('Trainer: tagger %d stopped after %d epochs, keeps epoch %d '
               '(eval entity F1 %.4f)', member + 1, len(f1s), kept + 1,
               f1s[kept])
  checkpoints.save(checkpoint_root, member, model, {
      'epochs_done': len(history.get('loss', [])), 'finished': True,
      'learning_rate': float(model.optimizer.learning_rate.numpy()),
      'history': history, **schedule.state()}, None)
  return model, history, done


@dataclasses.dataclass(frozen=True)
class Job:
  """What training the taggers needs, as plain values, so that a worker
  process (``models.member_processes``) can rebuild the rest."""
  config: dict  # TrainerConfig's fields
  train_files: List[str]
  eval_files: List[str]
  transform_output: str
  embedding_uri: str
  model_run_dir: str
  checkpoint_root: str


class Inputs:
  """The Transform output, tag names, embedding matrix and character count
  of a Job, loaded once per process."""

  def __init__(self, job: Job):
    self.tft_output = tft.TFTransformOutput(job.transform_output)
    tags = self.tft_output.vocabulary_by_name(features.TAG_VOCAB)
    self.tag_names = [t.decode() if isinstance(t, bytes) else t for t in tags]
    if self.tag_names[0] != 'O':
      raise ValueError(f"the most frequent training tag is "
                       f"{self.tag_names[0]!r}, not 'O': is the tag column "
                       "the last one?")
    self.matrix = embedding_files.load_matrix(job.embedding_uri)
    self.num_chars = self.tft_output.vocabulary_size_by_name(
        features.CHAR_VOCAB) + 2


def train_dataset(file_patterns: List[str], feature_spec,
                  config: TrainerConfig, tag_names: List[str]
                  ) -> tf.data.Dataset:
  """A tagger's training batches: its seed alone sets their order and
  mention replacements, so that a tagger of a given seed sees the same data
  in the Trainer, in a worker process or in an experiment."""
  return dataset(file_patterns, feature_spec, config.batch_size, True,
                 config.seed, config.mention_replace, tag_names)


def member_config(job: Job, member: int) -> TrainerConfig:
  config = from_dict(TrainerConfig, job.config)
  return dataclasses.replace(config, seed=config.seed + member)


def train_member(job: Job, member: int, inputs: Optional[Inputs] = None):
  """Trains (or resumes, or loads when finished) one member: its seed sets
  its weights, dropout and the order and replacements of its data, so a
  member is the same whichever process trains it."""
  inputs = inputs or Inputs(job)
  config = member_config(job, member)
  spec = inputs.tft_output.transformed_feature_spec()
  train = train_dataset(job.train_files, spec, config, inputs.tag_names)
  evaluation = dataset(job.eval_files, spec, config.batch_size, False)
  return fit_one(config, inputs.matrix, len(inputs.tag_names),
                 inputs.num_chars, train, evaluation, inputs.tag_names,
                 os.path.join(job.model_run_dir, f'member-{member}'),
                 job.checkpoint_root, member)


def load_finished(job: Job, member: int, inputs: Inputs):
  """A member a worker process trained, from its final checkpoint."""
  state = checkpoints.load(job.checkpoint_root, member)
  if state is None or not state['finished']:
    raise RuntimeError(f'tagger {member + 1}: its worker ended without a '
                       f'final checkpoint in {job.checkpoint_root}')
  model = model_lib.build_model(inputs.matrix, len(inputs.tag_names),
                                inputs.num_chars, member_config(job, member))
  model.set_weights(state['weights'])
  return model, state['history']


def run_fn(fn_args: FnArgs) -> None:
  custom = dict(fn_args.custom_config or {})
  embedding_uri = custom.pop(embedding_files.URI_KEY)
  config = from_dict(TrainerConfig, custom)
  job = Job(
      config=dataclasses.asdict(config),
      train_files=list(fn_args.train_files),
      eval_files=list(fn_args.eval_files),
      transform_output=fn_args.transform_output, embedding_uri=embedding_uri,
      model_run_dir=fn_args.model_run_dir,
      # Keyed by what training depends on, beside the executions' outputs,
      # so that the rerun of a killed run finds it.
      checkpoint_root=checkpoints.folder(
          os.path.join(os.path.dirname(os.path.dirname(
              fn_args.model_run_dir)), '.checkpoints'),
          {'train': sorted(fn_args.train_files),
           'eval': sorted(fn_args.eval_files),
           'transform': fn_args.transform_output,
           'config': fn_args.custom_config}))
  inputs = Inputs(job)
  logging.info('Trainer: %d embedding rows x %d, %d tags, %s embeddings',
               inputs.matrix.shape[0], inputs.matrix.shape[1],
               len(inputs.tag_names),
               'static' if config.static_embeddings else 'fine-tuned')
  started = time.time()
  plan = member_processes.plan(config.ensemble)
  models, members = [], []
  if plan:
    workers, threads = plan
    logging.info('Trainer: %d taggers at once, in %d worker processes of %d '
                 'thread(s)', config.ensemble, workers, threads)
    resumed = member_processes.train(job, range(config.ensemble), workers,
                                     threads)
  for member in range(config.ensemble):
    if plan:
      model, history = load_finished(job, member, inputs)
      done = resumed[member]
    else:
      model, history, done = train_member(job, member, inputs)
    models.append(model)
    members.append({'seed': config.seed + member,
                    'epochs_run': len(history['loss']),
                    'best_val_f1': max(history['val_f1']),
                    'resumed_after_epoch': done,
                    'history': history})
  seconds = time.time() - started
  epochs_run = sum(m['epochs_run'] for m in members)
  spec = inputs.tft_output.transformed_feature_spec()
  tokens = sum(len(s[features.TOKEN_IDS])
               for s in batches.read(job.train_files, spec))
  stats = {'epochs_run': epochs_run, 'train_seconds': round(seconds, 1),
           'train_tokens_per_epoch': tokens,
           'train_tokens_per_second': round(tokens * epochs_run / seconds),
           'worker_processes': plan[0] if plan else 0,
           'members': members}
  tf.io.gfile.makedirs(fn_args.model_run_dir)
  atomic.write(os.path.join(fn_args.model_run_dir, TRAINING_STATS_FILE),
               json.dumps(stats, indent=2))
  logging.info('Trainer: %d tagger(s), %d epochs in %.0f s, %d tokens/s',
               len(models), epochs_run, seconds,
               stats['train_tokens_per_second'])
  export.export(models, inputs.tft_output, inputs.tag_names,
                fn_args.serving_model_dir)
  logging.info('Trainer: exported to %s', fn_args.serving_model_dir)
  checkpoints.remove(job.checkpoint_root)
