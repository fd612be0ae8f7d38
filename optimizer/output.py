"""Writing output files safely: never onto an input, never while Excel holds the file, never
half-written (write to a temporary file in the same folder, then rename).

The temporary file is `.<name>.<random>.partial`: if the process is killed mid-write, what is
left beside the previous output can never be mistaken for a workbook."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from optimizer.errors import OutputError


def check_output_path(target: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output that is an input, is open in Excel, or sits in a missing folder."""
    target = Path(target)
    for source in inputs:
        source = Path(source)
        if target.resolve() == source.resolve() or (
                target.exists() and source.exists() and os.path.samefile(target, source)):
            raise OutputError(f"refusing to write {target}: it is the input workbook; choose "
                              "another output name with -o")
    lock = target.with_name(f"~${target.name}")
    if lock.exists():
        raise OutputError(f"{target} is open in Excel (lock file {lock.name}); close it and "
                          "run again")
    if not target.parent.exists():
        raise OutputError(f"cannot write {target}: folder {target.parent} does not exist")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder")
    # os.access also sees a read-only file system, where root may write nothing either.
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: folder {target.parent} is read-only")


def make_folder(folder: Path) -> Path:
    """Create an output folder (and its parents) or say plainly why it cannot be."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {folder}: {exc.strerror or exc}") from exc
    return Path(folder)


@contextlib.contextmanager
def atomic_output(target: Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success it replaces `target` in one step."""
    target = Path(target)
    check_output_path(target, inputs)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".partial")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
