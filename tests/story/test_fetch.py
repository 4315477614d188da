"""Adding an article by link: address checks (every resolved address, each redirect),
limits (size, type, redirects), extraction, the saved Markdown, the CLI command.
Pages come from a server on 127.0.0.1 that the tests allow explicitly."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from bot.engine import Engine
from bot.ingest import fetch
from bot.ingest.fetch import FetchError, FetchPolicy, address_problem, fetch_html

ARTICLE = """<html><head><title>Senators Question TikTok Terms - Riverside Ledger</title>
<meta property="og:title" content="Senators Question TikTok Terms">
<meta property="og:site_name" content="Riverside Ledger">
<meta name="author" content="Omar Haddad">
<meta name="date" content="2025-10-10">
</head><body><div class="menu">Home News Sports Weather</div>
<article><h1>Senators Question TikTok Terms</h1>
<p>Two senators asked the Commerce Department on Thursday to publish the full terms of the TikTok agreement before any vote.</p>
<p>“People deserve to see what was signed,” Senator Ruth Calder said in a letter to the department.</p>
<p>The department said it would brief committee staff next week but did not commit to releasing the document.</p>
</article><div class="comments">First! Great post.</div></body></html>"""

HOPS: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        HOPS.append(self.path)
        if self.path == "/article":
            self._send(200, "text/html; charset=utf-8", ARTICLE.encode())
        elif self.path == "/big":
            self._send(200, "text/html", b"<html><body>" + b"<p>word</p>" * 400_000 + b"</body></html>")
        elif self.path == "/big-stream":  # no Content-Length: read until the cap, then refused
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>" + b"<p>word</p>" * 400_000)
        elif self.path == "/pdf":
            self._send(200, "application/pdf", b"%PDF-1.4 not html")
        elif self.path.startswith("/loop"):
            n = int(self.path[5:] or 0)
            self.send_response(302)
            self.send_header("Location", f"/loop{n + 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/to-private":
            self.send_response(301)
            self.send_header("Location", "http://10.9.8.7/secret")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/empty":
            self._send(200, "text/html", b"<html><head><title>x</title></head><body></body></html>")
        else:
            self._send(404, "text/plain", b"no")

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    HOPS.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


LOCAL = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.1/32"),), max_bytes=1_000_000, timeout=10)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",
                                     "::1", "fe80::1", "fc00::1", "::ffff:192.168.0.1", "0.0.0.0", "100.64.0.1",
                                     "224.0.0.1"])
def test_private_addresses_are_refused(address: str) -> None:
    assert address_problem(address, FetchPolicy()) is not None
    assert address_problem("93.184.216.34", FetchPolicy()) is None


def test_loopback_refused_unless_allowed(site: str) -> None:
    with pytest.raises(FetchError, match="loopback"):
        fetch_html(f"{site}/article", FetchPolicy())
    assert HOPS == []  # refused before connecting
    page = fetch_html(f"{site}/article", LOCAL)
    assert "Senators Question" in page.html


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name resolving to a public and a private address is refused (no connection made)."""
    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    def no_connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("connected although an address was private")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(fetch.socket, "create_connection", no_connect)
    with pytest.raises(FetchError, match="10.1.2.3 is a private address"):
        fetch_html("http://news.example/story", FetchPolicy())


def test_redirects_are_checked_and_bounded(site: str) -> None:
    with pytest.raises(FetchError, match="10.9.8.7 is a private address"):
        fetch_html(f"{site}/to-private", LOCAL)
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_html(f"{site}/loop0", LOCAL)
    assert len(HOPS) == 1 + 1 + LOCAL.max_redirects


@pytest.mark.parametrize("path,problem", [("/big", "the limit is 1,000,000"), ("/big-stream", "larger than the limit"), ("/pdf", "not an HTML page"),
                                          ("/missing", "HTTP 404")])
def test_limits(site: str, path: str, problem: str) -> None:
    with pytest.raises(FetchError, match=problem):
        fetch_html(f"{site}{path}", LOCAL)


@pytest.mark.parametrize("url,problem", [("ftp://example.com/a", "only http"), ("file:///etc/passwd", "only http"),
                                         ("http://user:pw@example.com/", "user name"), ("", "give a link"),
                                         ("http://exa mple.com/", "spaces"), ("http:///nohost", "no host")])
def test_bad_links(url: str, problem: str) -> None:
    with pytest.raises(FetchError, match=problem):
        fetch_html(url, FetchPolicy())


def test_turned_off() -> None:
    with pytest.raises(FetchError, match="turned off"):
        fetch_html("http://example.com/", FetchPolicy(enabled=False))


def test_extract_and_add(engine: Engine, site: str) -> None:
    result = engine.add_article_from_url(f"{site}/article", "tester", LOCAL)
    assert result.ok, result.message
    art = result.article
    assert art.title == "Senators Question TikTok Terms" and art.date == "2025-10-10"
    assert art.authors == ("Omar Haddad",) and art.outlet == "Riverside Ledger"
    assert all("First! Great post" not in p and "Home News Sports" not in p for p in art.paragraphs)
    saved = engine.knowledge_dir / result.file
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: \"Senators Question TikTok Terms\"\ndate: 2025-10-10\n")
    assert f"url: {site}/article" in text
    assert engine.is_loaded(result.document)
    said = engine.said("Ruth Calder")
    assert said.statements and said.statements[0].kind == "direct"
    # The same page again: already loaded, nothing changes; the audit trail has both.
    again = engine.add_article_from_url(f"{site}/article", "tester", LOCAL)
    assert again.ok and "already loaded" in again.message
    refused = engine.add_article_from_url(f"{site}/empty", "tester", LOCAL)
    assert not refused.ok and "no article text" in refused.message
    actions = [(e.action, e.result) for e in engine.journal.recent_audit(10)]
    assert ("add-url", "refused") in actions and ("add", "ok") in actions


def test_cli_add(engine: Engine, site: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    where = ["--knowledge", str(engine.knowledge_dir), "--db", str(engine.db_path)]
    monkeypatch.setenv("STORYBOT_FETCH_ALLOW_NETWORKS", "")
    assert main(["add", f"{site}/article", *where]) == 2
    assert "loopback" in capsys.readouterr().out
    monkeypatch.setenv("STORYBOT_FETCH_ALLOW_NETWORKS", "127.0.0.1")
    assert main(["add", f"{site}/article", "--json", *where]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["extracted"]["authors"] == ["Omar Haddad"] and out["extracted"]["paragraphs"] == 3
    monkeypatch.setenv("STORYBOT_ALLOW_FETCH", "0")
    assert main(["add", f"{site}/article", *where]) == 2
    assert "turned off" in capsys.readouterr().out
    assert len(list(Path(engine.knowledge_dir).glob("*.md"))) == 2
