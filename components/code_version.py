"""A fingerprint of the project's code, set as an execution property of
every component that runs it. TFX's cache key holds a component's
properties and inputs, not the code behind a module path such as
``models.trainer.run_fn``, so without it ``--cache`` would reuse outputs
made by other code."""

import functools
import hashlib
import os

from tfx.types.component_spec import ExecutionParameter

KEY = 'code_version'
PARAMETER = {KEY: ExecutionParameter(type=str, optional=True)}
PACKAGES = ('models', 'components', 'serving')


def fingerprint(root: str) -> str:
  """A hash of the .py files of PACKAGES under ``root``, names included."""
  digest = hashlib.sha256()
  for package in PACKAGES:
    for folder, dirs, names in os.walk(os.path.join(root, package)):
      dirs.sort()
      for name in sorted(n for n in names if n.endswith('.py')):
        path = os.path.join(folder, name)
        digest.update(os.path.relpath(path, root).encode() + b'\0')
        with open(path, 'rb') as f:
          digest.update(f.read() + b'\0')
  return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def current() -> str:
  return fingerprint(os.path.dirname(os.path.dirname(os.path.abspath(
      __file__))))
