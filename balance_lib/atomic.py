"""The one way the project writes an output: completely or not at all, and only where it should.

Every output of every command goes through here (:func:`write_output`, :func:`write_atomic`,
:func:`prepare_folder`):

* ``-`` is standard output;
* the target must be a regular file or absent: a symbolic link, a FIFO, a device or a socket is
  refused (writing would replace the link, block on the FIFO, or write to the device), and so
  is a folder;
* the data go to a temporary file in the target's folder (``.NAME.PID.XXXX.tmp``), are flushed
  to disk, then replace the target in one rename: a reader sees the old file or the new one,
  never half of one, and after any failure (a full disk, a missing permission, a signal) the
  temporary file is removed and the target is as it was;
* a folder of files (:func:`write_folder`: the tables of ``balance evaluate --format parquet``)
  is written as a new folder beside the target and then put in its place in one step, so a
  reader sees the old set of files or the new one, never a mix;
* every failure is an :class:`OutputError` that says what went wrong in words (permission
  denied, disk full, read-only file system, a file where a folder should be …) in Chinese and
  English; the command line prints it and exits with status 2.

Temporary files carry the writer's process id, so :func:`remove_stale_temporaries` can delete
those left by a process that was killed (``balance report`` does it on its next run) without
touching those of a process still writing.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["OutputError", "write_atomic", "write_folder", "write_output", "prepare_folder",
           "check_target", "check_folder_target", "temporary_prefix", "remove_stale_temporaries", "STDOUT"]

#: The output name that means standard output.
STDOUT = "-"

_ERRNO_WORDS = {
    errno.EACCES: ("没有写入权限", "permission denied"),
    errno.EPERM: ("没有写入权限", "permission denied"),
    errno.ENOSPC: ("磁盘已满", "the disk is full"),
    errno.EDQUOT: ("超出磁盘配额", "the disk quota is exceeded"),
    errno.EROFS: ("文件系统是只读的", "the file system is read-only"),
    errno.ENAMETOOLONG: ("文件名太长", "the file name is too long"),
    errno.ENOTDIR: ("路径中有一部分是文件而不是文件夹", "a part of the path is a file, not a folder"),
    errno.EISDIR: ("这是一个文件夹", "it is a folder"),
    errno.EEXIST: ("路径中有一部分是文件而不是文件夹", "a part of the path is a file, not a folder"),
    errno.EIO: ("输入/输出错误", "input/output error"),
}


class OutputError(OSError):
    """An output that cannot be written; ``format(lang)`` says where and why."""

    def __init__(self, path: str | Path, zh: str, en: str):
        self.path, self.zh, self.en = str(path), zh, en
        super().__init__(self.format("en"))

    def format(self, lang: str = "zh") -> str:
        from .safetext import cell

        if lang == "zh":
            return f"无法写入 {cell(self.path)}：{self.zh}"
        return f"cannot write {cell(self.path)}: {self.en}"


def _os_error(path: str | Path, exc: OSError) -> OutputError:
    zh, en = _ERRNO_WORDS.get(exc.errno, (exc.strerror or str(exc), exc.strerror or str(exc)))
    return OutputError(path, zh, en)


def _kind(mode: int) -> tuple[str, str] | None:
    if stat.S_ISLNK(mode):
        return ("这是一个符号链接（为安全起见不写入链接）",
                "it is a symbolic link (links are never written through or replaced)")
    if stat.S_ISDIR(mode):
        return "这是一个文件夹，请给出文件名", "it is a folder: give a file name"
    if stat.S_ISFIFO(mode):
        return "这是一个命名管道（FIFO）", "it is a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "这是一个设备文件", "it is a device"
    if stat.S_ISSOCK(mode):
        return "这是一个套接字", "it is a socket"
    return None


def _mode(path: Path, follow: bool = True) -> int | None:
    """The file mode of ``path`` (of a link itself unless ``follow``), None when absent."""
    try:
        return (os.stat(path) if follow else os.lstat(path)).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _os_error(path, exc) from None


def check_target(path: str | Path) -> Path:
    """``path`` as a place a file may be written to, or :class:`OutputError`.

    Refused: a symbolic link, a folder, a FIFO, a device or a socket, and a path one of whose
    existing parents is not a folder.
    """
    path = Path(path)
    mode = _mode(path, follow=False)
    if mode is not None and not stat.S_ISREG(mode):
        zh, en = _kind(mode)  # type: ignore[misc]
        raise OutputError(path, zh, en)
    for parent in path.absolute().parents:
        pmode = _mode(parent)
        if pmode is None:
            continue
        if not stat.S_ISDIR(pmode):
            raise OutputError(path, f"{parent} 是文件而不是文件夹", f"{parent} is a file, not a folder")
        break
    return path


def temporary_prefix(name: str) -> str:
    """The prefix of this process's temporary files for ``name``: ``.NAME.PID.``."""
    return f".{name}.{os.getpid()}."


_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.(?:tmp|ipynb)$")


