"""Reading a file the user named: a config.json, a plan, a checkpoint header. One function for every path.

A path a user types can be anything: a FIFO that never ends, ``/dev/zero`` or ``/dev/urandom``
(endless), a directory, a 5,000-character name, a name with a NUL byte or a newline in it, a file
of gigabytes. :func:`read_bytes` refuses each of them **before reading**, with one error naming the
field (``config``, ``plan``, ``checkpoint``), so the command line prints one line and exits 2:

* only regular files are read (a symlink to one is fine); FIFOs, sockets, character and block
  devices and directories are refused by type, so nothing blocks or reads forever;
* at most :data:`MAX_BYTES` bytes (16 MiB, far above any config.json or plan file) are read;
  a larger file is refused (a caller reading a header passes its own ``limit``);
* a path containing a NUL byte, too long for the file system, or of the wrong type is refused;
* file names in messages are shortened and their control characters escaped, so a message is
  always one line.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeAlias

from .errors import ConfigError
from .limits import MAX_FILE_BYTES
from .validate import escape

#: What ``error`` arguments are: an error class taking ``(field, problem)`` (:class:`ConfigError` or a subclass), or any
#: callable making an exception from them (callers that re-label a refusal as their own error).
ErrorFactory: TypeAlias = Callable[[str, str], Exception]

#: The most bytes read from a user-supplied file (16 MiB, :data:`planner.limits.MAX_FILE_BYTES`).
MAX_BYTES = MAX_FILE_BYTES

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def display(path: object, limit: int = 120) -> str:
    """A path as messages show it: control characters escaped, shortened in the middle past ``limit`` characters.

    Args:
        path: A ``str``, ``bytes`` (decoded with the file-system encoding) or ``os.PathLike``.
        limit: The most characters shown before the middle is cut out (the length is then added).

    Returns:
        The text, always one line.

    Examples:
        >>> display("plans/a\\nb.json")
        'plans/a\\\\nb.json'
    """
    text = escape(os.fsdecode(path) if isinstance(path, bytes) else str(path))
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]}...{text[-(limit // 2 - 3):]} ({len(text):,} characters)"


def checked_path(path: object, field: str, *, error: ErrorFactory = ConfigError) -> Path:
    """``path`` as a :class:`~pathlib.Path`, refusing what no file system accepts.

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (``config``, ``plan``).
        error: the error class, :class:`ConfigError` or a subclass such as ``PlanFileError``.

    Returns:
        The path.

    Raises:
        ConfigError: naming ``field`` (raised as ``error``): not a path (wrong type), empty, or
            containing a NUL byte.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise error(field, f"must be a file path, got {type(path).__name__}")
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text:
        raise error(field, "the file path is empty")
    if "\x00" in text:
        raise error(field, f"the file path contains a NUL byte: {display(text)}")
    return Path(text)


def _os_error(e: OSError, p: Path, field: str, error: ErrorFactory) -> Exception:
    shown = display(p)
    if e.errno == errno.ENOENT:
        return error(field, f"file not found: {shown}")
    if e.errno == errno.ENOTDIR:
        return error(field, f"file not found (a part of the path is not a directory): {shown}")
    if e.errno == errno.ENAMETOOLONG:
        return error(field, f"the file name is too long for the file system: {shown}")
    if e.errno == errno.ELOOP:
        return error(field, f"too many levels of symbolic links: {shown}")
    return error(field, f"cannot read {shown}: {e.strerror or e}")


def open_regular(path: object, field: str, *, error: ErrorFactory = ConfigError, directory: str | None = None,
                 limit: int | None = None) -> tuple[BinaryIO, int, Path]:
    """Open a regular file the user named for binary reading, without blocking: ``(file, size, path)``.

    For readers that take only part of a file (a checkpoint's header): the same refusals as
    :func:`read_bytes`, with no size limit unless ``limit`` is given. The caller closes the file.

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (``checkpoint``).
        error: the error class, :class:`ConfigError` (default) or a subclass such as ``PlanFileError``.
        directory: what to add when the path is a directory; by default the message says only that a
            file is expected.
        limit: the most bytes accepted (default: no limit).

    Returns:
        ``(file, size, path)``: the file opened in binary mode, its size in bytes, the checked
            :class:`~pathlib.Path`.

    Raises:
        ConfigError: naming ``field`` (raised as ``error``): a bad path, a missing file, a directory, a
            FIFO, socket or device, a file larger than ``limit``, a permission or I/O error.
    """
    p = checked_path(path, field, error=error)
    cap = sys.maxsize if limit is None else limit
    try:
        st = os.stat(p)
    except OSError as e:
        raise _os_error(e, p, field, error) from None
    except ValueError as e:  # e.g. a path the platform cannot encode
        raise error(field, f"not a usable file path ({e}): {display(p)}") from None
    _check_kind(st, p, field, error, cap, directory)
    try:
        # O_NONBLOCK: if the path became a FIFO after the stat above, opening it does not wait for a writer.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise _os_error(e, p, field, error) from None
    try:
        st = os.fstat(fd)
        _check_kind(st, p, field, error, cap, directory)  # the file actually opened
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb"), st.st_size, p


