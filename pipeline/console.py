"""The face of a run on the terminal: one line as each component starts and
ends, one per trained tagger, and a short summary; everything the libraries
log (TFX, Beam, absl, TensorFlow, Keras, including what native code and Beam
workers write to the process's stdout and stderr) goes to ``run.log`` in
``--output``. ``--verbose`` leaves the terminal as it was and still writes
the Python logs to ``run.log``.
"""

import contextlib
import logging
import os
import shutil
import sys
import time
from typing import Dict, Iterator, List, Optional, TextIO

RUN_LOG = 'run.log'


def _elapsed(seconds: float) -> str:
  minutes, seconds = divmod(int(round(seconds)), 60)
  return f'{minutes}m{seconds:02d}s' if minutes else f'{seconds}s'


class _Progress(logging.Handler):
  """Turns the log records that mark progress into terminal lines, and, on a
  terminal, into progress bars with ETA (tqdm) for Word2Vec's epochs, each
  tagger's epochs (with its training loss and eval F1) and the evaluation's
  tagging, which vanish when done."""

  def __init__(self, say, terminal: TextIO):
    super().__init__(logging.INFO)
    self.say = say
    self.terminal = terminal if _is_tty(terminal) else None
    self.bar = None
    self.started: Dict[str, float] = {}
    self.cap: Optional[int] = None  # the epoch cap of the taggers' bar

  def _open_bar(self, total: int, label: str, unit: str = 'epoch') -> None:
    self._close_bar()
    if self.terminal is not None:
      import tqdm  # pylint: disable=g-import-not-at-top
      width = shutil.get_terminal_size().columns  # 80 when unknown
      # Updates are rare (an epoch, a batch): each is drawn (mininterval
      # 0), with the count, the ETA and the loss and F1 in 80 columns.
      self.bar = tqdm.tqdm(
          total=total, desc=label, unit=unit, leave=False, mininterval=0,
          miniters=1, file=self.terminal, ncols=min(width, 100),
          bar_format='{desc}: {bar:12} {n_fmt}/{total_fmt} '
          '[{elapsed}<{remaining}{postfix}]')

  def _close_bar(self) -> None:
    if self.bar is not None:
      self.bar.close()
      self.bar = None
    self.cap = None

  def emit(self, record: logging.LogRecord) -> None:
    msg = record.msg if isinstance(record.msg, str) else ''
    if msg.startswith('Training Word2Vec:'):
      self._open_bar(record.args[3], '    Word2Vec')
    elif msg.startswith('EPOCH %i: training on') and self.bar is not None:
      self.bar.update(1)
    elif msg == 'Trainer: tagger %d of %d, at most %d epochs':
      # One bar for all the taggers, which may train at once: as many
      # steps as their epoch caps, fewer as each stops early.
      if self.cap is None:
        _, count, cap = record.args
        self._open_bar(count * cap, '    tagger 1 of 1' if count == 1
                       else f'    {count} taggers')
        self.cap = cap
    elif msg == ('Trainer: tagger %d epoch %d loss %.4f eval entity F1 %.4f'
                 ) and self.bar:
      tagger, _, loss, f1 = record.args
      self.bar.set_postfix_str(f'tagger {tagger}: loss {loss:.3f}, eval F1 '
                               f'{100 * f1:.2f}', refresh=False)
      self.bar.update(1)
    elif msg == 'NerEvaluator: tagging %d sentences with %s':
      self._open_bar(record.args[0], '    evaluation', 'sentence')
    elif msg == 'NerEvaluator: tagged %d of %d sentences' and self.bar:
      self.bar.update(record.args[0] - self.bar.n)
    elif msg == 'Component %s is running.':
      self.started[record.args[0]] = time.time()
      self.say(f'  {record.args[0]} ...')
    elif msg == 'Component %s is finished.':
      self._close_bar()
      took = time.time() - self.started.get(record.args[0], time.time())
      self.say(f'  {record.args[0]} done in {_elapsed(took)}')
    elif msg.startswith('Trainer: tagger %d stopped after %d epochs'):
      tagger, epochs, kept, f1 = record.args
      if self.bar is not None and self.cap:
        self.bar.total -= max(0, self.cap - epochs)
      self._say(f'    tagger {tagger}: best eval entity F1 {100 * f1:.2f} '
                f'at epoch {kept}')
    elif msg == 'Trainer: tagger %d resumes after epoch %d':
      if self.bar is not None:
        self.bar.update(record.args[1])
      self._say(f'    tagger {record.args[0]} resumes after epoch '
                f'{record.args[1]} (a killed run\'s checkpoint)')

  def _say(self, line: str) -> None:
    """A line above the bar, which is drawn again below it."""
    if self.bar is None:
      self.say(line)
      return
    self.bar.clear()
    self.say(line)
    self.bar.refresh()


