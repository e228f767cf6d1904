"""
Reading the console's pages in tests: the links and texts of an HTML page,
with the standard library's parser (what a browser would follow).
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import attrs

_accounts = itertools.count(1)


def fresh_account() -> str:
    """
    A 12-digit account no other test of the run uses (with auth off, its
    own state without a reset).
    """
    return f"5{next(_accounts):011d}"


@attrs.define
class Link:
    href: str
    text: str
    id: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.href).path

    def query(self, name: str) -> str | None:
        values = parse_qs(urlsplit(self.href).query, keep_blank_values=True).get(name)
        return values[0] if values else None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self.text: list[str] = []
        self.ids: dict[str, list[str]] = {}
        self._open: list[tuple[str, list[str]]] = []
        self._link: Link | None = None
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs_):
        attributes = dict(attrs_)
        if tag == "a":
            self._link = Link(attributes.get("href") or "", "", attributes.get("id"))
        if tag == "img":
            self.images.append(attributes.get("src") or "")
        if attributes.get("id") and tag not in ("input", "img", "meta", "link", "br"):
            self._open.append((attributes["id"], []))

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append(self._link)
            self._link = None

    def handle_data(self, data):
        self.text.append(data)
        if self._link is not None:
            self._link.text += data
        for _, parts in self._open:
            parts.append(data)

    def close(self):
        super().close()
        for element_id, parts in self._open:
            self.ids[element_id] = parts


@attrs.frozen
class Html:
    links: list[Link]
    text: str
    images: list[str]
    ids: dict[str, list[str]]

    def by_id(self, element_id: str) -> str:
        """
        The text inside the element with C{element_id} and after it (the
        reader does not track where elements end: enough for assertions).
        """
        return "".join(self.ids.get(element_id, []))

    def link(self, text: str) -> Link:
        found = [link for link in self.links if link.text == text]
        assert found, f"no link {text!r} among {[link.text for link in self.links]}"
        return found[0]

    def link_by_id(self, element_id: str) -> Link | None:
        return next((link for link in self.links if link.id == element_id), None)


def read(html: str) -> Html:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return Html(reader.links, "".join(reader.text), reader.images, reader.ids)


def click_and_wait(browser, element) -> None:
    """
    Click C{element} and wait until the page it leads to has loaded (a
    form's POST and redirect included).
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 30).until(staleness_of(old))
    WebDriverWait(browser, 30).until(lambda b: b.execute_script("return document.readyState") == "complete")
