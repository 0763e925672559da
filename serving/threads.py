"""How many threads TensorFlow gives a process that tags.

TensorFlow's default on a CPU splits each operation over every core. A
tagger's operations are small (one LSTM step of a batch), so splitting them
costs more than it gains; one thread per operation, with as many operations
at once as there are cores, runs an ensemble's members and a BiLSTM's two
directions side by side instead. On 2 cores (docs/benchmarks.md,
"Inference through the exported model") `tag_tokens` went from 22,491 to
31,633 tokens/s for the default ensemble, a sentence from 5.03 to 4.86 ms.
"""

import os

import tensorflow as tf


def cores() -> int:
  """The cores this process may run on."""
  try:
    return len(os.sched_getaffinity(0))
  except AttributeError:  # not Linux
    return os.cpu_count() or 1


def for_tagging() -> bool:
  """One thread per operation, ``cores()`` operations at once. TensorFlow
  takes this only before its first operation in the process: returns False,
  changing nothing, after it."""
  try:
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(cores())
  except RuntimeError:  # "cannot be modified after initialization"
    return False
  return True
