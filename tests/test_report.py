"""``ner-pipeline report`` outside a run, and the browser check the report
tests rely on (test_pipeline.py renders a real run's report)."""

import browser
from pipeline import cli


def test_report_of_a_folder_without_a_run_says_so(tmp_path, capsys):
  assert cli.main(['report', str(tmp_path)]) == 1
  err = capsys.readouterr().err
  assert f'{tmp_path}: no metadata.sqlite: not the --output of a run' in err
  assert 'Traceback' not in err
  assert not (tmp_path / 'report.html').exists()


def test_the_browser_check_sees_errors_broken_images_and_fetches(tmp_path):
  # What the report test asserts is absent, shown to be caught.
  page = tmp_path / 'broken.html'
  page.write_text(
      '<!DOCTYPE html><html><body><p>text</p>'
      '<img src="missing.png"><img src="http://192.0.2.1/x.png">'
      '<script>console.error("drawn wrong"); undefinedFunction();</script>'
      '</body></html>')
  seen = browser.visit(str(page))
  assert any('drawn wrong' in e for e in seen['console_errors'])
  assert seen['exceptions']  # the call to an undefined function
  assert any(u.startswith('http://192.0.2.1') for u in seen['requests'])
  assert [i['width'] for i in seen['images']] == [0, 0]
  assert seen['screenshot'].startswith(b'\x89PNG')
