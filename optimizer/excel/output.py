"""Writing output files safely: never onto an input, never while Excel holds the file, never
onto anything but a regular file, never half-written (write to a temporary file in the same
folder, then rename), and never losing a finished result to its file name.

The temporary file is `.<name>.<random>.partial` (the name cut short when needed to stay within
the file system's limit): if the process is killed mid-write, what is left beside the previous
output can never be mistaken for a workbook. It is created with the process umask, like any new
file, or with the mode of the file it replaces."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

import xlsxwriter
from xlsxwriter.exceptions import FileSizeError
from xlsxwriter.workbook import Workbook

from optimizer.errors import OutputError, UsageError

log = logging.getLogger(__name__)

NAME_MAX = 255  # bytes in one file name (ext4, XFS, APFS, ...)
PATH_MAX = 4096  # bytes in a path, its final NUL included (Linux)
TEMP_SUFFIX = ".partial"
RANDOM_BYTES = 4
TEMP_EXTRA = 2 + 2 * RANDOM_BYTES + len(TEMP_SUFFIX)  # what `.<name>.<hex>.partial` adds
ALTERNATIVES = 1000  # free names tried beside a target that became unusable


class TargetUnavailable(OutputError):
    """The target's own name cannot take the output (open in Excel, not a regular file,
    read-only, already there) although its folder can: a finished result can go beside it."""

    def __init__(self, reason: str, advice: str):
        super().__init__(f"{reason}; {advice}")
        self.reason = reason


def check_output_path(target: Path, inputs: Iterable[Path] = (), replace: bool = True) -> None:
    """Refuse an output that cannot be written, before any work: not an .xlsx name, a name or
    path too long, an input, a missing or read-only folder, open in Excel, not a regular file,
    read-only, or (without `replace`) already there."""
    target = Path(target)
    check_name(target)
    _check_not_input(target, inputs)
    _check_folder(target)
    _check_target(target, replace)


def check_name(target: Path) -> None:
    """Every output is a workbook; its name and path must fit the file system, temporary
    name included (checked after a long solve would be too late)."""
    if target.suffix.lower() != ".xlsx":
        raise UsageError(f"'{_shown(target)}': the output must be an .xlsx file name, such as "
                         "plan.xlsx")
    size = len(os.fsencode(target))
    if size + TEMP_EXTRA >= PATH_MAX:
        raise OutputError(f"cannot write {_shown(target)}: its path is {size:,} bytes long; "
                          f"the limit is {PATH_MAX - 1 - TEMP_EXTRA:,}")
    for part in target.parts:
        if (size := len(os.fsencode(part))) > NAME_MAX:
            which = "its name" if part == target.name else f"folder name '{_shown(Path(part))}'"
            raise OutputError(f"cannot write {_shown(target)}: {which} is {size:,} bytes long; "
                              f"the limit is {NAME_MAX}")


def _shown(path: Path, limit: int = 80) -> str:
    """A path short enough for a one-line message."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 2:]}"


def _check_not_input(target: Path, inputs: Iterable[Path]) -> None:
    for source in map(Path, inputs):
        if _same_file(target, source):
            raise OutputError(f"refusing to write {target}: it is the input workbook; choose "
                              "another output name with -o")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (
            a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):  # a symbolic link loop: not the input; refused below
        return False


def _check_folder(target: Path) -> None:
    folder = target.parent
    if not folder.exists():
        raise OutputError(f"cannot write {target}: folder {folder} does not exist")
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: {folder} is not a folder")
    # os.access also sees a read-only file system, where root may write nothing either.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: folder {folder} is read-only")


def _check_target(target: Path, replace: bool) -> None:
    lock = target.with_name(f"~${target.name}")
    if os.path.lexists(lock):
        raise TargetUnavailable(f"{target} is open in Excel (lock file {lock.name})",
                                "close it and run again")
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        raise TargetUnavailable(f"{target} is a folder", "choose a file name")
    if not stat.S_ISREG(mode):
        # renaming over it would replace a device, a pipe or a link with a workbook
        raise TargetUnavailable(f"{target} is {_kind(mode)}, not a regular file",
                                "choose another output name")
    if not replace:
        raise TargetUnavailable(f"{target} already exists", "pass --force to replace it")
    # the mode bits too: root may write to anything, yet a read-only plan means "keep me"
    if not os.access(target, os.W_OK) or not mode & 0o222:
        raise TargetUnavailable(f"{target} is read-only",
                                "make it writable or choose another output name")


