"""An ensemble's taggers trained at once, one worker process each.

On a CPU one tagger's training steps are too small to keep two cores busy:
measured on 2 cores (docs/benchmarks.md, "Taggers side by side"), an epoch of
``benchmarks.step_benchmark`` took 9.5 s with two threads and 12.4 s with
one, and two or three one-thread taggers side by side 12.5 and 20.3 s: 6.2
and 6.8 s a tagger. So an ensemble trains its taggers at once, each in a
fresh process (spawned: TensorFlow does not survive a
fork) that trains its member to the member's final checkpoint
(``models.checkpoints``), from which the parent loads the weights.

Workers die with their parent (a run killed by SIGKILL leaves none
training), send their log records to it (the run's log and progress show
every tagger), and a worker's error is raised in the parent with its
traceback.
"""

import ctypes
import dataclasses
import logging
import multiprocessing
import os
import pickle
import queue as queue_lib
import signal
import traceback
from typing import Dict, Iterable, Optional, Tuple

import tensorflow as tf

from serving import threads as serving_threads

# A worker process per tagger, up to twice the cores: three one-thread
# taggers on two cores trained nearly as fast a tagger as two did.
_OVERSUBSCRIBE = 2


def plan(ensemble: int) -> Optional[Tuple[int, int]]:
  """(worker processes at once, threads each), or None to train the taggers
  one after another in this process: one tagger, one core, or a GPU (which
  one process uses best)."""
  n = serving_threads.cores()
  if ensemble < 2 or n < 2 or tf.config.list_physical_devices('GPU'):
    return None
  workers = min(ensemble, _OVERSUBSCRIBE * n)
  return workers, max(1, n // workers)


class WorkerError(RuntimeError):
  """A tagger's worker process failed; the message holds its traceback."""


def train(job, members: Iterable[int], workers: int,
          threads: int) -> Dict[int, int]:
  """Trains ``members`` of ``job`` (a ``trainer.Job``), ``workers`` at once;
  returns the epoch each resumed after (0 when it started afresh)."""
  context = multiprocessing.get_context('spawn')
  messages = context.Queue()
  pending, running, resumed = list(members), {}, {}
  level = logging.getLogger().getEffectiveLevel()

  def handle(message):
    kind, member, payload = message
    if kind == 'log':
      logging.getLogger(payload.name).handle(payload)
    elif kind == 'done':
      resumed[member] = payload
      running.pop(member).join()
    else:
      raise WorkerError(f'tagger {member + 1} failed in its worker process:'
                        f'\n{payload}')

  try:
    while pending or running:
      while pending and len(running) < workers:
        member = pending.pop(0)
        running[member] = context.Process(
            target=_work, name=f'tagger-{member + 1}', daemon=True,
            args=(dataclasses.asdict(job), member, threads, messages,
                  os.getpid(), level))
        running[member].start()
      try:
        handle(messages.get(timeout=1.0))
      except queue_lib.Empty:
        for member, process in list(running.items()):
          if process.exitcode is None:
            continue
          # Whatever it sent before it ended is in the queue by now.
          while True:
            try:
              handle(messages.get(timeout=0.5))
            except queue_lib.Empty:
              break
          if member in running:
            raise WorkerError(
                f'tagger {member + 1}: its worker process ended with exit '
                f'code {process.exitcode} before finishing (killed, or out '
                'of memory?)')
  finally:
    for process in running.values():
      process.kill()
      process.join()
  return resumed


class _Forward(logging.Handler):
  """Sends a worker's log records to the parent, arguments kept (the
  parent's progress display reads them)."""

  def __init__(self, messages, member: int):
    super().__init__()
    self.messages, self.member = messages, member

  def emit(self, record: logging.LogRecord) -> None:
    try:
      if record.exc_info:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
      try:
        pickle.dumps(record.args)
      except Exception:  # pylint: disable=broad-except
        record.msg, record.args = record.getMessage(), None
      self.messages.put(('log', self.member, record))
    except Exception:  # pylint: disable=broad-except
      self.handleError(record)


def _die_with(parent: int) -> None:
  """Asks Linux to SIGKILL this process when its parent dies."""
  try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
  except (AttributeError, OSError):  # not Linux
    pass
  if os.getppid() != parent:  # the parent died before we asked
    os._exit(1)  # pylint: disable=protected-access


def _work(job: dict, member: int, threads: int, messages, parent: int,
          level: int) -> None:
  _die_with(parent)
  root = logging.getLogger()
  forward = _Forward(messages, member)
  root.handlers, root.level = [forward], level
  try:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from models import trainer  # pylint: disable=g-import-not-at-top
    root.handlers = [forward]  # imports may have added absl's
    _, _, resumed = trainer.train_member(trainer.Job(**job), member)
    messages.put(('done', member, resumed))
  except BaseException:  # pylint: disable=broad-except
    messages.put(('error', member, traceback.format_exc()))
    messages.close()
    messages.join_thread()
    os._exit(1)  # pylint: disable=protected-access
  messages.close()
  messages.join_thread()
