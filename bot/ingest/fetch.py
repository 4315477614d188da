"""Add an article by link: fetch the page safely, extract the article, save it as Markdown.

This is the one place StoryBot uses the network, so it is strict:
- http and https only, no credentials in the URL, at most `max_redirects`
  redirects, a whole-fetch deadline, a size cap read in chunks (a lying or
  missing Content-Length cannot make it read more), HTML only (Content-Type);
- the host is resolved and *every* address it resolves to is checked: private,
  loopback, link-local, multicast, reserved and unspecified addresses are
  refused unless the owner allowed that network (STORYBOT_FETCH_ALLOW_NETWORKS);
  the connection then goes to the checked address itself (no second look-up a
  DNS rebinding could answer differently), and each redirect is checked again;
- STORYBOT_ALLOW_FETCH=0 turns the feature off.

Extraction is trafilatura's (title, date, authors, site name, main text without
navigation and comments); the article is saved through `bot.kb.add_article`,
which validates, writes atomically, reloads and audits, like an upload.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_PAGE_BYTES = 3 * 1024 * 1024
FETCH_TIMEOUT = 15.0
MAX_REDIRECTS = 5
MAX_URL_CHARS = 2000
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "StoryBot/0.1 (fetches an article a moderator linked to)"


class FetchError(ValueError):
    """The page cannot be added; the message is one line for the moderator."""


@dataclass(frozen=True)
class FetchPolicy:
    enabled: bool = True
    allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    max_bytes: int = MAX_PAGE_BYTES
    timeout: float = FETCH_TIMEOUT
    max_redirects: int = MAX_REDIRECTS


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects
    html: str
    redirects: int


@dataclass(frozen=True)
class ExtractedArticle:
    title: str
    date: str | None  # ISO
    authors: tuple[str, ...]
    outlet: str | None
    url: str
    paragraphs: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


# ------------------------------------------------------------------------------ addresses


def policy_from(settings: object) -> FetchPolicy:
    """The owner's fetch settings (bot/config.py) as a policy."""
    return FetchPolicy(
        enabled=bool(getattr(settings, "allow_fetch", True)),
        allow_networks=parse_networks(",".join(getattr(settings, "fetch_allow_networks", ()) or ())),
    )


def parse_networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """"127.0.0.1, 10.0.0.0/8" → networks; raises ValueError with the bad part."""
    out = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if part:
            out.append(ipaddress.ip_network(part, strict=False))
    return tuple(out)


def address_problem(address: str, policy: FetchPolicy) -> str | None:
    """Why connecting to this address is refused, or None."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in policy.allow_networks):
        return None
    for label, bad in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
                       ("multicast", ip.is_multicast), ("reserved", ip.is_reserved),
                       ("unspecified", ip.is_unspecified), ("not public", not ip.is_global)):
        if bad:
            return f"{ip} is a {label} address" if label != "not public" else f"{ip} is not a public address"
    return None


def _resolve(host: str, port: int, policy: FetchPolicy) -> str:
    """Every address `host` resolves to must be allowed; returns the first."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"cannot resolve {host}")
    for address in addresses:
        problem = address_problem(address, policy)
        if problem:
            raise FetchError(f"refused {host}: {problem} (private, loopback and link-local addresses are not fetched)")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address checked beforehand (Host header stays the name)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ fetching


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path+query) of an acceptable URL, or FetchError."""
    url = (url or "").strip()
    if not url:
        raise FetchError("give a link (http:// or https://)")
    if len(url) > MAX_URL_CHARS or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise FetchError("that link is too long or has spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("that is not a valid link") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("only http:// and https:// links can be fetched")
    if parts.username or parts.password:
        raise FetchError("links with a user name or password are not fetched")
    host = parts.hostname or ""
    if not host:
        raise FetchError("that link has no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def fetch_html(url: str, policy: FetchPolicy) -> FetchedPage:
    """GET an HTML page within the policy's limits, following checked redirects."""
    if not policy.enabled:
        raise FetchError("fetching articles by link is turned off here (STORYBOT_ALLOW_FETCH=0)")
    deadline = time.monotonic() + policy.timeout
    current = url
    for hop in range(policy.max_redirects + 1):
        scheme, host, port, path = check_url(current)
        address = _resolve(host, port, policy)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"the page took longer than {policy.timeout:.0f} s")
        conn_cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        conn = conn_cls(host, port, address, remaining)
        try:
            conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml",
                                               "Accept-Encoding": "identity"})
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                if not location:
                    raise FetchError(f"the page redirected (HTTP {resp.status}) without saying where")
                current = urljoin(current, location)
                continue
            if resp.status != 200:
                raise FetchError(f"the page answered HTTP {resp.status}")
            ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if ctype not in HTML_TYPES:
                raise FetchError(f"not an HTML page (Content-Type {ctype or 'missing'}); only web pages can be added")
            length = resp.getheader("Content-Length")
            if length and length.isdigit() and int(length) > policy.max_bytes:
                raise FetchError(f"the page is {int(length):,} bytes; the limit is {policy.max_bytes:,}")
            body = _read_capped(resp, policy.max_bytes, deadline, policy.timeout)
            charset = _charset(resp.getheader("Content-Type") or "")
            try:
                html = body.decode(charset or "utf-8", errors="replace")
            except LookupError:
                html = body.decode("utf-8", errors="replace")
            return FetchedPage(current, html, hop)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, socket.timeout) or "timed out" in str(exc):
                raise FetchError(f"the page took longer than {policy.timeout:.0f} s") from None
            raise FetchError(f"could not fetch the page: {exc.__class__.__name__}: {str(exc)[:120]}") from None
        finally:
            conn.close()
    raise FetchError(f"too many redirects (more than {policy.max_redirects})")


