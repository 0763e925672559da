"""The report's figures, drawn by matplotlib (no display: the Agg backend)
into PNG data URIs, so that report.html holds its images and fetches
nothing."""

import base64
import io
from typing import Dict, List, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position

_DPI = 100


def _data_uri(figure) -> str:
  buffer = io.BytesIO()
  figure.tight_layout()
  figure.savefig(buffer, format='png', dpi=_DPI)
  plt.close(figure)
  return 'data:image/png;base64,' + base64.b64encode(
      buffer.getvalue()).decode('ascii')


def length_histograms(lengths: Dict[str, Sequence[int]]) -> str:
  """Sentence lengths in tokens, one panel per split."""
  figure, axes = plt.subplots(1, len(lengths), figsize=(
      3.2 * len(lengths), 2.6), squeeze=False)
  longest = max((max(v) for v in lengths.values() if v), default=1)
  bins = range(1, longest + 2, max(1, (longest + 1) // 40))
  for ax, (split, values) in zip(axes[0], lengths.items()):
    ax.hist(values, bins=bins, color='#4477aa')
    ax.set_title(split)
    ax.set_xlabel('tokens per sentence')
  axes[0][0].set_ylabel('sentences')
  return _data_uri(figure)


def training_curves(members: List[Dict]) -> str:
  """Training loss and eval entity F1 by epoch, a line per member, with
  the epoch each member kept marked."""
  figure, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(9, 3))
  for n, member in enumerate(members):
    history = member['history']
    epochs = range(1, len(history.get('loss', [])) + 1)
    label = f"tagger {n + 1} (seed {member['seed']})"
    loss_ax.plot(epochs, history.get('loss', []), marker='.', label=label)
    f1 = [100 * v for v in history.get('val_f1', [])]
    line, = f1_ax.plot(range(1, len(f1) + 1), f1, marker='.', label=label)
    if f1:
      best = max(range(len(f1)), key=f1.__getitem__)
      f1_ax.plot([best + 1], [f1[best]], marker='*', markersize=12,
                 color=line.get_color())
  loss_ax.set(title='training loss', xlabel='epoch')
  f1_ax.set(title='eval entity F1 (* = kept)', xlabel='epoch')
  f1_ax.legend(fontsize=8)
  return _data_uri(figure)


def confusion_matrix(rows: List[str], cols: List[str],
                     counts: List[List[int]]) -> str:
  """Gold entity types (and spurious) down, predicted types (and missed)
  across; the colour is the row's share, so rare types read too."""
  figure, ax = plt.subplots(figsize=(0.75 * len(cols) + 1.6,
                                     0.42 * len(rows) + 1.0))
  shares = [[c / max(1, sum(row)) for c in row] for row in counts]
  ax.imshow(shares, cmap='Blues', vmin=0, vmax=1, aspect='auto')
  ax.set_xticks(range(len(cols)), cols)
  ax.set_yticks(range(len(rows)), rows)
  ax.set_xlabel('predicted')
  ax.set_ylabel('gold')
  for i, row in enumerate(counts):
    for j, count in enumerate(row):
      ax.text(j, i, str(count), ha='center', va='center',
              color='white' if shares[i][j] > 0.6 else 'black', fontsize=9)
  return _data_uri(figure)


def f1_by_word_kind(kinds: Dict[str, Dict]) -> str:
  """F1 of each kind of entity, its number of gold entities on the bar."""
  figure, ax = plt.subplots(figsize=(5, 2.4))
  names = list(kinds)
  bars = ax.barh(names, [100 * kinds[k]['f1'] for k in names],
                 color='#66aa55')
  for bar, name in zip(bars, names):
    ax.text(1, bar.get_y() + bar.get_height() / 2,
            f"{kinds[name]['gold']} gold", va='center', fontsize=8)
  ax.set_xlim(0, 100)
  ax.set_xlabel('entity F1')
  ax.invert_yaxis()
  return _data_uri(figure)
