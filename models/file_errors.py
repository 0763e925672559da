"""The error a malformed input file raises: its message names the file and
the line, so that a user can fix the file without guessing."""

from typing import Optional


class FileFormatError(ValueError):
  """``path:line: problem``, or ``path: problem`` when no line applies."""

  def __init__(self, path: str, line: Optional[int], problem: str):
    super().__init__(f'{path}:{line}: {problem}' if line else
                     f'{path}: {problem}')
    self.path = path
    self.line = line
    self.problem = problem
