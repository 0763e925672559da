"""A scratch folder for a local run's temporary files, removed when the run
ends however it ends, and the removal of those that killed runs left."""

import contextlib
import fcntl
import glob
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Iterator

_SCRATCH_PREFIX = 'ner-pipeline-'
_LOCK = '.in-use'
# A folder whose lock is free is stale only once its lock file is this old:
# a run that has just created its folder may not hold the lock yet.
_STALE_AFTER_S = 60


def _lock(path: str, blocking: bool):
  """An open file holding an exclusive lock on ``path``, or None when another
  process holds it. The kernel drops the lock when its holder dies, even by
  SIGKILL, which no clean-up handler sees."""
  f = open(path, 'a')
  try:
    fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
  except BlockingIOError:
    f.close()
    return None
  return f


def remove_stale(parent: str) -> None:
  """Removes scratch folders that killed runs (SIGKILL, the OOM killer, a
  lost machine) left in ``parent``. Folders of live runs, of other users, or
  without a lock (older versions) are left alone."""
  for folder in glob.glob(os.path.join(parent, _SCRATCH_PREFIX + '*')):
    lock_path = os.path.join(folder, _LOCK)
    try:
      if time.time() - os.path.getmtime(lock_path) < _STALE_AFTER_S:
        continue
      held = _lock(lock_path, blocking=False)
    except OSError:  # no lock file, or not ours to open
      continue
    if held is None:
      continue
    with held:
      shutil.rmtree(folder, ignore_errors=True)
    logging.info('Removed %s, the scratch folder of a run that was killed',
                 folder)


@contextlib.contextmanager
def tempdir() -> Iterator[str]:
  """Points temporary files of the run, its Beam workers' too, at one folder
  that is removed when the run ends, failed or not.

  Every Beam-based TFX executor builds a ~50 MB source package of TFX in a
  fresh temporary folder for remote Beam workers (even on the DirectRunner)
  and never removes it: without this, each run left ~150 MB in /tmp.
  SIGTERM (``kill``, a scheduler's timeout) ends the run through the same
  clean-up as an error or Ctrl-C. A run killed outright leaves its folder
  behind, unlocked: the next run removes it.
  """
  remove_stale(tempfile.gettempdir())
  scratch = tempfile.mkdtemp(prefix=_SCRATCH_PREFIX)
  in_use = _lock(os.path.join(scratch, _LOCK), blocking=True)
  saved_tempdir, saved_env = tempfile.tempdir, os.environ.get('TMPDIR')
  tempfile.tempdir = os.environ['TMPDIR'] = scratch
  main = threading.current_thread() is threading.main_thread()
  if main:
    saved_handler = signal.signal(
        signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
  try:
    yield scratch
  finally:
    if main:
      signal.signal(signal.SIGTERM, saved_handler)
    tempfile.tempdir = saved_tempdir
    if saved_env is None:
      del os.environ['TMPDIR']
    else:
      os.environ['TMPDIR'] = saved_env
    shutil.rmtree(scratch, ignore_errors=True)
    in_use.close()


_OUTPUT_LOCK = '.run.lock'


class OutputInUse(RuntimeError):
  """Another run holds the --output folder."""


@contextlib.contextmanager
def output_lock(output_dir: str) -> Iterator[None]:
  """Holds ``output_dir`` for one run: a second run into it at once fails
  at the start instead of writing into the same metadata store. The lock is
  the kernel's, so a killed run releases it."""
  os.makedirs(output_dir, exist_ok=True)
  path = os.path.join(output_dir, _OUTPUT_LOCK)
  held = _lock(path, blocking=False)
  if held is None:
    with open(path) as f:
      owner = f.read().strip() or 'another process'
    raise OutputInUse(f'{output_dir} is in use by another run ({owner}); '
                      'wait for it to end or give another --output')
  with held:
    held.truncate(0)
    held.write(f'pid {os.getpid()}')
    held.flush()
    yield