def read_bytes(path: object, field: str, *, limit: int = MAX_BYTES, error: ErrorFactory = ConfigError,
               directory: str | None = None) -> bytes:
    """The contents of a regular file the user named, at most ``limit`` bytes; never blocks.

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (``config``, ``plan``, ``checkpoint``).
        limit: the most bytes accepted (default :data:`MAX_BYTES`); a larger file is refused, not truncated.
        error: the error class to raise: :class:`ConfigError` (default) or a subclass (``PlanFileError``).
        directory: what to add when the path is a directory (e.g. where a model folder is accepted
            elsewhere); by default the message says only that a file is expected.

    Returns:
        The bytes.

    Raises:
        ConfigError: naming ``field`` in one line (raised as ``error``): a bad path (type, NUL byte, too
            long), a missing file, a directory, a FIFO, socket or device, a file larger than ``limit``,
            a permission or I/O error.
    """
    f, _, p = open_regular(path, field, error=error, directory=directory, limit=limit)
    with f:
        try:
            data = f.read(limit + 1)  # a file that grew after the size check is still cut off here
        except OSError as e:
            raise _os_error(e, p, field, error) from None
    if len(data) > limit:
        raise error(field, f"the file is larger than {_size(limit)} (the limit for a {field} file): {display(p)}")
    return data


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n:,} bytes"


def _check_kind(st: os.stat_result, p: Path, field: str, error: ErrorFactory, limit: int,
                directory: str | None) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise error(field, f"is a directory, not a file: {display(p)}" + (f" ({directory})" if directory else ""))
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise error(field, f"is {kind}, not a regular file: {display(p)}")
    if not stat.S_ISREG(st.st_mode):
        raise error(field, f"is not a regular file: {display(p)}")
    if st.st_size > limit:
        raise error(field, f"the file is larger than {_size(limit)} (the limit for a {field} file): {display(p)}")


def read_text(path: object, field: str, *, limit: int = MAX_BYTES, error: ErrorFactory = ConfigError,
              directory: str | None = None) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a leading byte-order mark is dropped).

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (``config``, ``plan``).
        limit: the most bytes accepted (default :data:`MAX_BYTES`, 16 MiB).
        error: the error class, :class:`ConfigError` (default) or a subclass such as ``PlanFileError``.
        directory: what to add when the path is a directory.

    Returns:
        The text.

    Raises:
        ConfigError: naming ``field`` (raised as ``error``): as :func:`read_bytes`, or the file is not
            UTF-8 text.

    Examples:
        >>> read_text("data/models/qwen2.5-0.5b.json", "config").lstrip().startswith("{")
        True
        >>> read_text("no/such/config.json", "config")
        Traceback (most recent call last):
        ...
        planner.errors.ConfigError: config: file not found: no/such/config.json
    """
    raw = read_bytes(path, field, limit=limit, error=error, directory=directory)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(field, f"not a text file (not UTF-8): {display(path)}") from None


def check_writable(path: object, field: str, *, error: ErrorFactory = ConfigError, overwrite: bool = True,
                   directory_ok: bool = False) -> Path:
    """Refuse, before anything is written, a path no file can be written to.

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (``plan``, ``-o``, ``--save``).
        error: the error class, :class:`ConfigError` or a subclass such as ``PlanFileError``.
        overwrite: an existing regular file may be replaced (``False``: refuse it).
        directory_ok: an existing directory is accepted (a command that writes into it).

    Returns:
        The path.

    Raises:
        ConfigError: naming ``field`` (raised as ``error``): a bad path (wrong type, empty, a NUL byte, a
            name too long for the file system), an existing FIFO, socket or device (writing to a FIFO
            would wait forever for a reader), an existing directory unless ``directory_ok``, an existing
            file when ``overwrite`` is false.
    """
    p = checked_path(path, field, error=error)
    raw = os.fsencode(str(p))
    if len(raw) >= 4096 or any(len(part) > 255 for part in raw.split(b"/")):
        raise error(field, f"the file name is too long for the file system: {display(p)}")
    try:
        st = os.stat(p)
    except (OSError, ValueError):
        return p  # not there yet (a missing folder is reported when writing)
    if stat.S_ISDIR(st.st_mode):
        if not directory_ok:
            raise error(field, f"{display(p)} is a directory, not a file")
    elif not stat.S_ISREG(st.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise error(field, f"{display(p)} is {kind}, not a file to write")
    elif not overwrite:
        raise error(field, f"{display(p)} exists; pass overwrite=True to replace it")
    return p


def write_text(path: object, text: str, field: str, *, error: ErrorFactory = ConfigError,
               overwrite: bool = True) -> Path:
    """Write ``text`` (UTF-8) to a file the user named, after the refusals of :func:`check_writable`.

    Args:
        path: a ``str`` or ``os.PathLike``.
        text: the content.
        field: the name errors use (``plan``, ``save``, ``-o``).
        error: the error class, :class:`ConfigError` or a subclass such as ``PlanFileError``.
        overwrite: replace an existing regular file (``False``: refuse it).

    Returns:
        The path written.

    Raises:
        ConfigError: naming ``field`` (raised as ``error``): whatever :func:`check_writable` refuses, or
            an I/O or permission error (a missing folder, a read-only file system).
    """
    p = check_writable(path, field, error=error, overwrite=overwrite)
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as e:
        raise error(field, f"cannot write {display(p)}: {e.strerror or e}") from None
    except ValueError as e:  # a path the platform cannot encode
        raise error(field, f"not a usable file path ({e}): {display(p)}") from None
    return p
