"""The HTML report in a real browser: headless Chromium opens the page `leaksoak once --html` writes and
the daemon's live `/`, and each must load without a console error and draw every scenario's chart with
one point per batch. Screenshots are kept under target/html-report/ (test artifacts, not committed).

Run by scripts/test (which installs Debian's chromium and chromium-driver when missing) with LEAKSOAK_BIN
pointing at the built binary. Selenium is pointed at /usr/bin/chromedriver, so it never downloads one.
"""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "target" / "html-report"
# Two quick scenarios: 2 warm-up and 10 measured batches of 20 requests, no settling.
BATCHES = 12
CONFIG = """
[server]
listen = "127.0.0.1:0"
[cycle]
warmup_batches = 2
max_settle_batches = 0
batch_size = 20
pause = "0s"
[memory]
source = "self-heap"
settle = "0ms"
samples_per_batch = 1
[[scenario]]
name = "sync"
stream = false
concurrency = 4
[[scenario]]
name = "streaming"
stream = true
concurrency = 4
"""


def binary():
    return os.environ.get("LEAKSOAK_BIN", "target/debug/leaksoak")


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as d:
        Path(d, "leaksoak.toml").write_text(CONFIG)
        yield Path(d)


@pytest.fixture(scope="module")
def browser(workdir):
    if not (os.path.exists(CHROMEDRIVER) and os.path.exists(CHROMIUM)):
        pytest.skip("chromium and chromium-driver are not installed (scripts/test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={workdir / 'chromium-profile'}", "--window-size=1280,2200",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def check_page(driver, url, shot):
    """Opens `url`, asserts no console error and one point per batch in every scenario's chart."""
    driver.get_log("browser")  # drop what an earlier page left
    driver.get(url)
    sections = driver.find_elements(By.CSS_SELECTOR, "section.scenario")
    names = [s.get_attribute("data-scenario") for s in sections]
    assert names == ["sync", "streaming"], names
    for section in sections:
        assert section.get_attribute("data-batches") == str(BATCHES)
        charts = section.find_elements(By.CSS_SELECTOR, "svg.chart.batches")
        assert len(charts) == 1, "one batch chart per scenario"
        assert charts[0].size["width"] > 300 and charts[0].size["height"] > 100, charts[0].size
        points = charts[0].find_elements(By.CSS_SELECTOR, 'circle.point[data-series="main"]')
        assert len(points) == BATCHES, "one point per batch"
        banner = section.find_element(By.CSS_SELECTOR, ".verdict").text
        assert re.search(r"STABLE|LEAK|NOISY|INSUFFICIENT|ERROR", banner), banner
    driver.save_screenshot(str(ARTIFACTS / f"{shot}.png"))
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    driver.save_screenshot(str(ARTIFACTS / f"{shot}-dark.png"))
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_the_page_of_once_html(browser, workdir):
    page = workdir / "once.html"
    out = subprocess.run(
        [binary(), "once", "--config", str(workdir / "leaksoak.toml"), "--html", str(page)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"},
    )
    assert out.returncode in (0, 1, 2), out.stderr
    shutil.copy(page, ARTIFACTS / "once.html")
    check_page(browser, page.as_uri(), "once")


@pytest.fixture
def daemon(workdir):
    proc = subprocess.Popen(
        [binary(), "run", "--config", str(workdir / "leaksoak.toml")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        addr = None
        for line in proc.stderr:
            if "serving /metrics" in line and "addr=" in line:
                addr = line.split("addr=")[1].split()[0]
                break
        assert addr, "the daemon did not say where it listens"
        # Drain the rest of its log so it never blocks on a full pipe.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield f"http://{addr}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_daemons_live_page(browser, daemon):
    deadline = time.monotonic() + 60
    while True:
        html = urllib.request.urlopen(daemon + "/", timeout=5).read().decode()
        if html.count(f'data-batches="{BATCHES}"') == 2:
            break
        assert time.monotonic() < deadline, "no cycle of both scenarios within 60 s"
        time.sleep(0.2)
    assert '<meta http-equiv="refresh"' in html
    for link in ("/metrics", "/status", "/report"):
        assert f'href="{link}"' in html
    check_page(browser, daemon + "/", "daemon")
