"""Epoch checkpoints of the Trainer, so that a run killed while training
resumes from the last finished epoch instead of from scratch.

A checkpoint folder is keyed by what the training depends on (its input
files, transform graph and settings): a rerun on the same inputs finds it,
one on other inputs does not. Each member keeps, after every epoch, its
weights, its optimizer's variables, the state of the plateau schedule and
its history so far; a finished member also says so. Files are written whole
or not at all (``models.atomic``), the state last, so a kill while writing
leaves the previous epoch's checkpoint. The folder is removed once the
Trainer has exported its model.
"""

import hashlib
import io
import json
import os
from typing import Any, Dict, List, Optional

import keras
import numpy as np
import tensorflow as tf

from models import atomic

STATE_FILE = 'state.json'
ARRAYS_FILE = 'arrays.npz'


def folder(parent: str, key: Dict[str, Any]) -> str:
  digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode())
  return os.path.join(parent, digest.hexdigest()[:16])


def _member(root: str, member: int) -> str:
  return os.path.join(root, f'member-{member}')


def save(root: str, member: int, model: keras.Model, state: Dict[str, Any],
         best_weights: Optional[List[np.ndarray]]) -> None:
  path = _member(root, member)
  tf.io.gfile.makedirs(path)
  arrays = {f'w{i}': w for i, w in enumerate(model.get_weights())}
  arrays.update({f'o{i}': v.numpy() for i, v in
                 enumerate(model.optimizer.variables)})
  for i, w in enumerate(best_weights or []):
    arrays[f'b{i}'] = w
  buf = io.BytesIO()
  np.savez(buf, **arrays)
  # The arrays first, under a name of their epoch, then the state naming
  # them: a kill between the two leaves the previous pair whole.
  name = f"epoch-{state['epochs_done']}-{ARRAYS_FILE}"
  atomic.write(os.path.join(path, name), buf.getvalue())
  atomic.write(os.path.join(path, STATE_FILE),
               json.dumps({**state, 'arrays': name}))
  for old in tf.io.gfile.listdir(path):
    if old.endswith(ARRAYS_FILE) and old != name:
      tf.io.gfile.remove(os.path.join(path, old))


def load(root: str, member: int) -> Optional[Dict[str, Any]]:
  """The member's state with its arrays under 'weights', 'optimizer' and
  'best_weights', or None."""
  path = _member(root, member)
  if not tf.io.gfile.exists(os.path.join(path, STATE_FILE)):
    return None
  with tf.io.gfile.GFile(os.path.join(path, STATE_FILE)) as f:
    state = json.load(f)
  with tf.io.gfile.GFile(os.path.join(path, state['arrays']), 'rb') as f:
    arrays = np.load(io.BytesIO(f.read()))
    pick = lambda prefix: [arrays[f'{prefix}{i}'] for i in range(sum(
        k.startswith(prefix) for k in arrays.files))]
    state.update(weights=pick('w'), optimizer=pick('o'),
                 best_weights=pick('b') or None)
  return state


def restore(model: keras.Model, state: Dict[str, Any]) -> None:
  """Weights and optimizer variables of a checkpoint into a fresh model."""
  model.set_weights(state['weights'])
  model.optimizer.build(model.trainable_variables)
  for variable, value in zip(model.optimizer.variables, state['optimizer']):
    variable.assign(value)


def remove(root: str) -> None:
  if tf.io.gfile.exists(root):
    tf.io.gfile.rmtree(root)
