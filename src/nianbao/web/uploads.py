"""Uploaded files: read in chunks under the size limit, named safely, kept when a user stores them.

An upload's name is only ever used for display and for its suffix (which picks the reader): the file is
written under a name we make, so "../../etc/passwd" or "a/b.pdf" cannot escape the upload folder.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass

from fastapi import HTTPException, UploadFile

from ..readers import supported_suffixes

CHUNK = 1024 * 1024


@dataclass(slots=True)
class Upload:
    name: str       # the user's file name, cleaned, for display
    path: str       # where it is on disk now
    size: int
    sha256: str


def clean_name(name: str | None) -> str:
    """The last path element of an uploaded name, without control characters; "未命名" if nothing is left."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[:200] or "未命名"


def suffix_of(name: str) -> str:
    return os.path.splitext(name)[1].lower()


async def receive(files: list[UploadFile], max_bytes: int, max_files: int, workdir: str,
                  allowed: set[str] | None = None) -> list[Upload]:
    """Write each upload into `workdir` (a fresh temp folder) under a safe name; refuse the whole request
    with a Chinese message when there are too many files, a file is too big, or a suffix is not read."""
    if not files:
        raise HTTPException(400, "没有收到文件：请选择一个或多个年报文件")
    if len(files) > max_files:
        raise HTTPException(413, f"一次最多上传 {max_files} 个文件，收到了 {len(files)} 个")
    allowed = allowed if allowed is not None else set(supported_suffixes())
    out = []
    for i, f in enumerate(files):
        name = clean_name(f.filename)
        suffix = suffix_of(name)
        if suffix not in allowed:
            raise HTTPException(415, f"{name}：不支持的文件类型“{suffix or '无扩展名'}”，可上传："
                                + "、".join(sorted(allowed)))
        path = os.path.join(workdir, f"{i:04d}{suffix}")
        digest, size = hashlib.sha256(), 0
        with open(path, "wb") as fh:
            while chunk := await f.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise HTTPException(413, f"{name}：文件超过大小上限 {max_bytes // (1024 * 1024)} MB")
                digest.update(chunk)
                fh.write(chunk)
        out.append(Upload(name, path, size, digest.hexdigest()))
    return out


def workdir() -> str:
    return tempfile.mkdtemp(prefix="nianbao-upload-")


def discard(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def keep(upload: Upload, data_dir: str) -> str:
    """Copy an upload into the data folder under its content hash (so the stored report's file is never
    lost, and the same content is kept once); returns the kept path."""
    folder = os.path.join(data_dir, upload.sha256[:2])
    os.makedirs(folder, exist_ok=True)
    dest = os.path.join(folder, upload.sha256 + suffix_of(upload.name))
    if not os.path.exists(dest):
        tmp = dest + ".part"
        shutil.copyfile(upload.path, tmp)
        os.replace(tmp, dest)
    return dest
