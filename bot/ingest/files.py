"""Find and read article files safely.

Every way a file can be bad (empty, binary, not UTF-8, unreadable, too large,
a symlink out of the folder, broken front matter) becomes a `FileFailure` with
a one-line reason; nothing here raises for a bad file, so one bad file never
stops a reload or costs the good ones.
"""

from __future__ import annotations

import errno
import functools
import itertools
import operator
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # the parser (PyYAML, pysbd) is imported by the first file read, not by a scan
    from bot.ingest.model import Document

ARTICLE_SUFFIXES = (".md", ".txt")
MAX_FILE_BYTES = 5 * 1024 * 1024
# Spaces inside a name are fine ("Trump call.md" is the document "Trump call"):
# collections saved from titles have them. Not at either end, no other whitespace.
_ID_RE = re.compile(r"^\w(?:[\w.\- ]{0,198}[\w.\-])?$", re.UNICODE)


class FileEntry(NamedTuple):
    """A candidate article file found in the knowledge folder (not yet read).

    `location` is the path as a scan found it: a string (a Path per file was most of a
    scan's cost, ~40 µs each: 1.4 s of a reload at 34k files), or a Path; `path` makes
    the Path when asked (only files that are read need it). A NamedTuple: a frozen
    dataclass's __init__ cost ~2 µs per file more."""

    doc_id: str
    location: Path | str
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        loc = self.location
        return loc if isinstance(loc, Path) else Path(loc)

    @property
    def path_str(self) -> str:
        """`str(self.path)`, without making the Path."""
        loc = self.location
        return loc if isinstance(loc, str) else str(loc)


@dataclass(frozen=True)
class FileFailure:
    doc_id: str
    path: Path
    reason: str


@dataclass(frozen=True)
class LoadedFile:
    entry: FileEntry
    content_hash: str
    document: Document


def doc_id_for(path: Path) -> str:
    """A document's id is its file name without the extension."""
    return path.stem


def printable_name(name: str) -> str:
    """A file name safe to show, log and store: bytes that are not UTF-8 (kept by
    Python as surrogates) and control characters become `\\xNN` escapes."""
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 32 or code == 127 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unchanged_since(folder: Path, stored: dict[str, tuple[int, int]]) -> bool:
    """True when the folder's article files are exactly the stored ones: each a regular file
    at its stored path (`str(folder / name)`) with its stored (size, mtime_ns), and no other.

    The cheap check a read-only start makes at any size: one lstat per file, no Path, no
    FileEntry, no name rules (a stored path already passed them). False means "not sure",
    never "changed": anything unusual (a symlink, another file, a different size or time)
    sends the caller to the full comparison with `scan_folder`."""
    prefix = os.path.join(str(folder), "")
    seen = 0
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                name = entry.name
                if name.startswith(".") or not name.lower().endswith(ARTICLE_SUFFIXES):
                    continue
                want = stored.get(prefix + name)
                if want is None:
                    return False
                st = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode) or (st.st_size, st.st_mtime_ns) != want:
                    return False
                seen += 1
    except (OSError, UnicodeError):
        return False
    return seen == len(stored)


def unchanged_as_listed(folder: Path, stored_folder: str, names: list[str], sizes: np.ndarray,
                        mtimes: np.ndarray) -> bool:
    """`unchanged_since` for stamps kept as arrays (the persisted index's document table:
    paths `stored_folder + "/" + name`, `names` sorted, sizes and mtimes in that order).

    The per-file work left is the lstat itself: the listing's article files must be
    exactly `names` (compared as sets: no sort of the listing, no suffix test per name
    but for the few others), and every one a regular file with its stored size and mtime
    (an edit in place moves the mtime; a same-second edit the size, or, on a file system
    with coarse times, both stay: the full comparison does no better). The lstats run in
    `names` order, a chunk at a time (`_stat_chunk`: no Python line and, on Linux x86-64,
    no stat result object per file), so the first difference ends the check. False means
    "not sure", as for `unchanged_since`."""
    if str(folder) != stored_folder:
        return False
    try:
        listed = os.listdir(folder)
        if len(listed) < len(names):
            return False
        present = set(listed)
        if not present.issuperset(names):
            return False
        if len(present) != len(names):  # the others must be hidden files or not articles
            for other in present.difference(names):
                if other[:1] != "." and other.lower().endswith(ARTICLE_SUFFIXES):
                    return False
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            for i in range(0, len(names), _STAT_CHUNK):
                modes, got_sizes, got_mtimes = _stat_chunk(fd, names[i : i + _STAT_CHUNK])
                n = modes.shape[0]
                if not (bool(((modes & 0o170000) == stat.S_IFREG).all())
                        and np.array_equal(got_sizes, sizes[i : i + n])
                        and np.array_equal(got_mtimes, mtimes[i : i + n])):
                    return False
        finally:
            os.close(fd)
    except (OSError, UnicodeError, ValueError):
        return False
    return True


