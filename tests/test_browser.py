"""The built site in headless Chromium, from file:// and served on 127.0.0.1.

The mini wiki is built once for the module. Each check opens real pages: no console
errors, no request leaves the machine, search works from file://, the dark toggle
switches, the interactive graph draws its nodes and a tap opens a page, and an author's
script payloads stay inert. Skipped, with the reason, where chromium, chromedriver or
selenium are missing (Debian: `apt-get install -y chromium chromium-driver`).
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from wiki.corpus import load_wiki
from wiki.settings import load_settings
from wiki.site import build_site

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

MINI = Path(__file__).parent / "fixtures" / "mini"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
PAGES = (
    "index.html",
    "concepts/jepa.html",
    "theses/latent-planning.html",
    "sources/lewm.html",
    "graph.html",
    "claims.html",
)
LOCAL_PREFIXES = ("file://", "http://127.0.0.1", "data:", "blob:", "about:", "chrome")
WAIT_SECONDS = 20

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium or chromedriver missing: apt-get install -y chromium chromium-driver",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    settings = load_settings(project, root=MINI)
    build_site(load_wiki(MINI), settings, strict=True)
    return settings.out


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


class PublishedHandler(QuietHandler):
    """A host as GitHub Pages or Netlify: the site's 404.html for any missing address."""

    not_found_page: Path

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        if code != 404:
            return super().send_error(code, message, explain)
        body = self.not_found_page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module", params=["", "some/prefix/"], ids=["at-root", "under-a-prefix"])
def published(site: Path, request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site's URL on a host that serves 404.html, at the server root or under a prefix."""
    folder = site
    if request.param:
        folder = tmp_path_factory.mktemp("host")
        (folder / request.param).parent.mkdir(parents=True)
        (folder / request.param.rstrip("/")).symlink_to(site.resolve(), target_is_directory=True)
    handler = type("Handler", (PublishedHandler,), {"not_found_page": site / "404.html"})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{request.param}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--allow-file-access-from-files=false",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: webdriver.Chrome, url: str) -> None:
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get_log("performance")
    browser.get(url)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
    time.sleep(0.3)  # let deferred scripts (search worker, graph) start


def console_errors(browser: webdriver.Chrome) -> list[str]:
    """Errors and warnings the page logged (a warning from cytoscape means a bad style)."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] in ("SEVERE", "WARNING")
    ]


def requested_urls(browser: webdriver.Chrome) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def base_urls(site: Path, served: str) -> dict[str, str]:
    return {"file": site.resolve().as_uri() + "/", "served": served}


@pytest.mark.parametrize("origin", ["file", "served"])
def test_pages_log_no_errors_and_request_nothing_outside(browser, site, served, origin) -> None:
    base = base_urls(site, served)[origin]
    for page in PAGES:
        open_page(browser, base + page)
        assert console_errors(browser) == [], page
        outside = [url for url in requested_urls(browser) if not url.startswith(LOCAL_PREFIXES)]
        assert outside == [], page


def search(browser: webdriver.Chrome, query: str) -> list[tuple[str, str]]:
    """(title, href) of the results mkdocs-material's search shows for `query`."""
    browser.execute_script("document.getElementById('__search').click()")  # open the search
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda driver: (
            "Initializing"
            not in driver.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
        )
    )
    field.send_keys(query)
    return [tuple(result) for result in WebDriverWait(browser, WAIT_SECONDS).until(settled_results)]


READ_RESULTS = """
return Array.from(document.querySelectorAll('.md-search-result__link'))
    .map(link => [link.innerText, link.href]);
"""


def settled_results(driver, polls: int = 3, pause: float = 0.2) -> list | bool:
    """The search results once `polls` reads in a row agree, else False (wait on).

    The theme redraws the list as each typed letter's answer comes back, so an
    element found on one read can be gone by the next: each read is one script
    that copies text and address out of the page at a single moment.
    """
    reads = []
    for _ in range(polls):
        reads.append(driver.execute_script(READ_RESULTS))
        time.sleep(pause)
    settled = bool(reads[0]) and all(read == reads[0] for read in reads)
    return reads[0] if settled else False


def test_search_from_file_finds_the_concept_first(browser, site) -> None:
    open_page(browser, site.resolve().as_uri() + "/index.html")
    results = search(browser, "JEPA")
    assert "concepts/jepa.html" in results[0][1], results[:3]


def test_search_from_file_lands_on_a_claim(browser, site) -> None:
    open_page(browser, site.resolve().as_uri() + "/index.html")
    results = search(browser, "lewm-stable")
    landings = [urlsplit(href) for _, href in results]
    assert any(
        url.path.endswith("concepts/jepa.html") and url.fragment == "claim:lewm-stable"
        for url in landings
    ), results


def test_the_palette_toggle_switches_to_dark_and_back(browser, served) -> None:
    open_page(browser, served + "concepts/jepa.html")

    def scheme() -> str:
        return browser.execute_script("return document.body.dataset.mdColorScheme")

    seen = {scheme()}
    for _ in range(3):
        browser.find_element(
            By.CSS_SELECTOR, "form[data-md-component='palette'] label:not([hidden])"
        ).click()
        seen.add(scheme())
    assert {"default", "slate"} <= seen


