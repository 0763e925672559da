"""What a killed run leaves in ML Metadata: executions still marked RUNNING
(no process will ever finish them). The next run into the same --output
marks them CANCELED before it starts, so the store tells the truth; their
finished predecessors are reused through the cache, and the Trainer resumes
from its epoch checkpoints (``models/checkpoints.py``)."""

import os
from typing import List

from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata

_UNFINISHED = (metadata_store_pb2.Execution.RUNNING,
               metadata_store_pb2.Execution.NEW)


def unfinished(metadata_path: str) -> List[metadata_store_pb2.Execution]:
  if not os.path.exists(metadata_path):
    return []
  with metadata.Metadata(metadata.sqlite_metadata_connection_config(
      metadata_path)) as store:
    return [e for e in store.store.get_executions()
            if e.last_known_state in _UNFINISHED]


def cancel_unfinished(metadata_path: str) -> List[str]:
  """Marks the executions a killed run left RUNNING as CANCELED; returns
  their component ids. Call only while holding the output (one run at a
  time), when no execution can be running."""
  stale = unfinished(metadata_path)
  if not stale:
    return []
  with metadata.Metadata(metadata.sqlite_metadata_connection_config(
      metadata_path)) as store:
    for execution in stale:
      execution.last_known_state = metadata_store_pb2.Execution.CANCELED
      execution.custom_properties['cancelled_by'].string_value = (
          'the next ner-pipeline run: the run was killed')
    store.store.put_executions(stale)
  return [e.type.rsplit('.', 1)[-1] for e in stale]