def remove_stale_temporaries(folder: str | Path, also_pid: int | None = None) -> list[Path]:
    """Delete, under ``folder``, the temporary files left by processes that no longer run
    (killed while writing), and those of ``also_pid`` (a process cleaning up after itself);
    returns what was removed. Files of other running processes are kept."""
    removed: list[Path] = []
    for root, _dirs, files in os.walk(folder):
        for f in files:
            m = _TEMPORARY.match(f)
            if not m:
                continue
            import psutil  # only when there is a temporary file to judge (0.1 s to import)

            p = Path(root) / f
            pid = int(m.group(1))
            if pid == also_pid:
                p.unlink(missing_ok=True)
                removed.append(p)
                continue
            try:
                alive = psutil.pid_exists(pid) and psutil.Process(pid).create_time() <= (
                    p.stat().st_mtime + 1)
            except (psutil.Error, OSError):
                alive = False
            if not alive:
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    Missing folders are created. The file gets the usual mode (0666 less the umask; mkstemp
    alone would give 0600). On any error the temporary file is removed, ``path`` is left as it
    was (absent, or its previous content) and :class:`OutputError` says why.
    """
    path = check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(path.parent, exc) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path.name), suffix=".tmp",
                                   dir=path.parent)
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        check_target(path)  # not turned into a link or a folder meanwhile
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _os_error(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_output(target: str | Path, data: bytes) -> Path | None:
    """``data`` to standard output when ``target`` is ``-`` (returns None), else
    :func:`write_atomic` (returns the path)."""
    if str(target) == STDOUT:
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        except BrokenPipeError:  # `balance … | head`: the reader left, nothing more to say
            try:
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
            except OSError:
                pass
        except OSError as exc:
            raise _os_error("stdout", exc) from None
        return None
    return write_atomic(target, data)


def prepare_folder(path: str | Path) -> Path:
    """An output folder, created if missing and shown writable, or :class:`OutputError`
    (a file or a device in its place, no permission, a read-only or full disk)."""
    path = Path(path)
    if str(path) == STDOUT:
        raise OutputError(path, "需要一个文件夹，不能是标准输出", "needs a folder, not standard output")
    mode = _mode(path)
    if mode is not None and not stat.S_ISDIR(mode):
        raise OutputError(path, "这是一个文件，不是文件夹", "it is a file, not a folder")
    if mode is None:
        check_target(path / "x")  # the parents
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=temporary_prefix("probe"), suffix=".tmp", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _os_error(path, exc) from None
    return path


def write_folder(path: str | Path, files: dict[str, bytes], *, owned: set[str]) -> Path:
    """Write ``files`` (name -> bytes) as the folder ``path``, all of them or none.

    The files are written (and flushed) into a temporary folder beside ``path``
    (``.NAME.PID.XXXX.tmp``), which then takes the place of ``path`` in one step: renamed to
    it when ``path`` does not exist, or exchanged with the old folder atomically
    (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames in a row) and the old one
    removed. A reader sees the previous set of files or the new one, never a mix.

    An existing ``path`` is replaced only when it is a folder that holds nothing but files
    named in ``owned`` (what this writer writes: a previous result); anything else there (a
    folder of the user's, another kind of file, a link) is refused with :class:`OutputError`
    and left untouched.
    """
    import shutil

    path = check_folder_target(path, owned)
    try:
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=temporary_prefix(path.name), suffix=".tmp",
                                    dir=path.absolute().parent))
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        umask = _umask()
        os.chmod(tmp, 0o777 & ~umask)
        for name, data in files.items():
            target = tmp / name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~umask)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        _dir_sync(tmp)
        if _mode(path, follow=False) is None:
            os.rename(tmp, path)
        else:
            _exchange(tmp, path)  # tmp now holds the previous folder
            shutil.rmtree(tmp, ignore_errors=True)
        _dir_sync(path.absolute().parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _os_error(path, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def check_folder_target(path: str | Path, owned: set[str] | frozenset[str]) -> Path:
    """``path`` as a folder :func:`write_folder` may write, or :class:`OutputError`: absent
    (its parents folders or absent), or a folder holding only regular files named in
    ``owned``."""
    path = Path(path)
    if str(path) == STDOUT:
        raise OutputError(path, "需要一个文件夹，不能是标准输出", "needs a folder, not standard output")
    mode = _mode(path, follow=False)
    if mode is None:
        check_target(path / "x")  # the parents
        return path
    if not stat.S_ISDIR(mode):
        zh, en = (("这是一个文件，不是文件夹", "it is a file, not a folder")
                  if stat.S_ISREG(mode) else _kind(mode))  # type: ignore[misc]
        raise OutputError(path, zh, en)
    try:
        present = sorted(os.listdir(path))
        foreign = [n for n in present if n not in owned
                   or not stat.S_ISREG(os.lstat(path / n).st_mode)]
    except OSError as exc:
        raise _os_error(path, exc) from None
    if foreign:
        from .safetext import cell

        shown = [cell(n) for n in foreign[:5]]
        raise OutputError(
            path, f"文件夹中已有其他文件（{'、'.join(shown)}），为免覆盖，请给出新的或空的文件夹",
            f"the folder holds other files ({', '.join(shown)}); give a new or empty folder so "
            "that nothing else is replaced")
    return path


def _dir_sync(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders: atomically where the system can (Linux ``renameat2``), else by two
    renames (``b`` is briefly absent)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                              ctypes.c_uint]
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), str(b))
    old = a.with_name(a.name + ".old")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)
