"""Version folders of a serving directory, the TF Serving layout: integer
names, the newest serves. A folder counts only once it is complete (its
SavedModel and variables index are there, and on an object store such as
gs://, where a push cannot rename a folder into place, the marker the push
writes last), so a reader never takes a version that is still being
copied."""

import os
from typing import List, Optional

import tensorflow as tf

# Written last into each pushed version (components/pusher.py): which model,
# when.
MARKER = 'PUSHED.json'


def is_complete(path: str) -> bool:
  if '://' in path and not tf.io.gfile.exists(os.path.join(path, MARKER)):
    return False
  return (tf.io.gfile.exists(os.path.join(path, 'saved_model.pb')) and
          tf.io.gfile.exists(os.path.join(path, 'variables',
                                          'variables.index')))


def complete_versions(base: str) -> List[int]:
  """Version numbers of the complete version folders under ``base``."""
  if not tf.io.gfile.isdir(base):
    return []
  names = (n.strip('/') for n in tf.io.gfile.listdir(base))
  return sorted(int(n) for n in names
                if n.isdigit() and is_complete(os.path.join(base, n)))


def fingerprint(path: str) -> List[tuple]:
  """(file, size) of every file under ``path``: changes while a copy goes on."""
  files = []
  for folder, _, names in tf.io.gfile.walk(path):
    for name in names:
      full = os.path.join(folder, name)
      files.append((full, tf.io.gfile.stat(full).length))
  return sorted(files)


def model_dir(path: str) -> Optional[str]:
  """``path`` if it is a SavedModel, else its newest complete version."""
  if tf.io.gfile.exists(os.path.join(path, 'saved_model.pb')):
    return path
  versions = complete_versions(path)
  return os.path.join(path, str(versions[-1])) if versions else None