_STAT_CHUNK = 2048
_MODE = operator.attrgetter("st_mode")
_SIZE = operator.attrgetter("st_size")
_MTIME = operator.attrgetter("st_mtime_ns")


def _stat_chunk(fd: int, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(st_mode, st_size, st_mtime_ns) of each name's lstat relative to the folder `fd`,
    as int64 arrays; OSError (or ValueError) when one cannot be stat'ed, as `os.lstat`.

    On Linux x86-64, `fstatat(2)` itself through ctypes, into one buffer read as arrays
    (`_NativeLstat`): `os.lstat` builds a stat result of 19 fields per file, with three
    times as nanosecond ints (~8,000 instructions a file); at 34k articles the check
    went from ~85 to ~64 ms (fastest of 12 runs; the rest is the system calls and the
    listing). Elsewhere, `os.lstat` by `map`."""
    native = _native_lstat()
    if native is not None:
        got = native.chunk(fd, names)
        if got is not None:
            return got
    stats = list(map(functools.partial(os.lstat, dir_fd=fd), names))
    n = len(stats)
    return (np.fromiter(map(_MODE, stats), dtype=np.int64, count=n),
            np.fromiter(map(_SIZE, stats), dtype=np.int64, count=n),
            np.fromiter(map(_MTIME, stats), dtype=np.int64, count=n))


class _NativeLstat:
    """`lstat` of many names relative to a folder's descriptor: libc's `fstatat` with
    AT_SYMLINK_NOFOLLOW (what `os.lstat(name, dir_fd=fd)` calls), called by `map` with
    a reference into one buffer per name (`byref(buffer, offset)`), and the buffer read
    as arrays. The function is called without declared argument types: ctypes then
    passes the int, the bytes and the reference as they are (declared types cost a
    Python-level conversion per argument, ~40% more instructions per call).

    Only where `struct stat`'s layout is known (Linux x86-64: 144 bytes, st_mode at 24,
    st_size at 48, st_mtim at 88) and checked: the first chunk's first entry must equal
    `os.lstat`'s for the same name, or this is switched off for the process and
    `os.lstat` does the work (`ok` False). Names that `os.lstat` would refuse (a NUL in
    one) go to `os.lstat` too."""

    SIZE = 144
    AT_SYMLINK_NOFOLLOW = 0x100

    def __init__(self, fstatat: object) -> None:
        self.fstatat = fstatat
        self.checked = False
        self.ok = True
        self.calls = 0  # names stat'ed this way (a counter for tests)

    def chunk(self, fd: int, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        if not self.ok or not names:
            return None
        if "\0" in "".join(names):
            return None
        import ctypes  # (numpy has imported it already)

        encoded = list(map(str.encode, names, itertools.repeat(_FS_ENCODING), itertools.repeat(_FS_ERRORS)))
        n = len(names)
        buf = (ctypes.c_char * (n * self.SIZE))()  # zeroed
        refs = list(map(ctypes.byref, itertools.repeat(buf), range(0, n * self.SIZE, self.SIZE)))
        self.calls += n
        codes = list(map(self.fstatat, itertools.repeat(fd), encoded, refs, itertools.repeat(self.AT_SYMLINK_NOFOLLOW)))
        if any(codes):
            raise OSError(errno.ENOENT, "an article file could not be stat'ed")  # (os.lstat raises too)
        entries = np.frombuffer(buf, dtype=_stat_fields())
        got = (entries["mode"].astype(np.int64), entries["size"].astype(np.int64),
               entries["sec"].astype(np.int64) * 1_000_000_000 + entries["nsec"].astype(np.int64))
        if not self.checked:
            st = os.lstat(names[0], dir_fd=fd)
            self.checked = True
            if (int(got[0][0]), int(got[1][0]), int(got[2][0])) != (st.st_mode, st.st_size, st.st_mtime_ns):
                self.ok = False  # not the layout this expects: os.lstat from now on
                return None
        return got


@functools.lru_cache(maxsize=1)
def _stat_fields() -> np.dtype:
    return np.dtype({"names": ["mode", "size", "sec", "nsec"], "formats": ["<u4", "<i8", "<i8", "<i8"],
                     "offsets": [24, 48, 88, 96], "itemsize": _NativeLstat.SIZE})


_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()
_NATIVE: list[_NativeLstat | None] = []  # found on first use: [the native lstat or None]


def _native_lstat() -> _NativeLstat | None:
    if not _NATIVE:
        _NATIVE.append(_find_native_lstat())
    return _NATIVE[0]


def _find_native_lstat() -> _NativeLstat | None:
    if sys.platform != "linux" or os.uname().machine != "x86_64" or sys.maxsize != 2**63 - 1:
        return None
    import ctypes  # (numpy has imported it already)

    try:
        return _NativeLstat(ctypes.CDLL(None).fstatat)  # this CDLL's own function object: no one shares it
    except (OSError, AttributeError):  # no libc symbol (glibc before 2.33 exports only __fxstatat)
        return None


# Every file name of a listing joined by "\n" (one line per id) checked in one regex pass.
_IDS_RE = re.compile(r"(?:\w(?:[\w.\- ]{0,198}[\w.\-])?\n)*", re.UNICODE)


def _scan_usual(folder: Path) -> list[FileEntry] | None:
    """`scan_folder`'s entries when the folder holds only the usual: article files that
    are regular files with UTF-8, usable, distinct ids (hidden and other files aside).
    Checked in bulk, with C-level passes over the names (one listing, one sort of the
    strings, one regex over all names, `map` for the lstats, relative to the folder's
    descriptor, and for the entries): a loop over `os.scandir` entries cost ~7 µs a file
    (0.25 s of every reload at 34k files), and even the DirEntry objects, their sort as
    (name, entry) pairs and a NamedTuple built per file by its Python-level `__new__`
    were ~0.15 s of a reload's scan at 1M sentences.
    None when anything is unusual (or the folder changes under the scan): the loop in
    `scan_folder` then finds and reports it."""
    try:
        names = [n for n in os.listdir(folder) if n[:1] != "." and n.lower().endswith(ARTICLE_SUFFIXES)]
    except (OSError, ValueError):
        return None
    if not names:
        return []
    names.sort()
    ids = [n[: n.rfind(".")] for n in names]
    joined = "\n".join(ids) + "\n"
    try:
        joined.encode("utf-8")  # a name that is not UTF-8 (surrogate escapes) fails here
    except UnicodeEncodeError:
        return None
    if _IDS_RE.fullmatch(joined) is None or len(set(ids)) != len(ids):
        return None
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            stats = list(map(functools.partial(os.lstat, dir_fd=fd), names))
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return None
    modes = np.fromiter(map(_MODE, stats), dtype=np.int64, count=len(stats))
    if not bool(((modes & 0o170000) == stat.S_IFREG).all()):
        return None
    prefix = os.path.join(os.fspath(folder), "")  # what `os.scandir(folder)`'s entries' `path` starts with
    rows = zip(ids, [prefix + n for n in names], map(_SIZE, stats), map(_MTIME, stats))
    return list(map(_new_tuple, itertools.repeat(FileEntry), rows))


_new_tuple = tuple.__new__  # FileEntry._make without its Python frame


def scan_folder(folder: Path) -> tuple[list[FileEntry], list[FileFailure]]:
    """List the article files directly in `folder` (sorted), refusing unsafe ones.

    Hidden files and other suffixes are ignored silently (editors leave those);
    symlinks that lead outside the folder or in a loop, names that are not UTF-8
    or hold control characters, anything but a regular file (a directory, FIFO or
    device named `x.md`), and two files with one id, are failures. Only listing
    the folder itself can raise (OSError): every entry's problem is its own.
    """
    root = Path(os.path.realpath(folder))
    entries: list[FileEntry] = []
    failures: list[FileFailure] = []
    seen: dict[str, str] = {}  # id → the file name that has it
    # Names sorted as strings (the order sorting the Paths gave: one folder, so the
    # names decide), and each entry's lstat from its DirEntry: at 3,400 files, sorting
    # Path objects and formatting each one's string for os.lstat cost most of the scan.
    fast = _scan_usual(folder)
    if fast is not None:
        return fast, []
    with os.scandir(folder) as listing:
        found = sorted((entry.name, entry) for entry in listing)
    # The entry's own string (`dir_entry.path`) is kept: no Path per file (FileEntry.path
    # makes one when a file is read), no re-joining of the folder.
    for name, dir_entry in found:
        if name.startswith(".") or not name.lower().endswith(ARTICLE_SUFFIXES):
            continue
        path = dir_entry.path
        if not _is_utf8(name):
            # Shown and stored with escapes: the raw name cannot even go into SQLite.
            shown = folder / printable_name(name)
            failures.append(FileFailure(printable_name(doc_id_for(Path(path))), shown,
                                        "file name is not valid UTF-8: rename it"))
            continue
        doc_id = name[: name.rfind(".")]  # doc_id_for(path): the suffix is .md or .txt
        if not _ID_RE.fullmatch(doc_id):
            failures.append(FileFailure(printable_name(doc_id), folder / printable_name(name),
                                        "file name is not a usable id (letters, digits, spaces, . _ - only)"))
            continue
        try:
            st = dir_entry.stat(follow_symlinks=False)  # lstat
            if st.st_mode & 0o170000 != stat.S_IFREG:  # (a regular file: one test, the usual case)
                if stat.S_ISLNK(st.st_mode):
                    target = os.path.realpath(path)  # a loop ends at a link, never raises
                    if not Path(target).is_relative_to(root):
                        failures.append(FileFailure(doc_id, Path(path),
                                                    "symlink leads outside the knowledge folder: refused"))
                        continue
                    st = os.stat(path)  # ELOOP for a symlink loop, ENOENT for a dangling link
                if not stat.S_ISREG(st.st_mode):
                    failures.append(FileFailure(doc_id, Path(path), f"not a regular file ({_kind(st.st_mode)})"))
                    continue
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOENT):
                why = "symlink loop" if exc.errno == errno.ELOOP else "dangling symlink"
                failures.append(FileFailure(doc_id, Path(path), f"not a regular file ({why})"))
            else:
                failures.append(FileFailure(doc_id, Path(path), f"cannot read: {exc.strerror or exc}"))
            continue
        if doc_id in seen:
            failures.append(FileFailure(doc_id, Path(path), f"same id as {seen[doc_id]}: rename one of them"))
            continue
        seen[doc_id] = name
        entries.append(FileEntry(doc_id, path, st.st_size, st.st_mtime_ns))
    return entries, failures


def _kind(mode: int) -> str:
    for test, word in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return word
    return "not a file"


def read_bytes_safely(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes + 1` bytes of a regular file. Opened non-blocking and checked
    after opening, so a file swapped for a FIFO or a device after the scan raises
    OSError instead of blocking the reload forever."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(st.st_mode)})")
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_article(entry: FileEntry, max_bytes: int = MAX_FILE_BYTES) -> LoadedFile | FileFailure:
    """Read, check and parse one file."""
    if entry.size > max_bytes:
        return FileFailure(entry.doc_id, entry.path, f"too large: {entry.size:,} bytes (limit {max_bytes:,})")
    try:
        data = read_bytes_safely(entry.path, max_bytes)
    except OSError as exc:
        return FileFailure(entry.doc_id, entry.path, f"cannot read: {exc.strerror or exc}")
    return load_bytes(entry, data, max_bytes)


def load_bytes(entry: FileEntry, data: bytes, max_bytes: int = MAX_FILE_BYTES) -> LoadedFile | FileFailure:
    """Check and parse the bytes of an article (also used for uploads before saving)."""
    def fail(reason: str) -> FileFailure:
        return FileFailure(entry.doc_id, entry.path, reason)

    if len(data) > max_bytes:
        return fail(f"too large: over {max_bytes:,} bytes")
    if not data.strip():
        return fail("the file is empty")
    if looks_binary(data):
        return fail("binary content, not a text article")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(f"not UTF-8 text (bad byte at offset {exc.start})")
    from bot.ingest.parse import ParseError

    try:
        document = parse_document(entry.doc_id, text, entry.path.suffix)
    except ParseError as exc:
        return fail(str(exc))
    import hashlib  # (OpenSSL's ~5 ms: a file read, never a scan or a CLI `ask`)

    return LoadedFile(entry, hashlib.sha256(data).hexdigest(), document)


def parse_document(doc_id: str, text: str, suffix: str) -> "Document":
    """bot.ingest.parse's, imported by the first file read: a scan (and a CLI `ask`)
    never loads the parser and its PyYAML and pysbd."""
    from bot.ingest.parse import parse_document as parse

    return parse(doc_id, text, suffix)


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control bytes, in the first 8 KiB mean it is not text."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(8, len(head) // 100)


def file_hash(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def safe_article_name(filename: str) -> str | None:
    """A file name from outside (an upload) reduced to a safe `<id>.<md|txt>`, or None.

    Only the last path component survives; anything but letters, digits, `.`, `_`
    and `-` becomes `-`; leading dots go (no hidden files, no `..`).
    """
    base = os.path.basename(filename.replace("\\", "/")).strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in ARTICLE_SUFFIXES:
        return None
    stem = re.sub(r"[^\w.\-]+", "-", stem, flags=re.UNICODE).strip(".-_ ")
    stem = re.sub(r"\.{2,}", ".", stem)[:120]
    if not stem or not _ID_RE.fullmatch(stem):
        return None
    return f"{stem}.{suffix.lower()}"
