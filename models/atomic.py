"""Files written whole or not at all: into a temporary name beside the
target, renamed over it once complete. Through tf.io.gfile, so on gs:// too,
where the renamed object appears whole. A reader never sees half a file, and
a run killed while writing leaves the previous file (or none)."""

import contextlib
import uuid
from typing import Iterator, Union

import tensorflow as tf

PARTIAL = '.partial-'  # in the names of files being written


@contextlib.contextmanager
def open_for_writing(path: str, mode: str = 'w') -> Iterator:
  partial = f'{path}{PARTIAL}{uuid.uuid4().hex[:8]}'
  try:
    with tf.io.gfile.GFile(partial, mode) as f:
      yield f
    tf.io.gfile.rename(partial, path, overwrite=True)
  finally:
    if tf.io.gfile.exists(partial):
      tf.io.gfile.remove(partial)


def write(path: str, data: Union[str, bytes]) -> None:
  with open_for_writing(path, 'wb' if isinstance(data, bytes) else 'w') as f:
    f.write(data)
