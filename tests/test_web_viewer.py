"""--web: the viewer page in a real headless browser (Debian's chromium and chromium-driver, which
`make test` installs): it connects, receives frames and draws the skeleton."""
from __future__ import annotations

import io
import shutil
import threading
import time
import urllib.request

import cv2
import numpy as np
import pytest

from handpose_live.cli import main
from handpose_live.joints import FINGER_COLORS_BGR
from handpose_live.runtime.headless import run_headless
from handpose_live.runtime.session import LiveOptions
from handpose_live.stream.targets import StreamTarget, open_streams, parse_web

CHROMEDRIVER = shutil.which("chromedriver")


def test_web_addresses_parse_and_default_to_this_machine():
    assert parse_web("8080") == StreamTarget("http", "127.0.0.1", 8080)
    assert parse_web("0.0.0.0:8080") == StreamTarget("http", "0.0.0.0", 8080)
    with pytest.raises(ValueError, match="expected PORT or HOST:PORT"):
        parse_web("localhost")
    assert main(["--headless", "--max-frames", "1", "--web", "x:y"]) == 2


def test_the_viewer_serves_its_page_and_the_stream_port():
    streams = open_streams((), parse_web("127.0.0.1:0"))
    try:
        page = urllib.request.urlopen(streams.viewer.url, timeout=5).read().decode()
        config = urllib.request.urlopen(streams.viewer.url + "config.json", timeout=5).read().decode()
        assert "<canvas" in page and "WebSocket" in page
        assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere (no CDN)
        assert f'"ws_port": {streams.sinks[0].port}' in config
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(streams.viewer.url + "../etc/passwd", timeout=5)
    finally:
        streams.close()


@pytest.mark.skipif(CHROMEDRIVER is None, reason="needs chromium and chromium-driver (make test installs them)")
def test_the_page_in_a_real_browser_connects_receives_and_draws(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    streams = open_streams((), parse_web("127.0.0.1:0"))
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=800,600"):
        opts.add_argument(a)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        browser.get(streams.viewer.url)
        # The page must be connected before the frames come; it says so once the hello is in,
        # which the server sends with the first frame: run the pipeline on a thread meanwhile.
        options = LiveOptions(headless=True, realtime=True, max_frames=45)
        run = threading.Thread(target=run_headless, args=(options, io.StringIO(), io.StringIO()),
                               kwargs={"sinks": tuple(streams.sinks)})
        run.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "frames" not in browser.title:
            time.sleep(0.2)
        run.join(timeout=120)
        time.sleep(0.5)
        assert browser.find_element("id", "status").text == "connected"
        received = int(browser.find_element("id", "frames").text.split()[0])
        assert received >= 5, browser.find_element("id", "frames").text
        assert browser.find_element("id", "latency").text.endswith(" ms")
        shot = tmp_path / "viewer.png"
        browser.save_screenshot(str(shot))
    finally:
        browser.quit()
        streams.close()
    img = cv2.imread(str(shot))
    # The bones are drawn in the fingers' colours: several of them must cover a visible area.
    drawn = [int((np.abs(img.astype(int) - np.array(c)).max(axis=2) < 40).sum()) for c in FINGER_COLORS_BGR]
    assert sum(n > 150 for n in drawn) >= 4, drawn