def _kind(mode: int) -> str:
    kinds = {stat.S_ISLNK: "a symbolic link", stat.S_ISFIFO: "a named pipe (FIFO)",
             stat.S_ISCHR: "a device", stat.S_ISBLK: "a device", stat.S_ISSOCK: "a socket"}
    return next((name for test, name in kinds.items() if test(mode)), "a special file")


def writable_target(target: Path, inputs: Iterable[Path] = ()) -> Path:
    """Where to write a finished result: `target`, or a free name beside it (with a warning)
    when the target became unusable since it was checked, e.g. opened in Excel during the
    solve. A finished solve is never thrown away for its file name."""
    target = Path(target)
    try:
        check_output_path(target, inputs)
    except TargetUnavailable as err:
        alternative = _free_name(target)
        log.warning("warning: %s; writing %s instead", err.reason, alternative)
        return alternative
    return target


def _free_name(target: Path) -> Path:
    """`name (2).xlsx`, `name (3).xlsx`, ...: the first that neither exists nor is locked."""
    for n in range(2, ALTERNATIVES + 2):
        tail = f" ({n}){target.suffix}"
        name = _cut(target.stem, NAME_MAX - len(tail.encode()) - 2) + tail  # room for "~$"
        candidate = target.with_name(name)
        if not os.path.lexists(candidate) and \
                not os.path.lexists(candidate.with_name(f"~${name}")):
            return candidate
    raise OutputError(f"cannot write {target}: it is unusable and so are {ALTERNATIVES} "
                      "names beside it")


def _cut(text: str, size: int) -> str:
    """`text` cut to at most `size` bytes, never inside a character."""
    return os.fsencode(text)[:size].decode(errors="ignore")


def make_folder(folder: Path) -> Path:
    """Create an output folder (and its parents) or say plainly why it cannot be."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {_shown(Path(folder))}: "
                          f"{exc.strerror or exc}") from exc
    return Path(folder)


@contextlib.contextmanager
def atomic_output(target: Path, inputs: Iterable[Path] = (),
                  replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success it replaces `target` in one step."""
    target = Path(target)
    check_output_path(target, inputs, replace)
    tmp = _create_temp(target)
    try:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _create_temp(target: Path) -> Path:
    """An empty temporary file beside `target` with the mode the output is to have: the mode
    of the file it replaces, else what the umask leaves (as for any new file; mkstemp's 0600
    would lock colleagues on a shared drive out)."""
    try:
        keep = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        keep = None
    for _ in range(100):
        tmp = target.with_name(_temp_name(target.name))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        if keep is not None:
            with contextlib.suppress(OSError):  # some shares refuse chmod: the mode is a nicety
                os.fchmod(fd, keep)
        os.close(fd)
        return tmp
    raise OutputError(f"cannot write {target}: no free temporary name beside it")


def _temp_name(name: str) -> str:
    tail = f".{secrets.token_hex(RANDOM_BYTES)}{TEMP_SUFFIX}"
    return "." + _cut(name, NAME_MAX - 1 - len(tail)) + tail


@contextlib.contextmanager
def new_workbook(path: Path, inputs: Iterable[Path] = (),
                 replace: bool = True) -> Iterator[Workbook]:
    """An xlsxwriter workbook that replaces `path` only once it is complete (see
    `atomic_output`)."""
    with atomic_output(Path(path), inputs, replace) as tmp:
        # Zipped in memory, then written in one call: a full disk is then a plain OSError
        # (reported as exit 7), not a half-closed zip file complaining at garbage collection.
        # nan_inf_to_errors: a stray inf becomes an Excel error cell instead of a TypeError.
        # Text is text: never a formula or a link because of how it starts.
        buffer = io.BytesIO()
        wb = xlsxwriter.Workbook(buffer, {"nan_inf_to_errors": True,
                                          "strings_to_formulas": False,
                                          "strings_to_urls": False})
        yield wb
        try:
            wb.close()
        except FileSizeError as exc:
            raise OutputError(f"cannot write {path}: {exc}") from exc
        tmp.write_bytes(buffer.getbuffer())
