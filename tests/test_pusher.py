"""The push: atomic on a local disk, marked last on an object store, and
never a half version for a reader."""

import json
import os
import time

import pytest
import small_model
import tensorflow as tf

from components import pusher
from serving import versions


@pytest.fixture(scope='module')
def saved_model(tmp_path_factory):
  return small_model.save(str(tmp_path_factory.mktemp('model') / 'model'))


def test_no_version_is_visible_until_it_is_whole(saved_model, tmp_path,
                                                 monkeypatch):
  base = str(tmp_path / 'serving')
  seen = []
  copy_file = pusher.io_utils.copy_file

  def watching_copy_file(src, dst, *args, **kwargs):
    # The last file of the copy: what a server polling the base sees now.
    seen.append((sorted(os.listdir(base)), versions.complete_versions(base)))
    return copy_file(src, dst, *args, **kwargs)

  monkeypatch.setattr(pusher.io_utils, 'copy_file', watching_copy_file)
  version = pusher.push(saved_model, base, 'model-uri-1')
  names, complete = seen[0]
  assert complete == [] and not [n for n in names if n.isdigit()]
  assert [n for n in names if n.startswith('.partial-')]
  assert os.listdir(base) == [version]  # renamed, nothing left beside it
  with open(os.path.join(base, version, versions.MARKER)) as f:
    assert json.load(f)['model_uri'] == 'model-uri-1'
  assert pusher.pushed_models(base) == {'model-uri-1': int(version)}
  # A second push in the same second still gets a newer version.
  again = pusher.push(saved_model, base, 'model-uri-2')
  assert int(again) > int(version)


def test_a_failed_copy_leaves_no_version_and_no_partial_folder(
    saved_model, tmp_path, monkeypatch):
  base = str(tmp_path / 'serving')

  def disk_full(*args, **kwargs):
    raise OSError(28, 'No space left on device')

  monkeypatch.setattr(pusher.io_utils, 'copy_file', disk_full)
  with pytest.raises(OSError, match='No space left'):
    pusher.push(saved_model, base, 'model-uri')
  assert os.listdir(base) == []


def test_leftovers_of_a_killed_push_are_removed_once_stale(saved_model,
                                                           tmp_path):
  base = tmp_path / 'serving'
  old, fresh = base / '.partial-1-aaaa', base / '.partial-2-bbbb'
  old.mkdir(parents=True)
  fresh.mkdir()
  os.utime(old, (time.time() - 7200,) * 2)
  pusher.push(saved_model, str(base), 'model-uri')
  assert not old.exists() and fresh.exists()


def test_on_an_object_store_a_version_counts_once_its_marker_is_there(
    saved_model):
  base = 'ram://serving-test'
  version = pusher.push(saved_model, base, 'model-uri')
  assert versions.complete_versions(base) == [int(version)]
  # The same files without the marker, as a push cut off before its end.
  half = f'{base}/{int(version) + 1}'
  for folder, _, names in tf.io.gfile.walk(f'{base}/{version}'):
    for name in names:
      if name != versions.MARKER:
        target = folder.replace(f'{base}/{version}', half)
        tf.io.gfile.makedirs(target)
        tf.io.gfile.copy(f'{folder}/{name}', f'{target}/{name}')
  assert versions.complete_versions(base) == [int(version)]
  assert versions.model_dir(base) == f'{base}/{version}'