def test_the_graph_draws_nodes_and_a_tap_opens_a_page(browser, site) -> None:
    open_page(browser, site.resolve().as_uri() + "/graph.html")
    count = browser.execute_script("return window.wikiGraphs[0].nodes().length")
    assert count >= 10
    assert not browser.find_element(By.CSS_SELECTOR, ".wiki-graph-static").is_displayed()
    canvas = browser.find_element(By.CSS_SELECTOR, ".wiki-graph-app .wiki-graph-canvas")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    for _ in range(2):  # the first tap focuses the node, the second opens it
        x, y = browser.execute_script(
            "var p = window.wikiGraphs[0].$id('jepa').renderedPosition(); return [p.x, p.y];"
        )
        width, height = canvas.size["width"], canvas.size["height"]
        webdriver.ActionChains(browser).move_to_element_with_offset(
            canvas, int(x - width / 2), int(y - height / 2)
        ).click().perform()
        time.sleep(0.3)
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda driver: driver.current_url.endswith("concepts/jepa.html")
    )


def test_a_concept_page_has_a_local_graph_without_loading_the_whole_graph(browser, site) -> None:
    open_page(browser, site.resolve().as_uri() + "/concepts/jepa.html")
    ids = browser.execute_script("return window.wikiGraphs[0].nodes().map(n => n.id())")
    assert "jepa" in ids and "lewm-stable" in ids
    assert not [url for url in requested_urls(browser) if "graph-data" in url]
    open_page(browser, site.resolve().as_uri() + "/graph.html")
    assert [url for url in requested_urls(browser) if url.endswith("assets/graph-data.js")]


def test_author_script_payloads_stay_inert(browser, tmp_path) -> None:
    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    payload = "<script>window.pwned=1</script><img src=x onerror=window.pwned=1>"
    concept = root / "concepts" / "jepa.yaml"
    text = concept.read_text(encoding="utf-8")
    text = text.replace(
        "title: Joint Embedding Predictive Architecture (JEPA)",
        f"title: 'JEPA {payload}'",
        1,
    )
    concept.write_text(text, encoding="utf-8")
    settings = load_settings(tmp_path, root=root)
    build_site(load_wiki(root), settings)
    for page in ("concepts/jepa.html", "graph.html", "index.html"):
        open_page(browser, (settings.out / page).resolve().as_uri())
        assert browser.execute_script("return window.pwned === undefined"), page


def test_the_404_page_works_at_any_depth_of_a_published_site(browser, published) -> None:
    check_404_page(browser, published, "concepts/nope/deeper/x.html")


def test_the_404_page_of_a_broken_link_finds_the_site(browser, published) -> None:
    # An unknown name right under the root: the page the link was on says where the root is.
    open_page(browser, published + "concepts/jepa.html")
    browser.execute_script("window.location.href = '../nope.html'")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda driver: "nope" in driver.current_url)
    check_404_page(browser, published, "nope.html", opened=True)


def check_404_page(browser, published: str, missing: str, opened: bool = False) -> None:
    """The 404 page at published + missing: styled, its links and search at the site root."""
    if not opened:
        open_page(browser, published + missing)
    else:
        WebDriverWait(browser, WAIT_SECONDS).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
    own_404 = f"{published}{missing} - Failed to load resource"
    errors = [error for error in console_errors(browser) if not error.startswith(own_404)]
    assert errors == [], missing
    assert browser.find_element(By.TAG_NAME, "h1").text == "404 - Not found"
    header = browser.find_element(By.CSS_SELECTOR, ".md-header")
    assert header.value_of_css_property("position") == "sticky"  # the theme's stylesheet
    home = browser.find_element(By.LINK_TEXT, "home page").get_attribute("href")
    assert home == published + "index.html"
    nav = {
        link.get_attribute("href") for link in browser.find_elements(By.CSS_SELECTOR, ".md-nav a")
    }
    assert published + "concepts.html" in nav, nav
    results = search(browser, "lewm-stable")
    landings = [urlsplit(href) for _, href in results]
    assert any(
        url._replace(query="", fragment="").geturl() == published + "concepts/jepa.html"
        and url.fragment == "claim:lewm-stable"
        for url in landings
    ), results


def test_the_404_page_opens_from_file(browser, site) -> None:
    open_page(browser, (site / "404.html").resolve().as_uri())
    assert console_errors(browser) == []
    home = browser.find_element(By.LINK_TEXT, "home page").get_attribute("href")
    assert home == (site / "index.html").resolve().as_uri()


def test_hovering_a_claim_link_previews_its_statement_from_file(browser, site) -> None:
    open_page(browser, site.resolve().as_uri() + "/theses/latent-planning.html")
    link = browser.find_element(By.CSS_SELECTOR, "article table a[href*='claim:lewm-stable']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    webdriver.ActionChains(browser).move_to_element(link).perform()
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".md-tooltip2--active")
    )
    tooltip = browser.find_element(By.CSS_SELECTOR, ".md-tooltip2--active").text
    assert tooltip.startswith("Prediction plus a SIGReg term"), tooltip
