"""The layers of docs/architecture.md, checked on every import statement."""

import ast
import os

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PROJECT = ('benchmarks', 'pipeline', 'components', 'serving', 'models')
# What each folder may import of the project.
_ALLOWED = {
    'serving': {'serving'},
    'models': {'models', 'serving'},
    'components': {'components', 'serving', 'models'},
    'pipeline': {'pipeline', 'components', 'serving', 'models'},
    'benchmarks': set(_PROJECT),
}


def _project_imports(path):
  """(line, top-level project package) of every import in a file, those
  inside functions too."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
      names = [node.module]
    else:
      continue
    for name in names:
      top = name.split('.')[0]
      if top in _PROJECT:
        yield node.lineno, top


@pytest.mark.parametrize('folder', sorted(_ALLOWED))
def test_imports_run_one_way(folder):
  wrong = []
  for name in sorted(os.listdir(os.path.join(_ROOT, folder))):
    if name.endswith('.py'):
      path = os.path.join(_ROOT, folder, name)
      wrong += [f'{folder}/{name}:{line} imports {top}'
                for line, top in _project_imports(path)
                if top not in _ALLOWED[folder]]
  assert not wrong


def test_config_is_the_bottom():
  path = os.path.join(_ROOT, 'models', 'config.py')
  assert list(_project_imports(path)) == []


def test_the_checker_sees_a_wrong_import(tmp_path):
  bad = tmp_path / 'bad.py'
  bad.write_text('def f():\n  from pipeline import cli\n')
  assert list(_project_imports(str(bad))) == [(2, 'pipeline')]