def _read_capped(resp: http.client.HTTPResponse, cap: int, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"the page took longer than {timeout:.0f} s")
        chunk = resp.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            raise FetchError(f"the page is larger than the limit of {cap:,} bytes")
        chunks.append(chunk)


def _charset(content_type: str) -> str | None:
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return m.group(1) if m else None


# ------------------------------------------------------------------------------ extraction


def extract_article(html: str, url: str) -> ExtractedArticle:
    """Title, date, authors, outlet and body paragraphs, by trafilatura."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise FetchError(f"article extraction is not installed ({exc})") from None
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False, favor_precision=True)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a page we cannot use
        raise FetchError(f"could not read an article in that page ({exc.__class__.__name__})") from None
    if doc is None:
        raise FetchError("no article text found in that page")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    paragraphs = tuple(p for p in (" ".join(line.split()) for line in text.split("\n")) if p)
    if not paragraphs:
        raise FetchError("no article text found in that page")
    title = " ".join((data.get("title") or "").split())
    if not title:
        raise FetchError("the page has no title")
    if paragraphs and paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]  # the headline repeated as the first line of the text
    if not paragraphs:
        raise FetchError("no article text found in that page")
    authors = tuple(a.strip() for a in re.split(r";|\band\b", data.get("author") or "") if a.strip())
    date = _iso(data.get("date"))
    outlet = " ".join((data.get("sitename") or data.get("hostname") or "").split()) or None
    return ExtractedArticle(title[:300], date, authors[:10], outlet, url, paragraphs)


def _iso(value: object) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def _yaml_value(text: str) -> str:
    return '"' + " ".join(text.split()).replace('"', "'") + '"'


def to_markdown(article: ExtractedArticle) -> bytes:
    """The article as the Markdown with front matter the knowledge folder holds."""
    lines = ["---", f"title: {_yaml_value(article.title)}"]
    if article.date:
        lines.append(f"date: {article.date}")
    if article.authors:
        names = ", ".join(" ".join(a.replace(",", " ").replace("[", "").replace("]", "").split()) for a in article.authors)
        lines.append(f"authors: [{names}]")
    if article.outlet:
        lines.append(f"source: {_yaml_value(article.outlet)}")
    lines.append(f"url: {article.url}")
    lines += ["---", ""]
    for p in article.paragraphs:
        p = re.sub(r"^(#+|[-*_]{3,}\s*$|>)\s*", "", p)  # a paragraph is text, never a heading or a rule
        if p:
            lines += [p, ""]
    return "\n".join(lines).encode("utf-8")


def file_name(article: ExtractedArticle) -> str:
    """`<outlet>-<date>-<title words>.md`, safe and short."""
    parts = [article.outlet or "", article.date or "", article.title]
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")
    slug = "-".join(slug.split("-")[:14])[:100].strip("-") or "article"
    return f"{slug}.md"


__all__ = ["ExtractedArticle", "FetchError", "FetchPolicy", "FetchedPage",
           "address_problem", "check_url", "policy_from", "extract_article", "fetch_html", "file_name", "parse_networks",
           "to_markdown"]
