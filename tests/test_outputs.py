from pipeline import outputs


def test_latest_execution_compares_ids_as_numbers(tmp_path):
  assert outputs.latest_execution(str(tmp_path / 'absent')) is None
  assert outputs.latest_execution(str(tmp_path)) is None
  for name in ('9', '10', '.system', 'notes'):
    (tmp_path / name).mkdir()
  assert outputs.latest_execution(str(tmp_path)) == str(tmp_path / '10')
