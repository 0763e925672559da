"""Opens a page in headless Chromium (Debian's ``chromium``) and reports
what a person would meet: console errors, uncaught exceptions, requests
that leave the page, images that did not load, and a screenshot.

Talks to Chromium over the DevTools protocol with aiohttp's WebSocket
client (aiohttp is in the lock), so no browser driver is needed.
"""

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from typing import Dict, List

import pytest

REQUIRE = 'NER_REQUIRE_BROWSER'  # set by .ci/run: no browser is a failure
_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
          '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync',
          '--disable-default-apps', '--remote-debugging-port=0')


def chromium() -> str:
  """The browser's path; skips the test where there is none, unless
  NER_REQUIRE_BROWSER is set (CI installs the package)."""
  for name in ('chromium', 'chromium-browser', 'google-chrome'):
    path = shutil.which(name)
    if path:
      return path
  if os.environ.get(REQUIRE):
    pytest.fail(f'{REQUIRE} is set but no chromium is installed')
  pytest.skip('no chromium here (Debian: apt-get install chromium)')


async def _visit(ws_url: str, url: str, width: int) -> Dict:
  import aiohttp  # pylint: disable=g-import-not-at-top
  ids = itertools.count(1)
  seen = {'console_errors': [], 'exceptions': [], 'requests': []}
  async with aiohttp.ClientSession() as http:
    async with http.ws_connect(ws_url, max_msg_size=0) as ws:

      async def call(method, params=None, session=None):
        n = next(ids)
        message = {'id': n, 'method': method, 'params': params or {}}
        if session:
          message['sessionId'] = session
        await ws.send_str(json.dumps(message))
        while True:
          reply = json.loads((await ws.receive()).data)
          if reply.get('id') == n:
            if 'error' in reply:
              raise RuntimeError(f'{method}: {reply["error"]}')
            return reply['result']
          _note(reply, seen)

      target = (await call('Target.createTarget', {'url': 'about:blank'}))[
          'targetId']
      session = (await call('Target.attachToTarget', {
          'targetId': target, 'flatten': True}))['sessionId']
      for domain in ('Page', 'Runtime', 'Log', 'Network'):
        await call(f'{domain}.enable', session=session)
      await call('Emulation.setDeviceMetricsOverride', {
          'width': width, 'height': 900, 'deviceScaleFactor': 1,
          'mobile': False}, session)
      await call('Page.navigate', {'url': url}, session)
      while True:  # until the page and its images have loaded
        reply = json.loads((await asyncio.wait_for(ws.receive(), 60)).data)
        _note(reply, seen)
        if reply.get('method') == 'Page.loadEventFired':
          break
      images = (await call('Runtime.evaluate', {
          'expression': 'JSON.stringify(Array.from(document.images).map('
                        'i => ({src: i.src.slice(0, 40), complete: i.complete,'
                        ' width: i.naturalWidth})))',
          'returnByValue': True}, session))['result']['value']
      shot = await call('Page.captureScreenshot', {
          'format': 'png', 'captureBeyondViewport': True}, session)
  seen['images'] = json.loads(images)
  seen['screenshot'] = base64.b64decode(shot['data'])
  return seen


def _note(message: Dict, seen: Dict) -> None:
  method, params = message.get('method'), message.get('params', {})
  if method == 'Runtime.consoleAPICalled' and params['type'] in (
      'error', 'assert'):
    seen['console_errors'].append(json.dumps(params['args'])[:300])
  elif method == 'Runtime.exceptionThrown':
    seen['exceptions'].append(json.dumps(params['exceptionDetails'])[:300])
  elif method == 'Log.entryAdded' and params['entry']['level'] == 'error':
    seen['console_errors'].append(params['entry']['text'][:300])
  elif method == 'Network.requestWillBeSent':
    seen['requests'].append(params['request']['url'][:80])


def visit(path: str, width: int = 1200) -> Dict[str, List]:
  """Loads the file in a fresh headless Chromium; returns console_errors,
  exceptions, requests (URLs), images (src, complete, width) and
  screenshot (PNG bytes of the whole page)."""
  # Chromium's helper processes may still be writing to the profile as it
  # is removed: they are killed with it (their own process group), and what
  # one of them left a moment later is not an error of the page.
  with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
    proc = subprocess.Popen(
        [chromium(), *_FLAGS, f'--user-data-dir={profile}', 'about:blank'],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
      for line in proc.stderr:  # Chromium names its DevTools socket here
        found = re.search(r'DevTools listening on (ws://\S+)', line)
        if found:
          break
      else:
        raise RuntimeError('chromium exited before it listened')
      # Keep reading its stderr, so that a full pipe never stalls it.
      threading.Thread(target=proc.stderr.read, daemon=True).start()
      return asyncio.run(_visit(found.group(1),
                                'file://' + os.path.abspath(path), width))
    finally:
      try:
        os.killpg(proc.pid, signal.SIGKILL)
      except ProcessLookupError:
        pass
      proc.wait(timeout=30)