class Console:
  """Where a run's own lines go: the terminal, or the test's sys.stdout."""

  def __init__(self, stream: TextIO):
    self.stream = stream

  def say(self, line: str) -> None:
    self.stream.write(line + '\n')
    self.stream.flush()


@contextlib.contextmanager
def run_console(output_dir: str, verbose: bool) -> Iterator[Console]:
  """Sends the libraries' output to OUTPUT/run.log for the duration of the
  run, and yields the Console for the run's own lines."""
  os.makedirs(output_dir, exist_ok=True)
  log = open(os.path.join(output_dir, RUN_LOG), 'a', buffering=1)
  root = logging.getLogger()
  saved_handlers, saved_level = list(root.handlers), root.level
  file_handler = logging.StreamHandler(log)
  file_handler.setFormatter(logging.Formatter(
      '%(asctime)s %(levelname)s %(name)s: %(message)s'))
  redirected: List[tuple] = []
  progress, real_stdout = None, False
  try:
    sys.stdout.flush()
    sys.stderr.flush()
    real_stdout = _is_fd(sys.stdout, 1)
    terminal = os.fdopen(os.dup(1), 'w', buffering=1) if real_stdout else (
        sys.stdout)
    console = Console(terminal)
    if not verbose:
      root.handlers = []  # absl's handler among them: no more stderr lines
      for fd in (1, 2):
        if _is_fd(sys.stdout if fd == 1 else sys.stderr, fd):
          redirected.append((fd, os.dup(fd)))
          os.dup2(log.fileno(), fd)
    root.addHandler(file_handler)
    progress = _Progress(console.say, terminal)
    root.addHandler(progress)
    root.setLevel(logging.INFO)
    # TFX says when a component starts and ends through absl at INFO, and
    # something in the Trainer's imports sets absl's verbosity to WARNING:
    # the level is pinned for the run (everything goes to run.log anyway).
    absl = logging.getLogger('absl')
    absl.setLevel(logging.INFO)
    absl.setLevel = lambda level: None
    yield console
  finally:
    sys.stdout.flush()
    sys.stderr.flush()
    for fd, saved in redirected:
      os.dup2(saved, fd)
      os.close(saved)
    if progress is not None:
      progress._close_bar()  # pylint: disable=protected-access
    root.handlers, root.level = saved_handlers, saved_level
    absl = logging.getLogger('absl')
    if 'setLevel' in vars(absl):
      del absl.setLevel
    log.close()
    if real_stdout:
      terminal.close()


def summary_lines(result: Dict) -> List[str]:
  """The few lines a person reads at the end of a run (the whole summary
  is in last_run.json)."""
  lines = []
  for split, c in result.get('data', {}).items():
    lines.append(f"  {split}: {c['sentences']:,} sentences, {c['tokens']:,} "
                 'tokens' + (f", {c['sentences_cut']} cut" if c[
                     'sentences_cut'] else ''))
  emb = result.get('embedding')
  if emb:
    lines.append(f"  embeddings: {emb['source']}, {emb['vocab_size']:,} "
                 f"words x {emb['dim']}, {100 * emb['train_token_coverage']:.1f}"
                 f"% of training tokens with a vector, eval OOV "
                 f"{100 * emb['eval_oov_rate']:.1f}%")
  evaluation = result.get('eval')
  if evaluation:
    per_type = ', '.join(f"{t} {100 * m['f1']:.2f}" for t, m in sorted(
        evaluation['per_type'].items()))
    lines.append(f"  eval entity F1 {100 * evaluation['f1']:.2f} (P "
                 f"{100 * evaluation['precision']:.2f}, R "
                 f"{100 * evaluation['recall']:.2f}): {per_type}")
    verdict = 'blessed' if result.get('blessed') else 'NOT blessed'
    lines.append(f"  gate: {verdict}: {result.get('gate', '')}")
  test = result.get('test')
  if test:
    lines.append(f"  test entity F1 {100 * test['f1']:.2f} on "
                 f"{test['sentences']:,} sentences ({test['note']})")
  drift = result.get('drift')
  if drift:
    lines.append(f"  drift: eval OOV {drift['oov_rate_baseline']:.3f} -> "
                 f"{drift['oov_rate_new']:.3f}, tags {drift['tag_drift']:.3f},"
                 f" lengths {drift['length_drift']:.3f} (L-infinity)")
  pushed = result.get('pushed')
  lines.append(f"  pushed: version {pushed['version']} to {pushed['path']}"
               if pushed else '  pushed: nothing')
  if result.get('report'):
    lines.append(f"  report: {result['report']}")
  return lines


def _is_tty(stream) -> bool:
  try:
    return stream.isatty()
  except (AttributeError, ValueError):
    return False


def _is_fd(stream, fd: int) -> bool:
  try:
    return stream.fileno() == fd
  except (AttributeError, OSError, ValueError):
    return False  # a test's capture object
