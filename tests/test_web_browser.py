"""The web interface end to end in a real headless Chromium (Debian's chromium and chromium-driver, Selenium).

The app serves a real SQLite archive (the corpus, a citing brief and the
UN report it cites) with uvicorn on a free loopback port. The browser
searches for a name, opens the document, opens a footnote in place,
follows a citation, opens a diff and downloads an original. Screenshots
of each page go to ``$ARCHIVIST_SCREENSHOTS`` (else the test's temp dir).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

from flows.web.app import create_app
from storage import Archive
from test_web import build_archive, ids_by_name, record_checks

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, cli) of the app on 127.0.0.1, served by uvicorn in a thread."""
    root = tmp_path_factory.mktemp("webui")
    cli = build_archive(root)
    record_checks(cli, root)
    archive = Archive.open(cli.home, readonly=True, create=False)
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(archive), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", cli
    uv.should_exit = True
    thread.join(10)
    archive.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium with a fresh profile that downloads into its own folder."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("ARCHIVIST_SCREENSHOTS")
    return Path(where) if where else tmp_path_factory.mktemp("screenshots")


def _wait(driver, condition, timeout: float = 15):
    return WebDriverWait(driver, timeout).until(condition)


def _full_page(driver, path: Path) -> None:
    height = driver.execute_script("return Math.min(document.body.scrollHeight, 1500)")
    driver.set_window_size(1280, max(800, height))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)


def test_search_open_a_note_follow_a_citation(server, browser, shots):
    base, cli = server
    ids = ids_by_name(cli)
    browser.get(f"{base}/search")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("Raisi")
    box.submit()
    _wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
    assert "/search?q=Raisi" in browser.current_url
    assert "works match" in browser.find_element(By.CLASS_NAME, "count").text
    assert browser.find_elements(By.CSS_SELECTOR, "li.hit mark")[0].text.startswith("Raisi")
    _full_page(browser, shots / "web-search.png")

    statement = ids["003_50b2b079aba8eece.txt"]
    browser.find_element(By.CSS_SELECTOR, f'li.hit a.title[href="/documents/{statement}"]').click()
    _wait(browser, ready.url_contains(f"/documents/{statement}"))
    marker = browser.find_element(By.CSS_SELECTOR, "section.text details.fn")
    body = marker.find_element(By.CLASS_NAME, "fn-body")
    assert not body.is_displayed()
    note = cli.json("show", str(statement))["footnotes"][0]
    marker.find_element(By.TAG_NAME, "summary").click()
    _wait(browser, lambda _: body.is_displayed())
    assert note["text"][:30] in body.text
    _full_page(browser, shots / "web-document.png")

    citing, cited = ids["citing_brief.md"], ids["un_a_hrc_37_24.txt"]
    browser.get(f"{base}/documents/{citing}")
    marker = browser.find_element(By.CSS_SELECTOR, "section.text details.fn")
    marker.find_element(By.TAG_NAME, "summary").click()
    link = _wait(browser, lambda d: marker.find_element(By.CSS_SELECTOR, "a.cite"))
    _wait(browser, lambda _: link.is_displayed())
    link.click()
    _wait(browser, ready.url_contains(f"/documents/{cited}"))
    assert "A/HRC/37/24" in browser.find_element(By.TAG_NAME, "body").text
    cited_by = browser.find_element(By.CSS_SELECTOR, "section.cited-by")
    assert "Briefing: accountability for the summer killings" in cited_by.text


def test_open_a_diff_of_two_versions(server, browser, shots):
    base, cli = server
    work = cli.json("show", str(ids_by_name(cli)["000_eb76b57703d98c0a.txt"]))["work_id"]
    versions = [d["id"] for d in cli.json("history", str(work))["versions"]]
    browser.get(f"{base}/works/{work}")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.versions tbody tr")
    assert len(rows) == len(versions)
    _full_page(browser, shots / "web-work.png")
    Select(browser.find_element(By.NAME, "a")).select_by_value(str(versions[0]))
    Select(browser.find_element(By.NAME, "b")).select_by_value(str(versions[1]))
    browser.find_element(By.CSS_SELECTOR, "form.compare button").click()
    _wait(browser, ready.url_contains(f"/works/{work}/diff?a={versions[0]}&b={versions[1]}"))
    expected = cli.json("diff", str(versions[0]), str(versions[1]))
    added = {w["text"] for c in expected["changes"] for s in c["sentences"] for w in s["words"] if w["op"] == "added"}
    marked = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "table.diff ins")}
    assert added & marked, "no changed word is marked in the side-by-side diff"
    assert browser.find_elements(By.CSS_SELECTOR, "table.diff del")
    _full_page(browser, shots / "web-diff.png")
    browser.find_element(By.LINK_TEXT, "inline").click()
    _wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "div.diff.inline ins")))


def test_download_an_original_and_check_its_sha256(server, browser, shots):
    base, cli = server
    doc = cli.json("show", str(ids_by_name(cli)["003_amnesty_statement.html"]))
    browser.get(f"{base}/documents/{doc['id']}")
    browser.find_element(By.CSS_SELECTOR, "a.download").click()
    target = browser.downloads / "003_amnesty_statement.html"
    _wait(browser, lambda _: target.exists() and not list(browser.downloads.glob("*.crdownload")), 30)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == doc["sha256"]
    assert browser.current_url.endswith(f"/documents/{doc['id']}")  # downloaded, not opened
    browser.get(f"{base}/archive")
    assert "Last runs" in browser.find_element(By.TAG_NAME, "body").text
    _full_page(browser, shots / "web-archive.png")
