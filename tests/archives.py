"""Archives of a folder, as students and LMSs make them, for the tests of uploads."""
from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path


def archive_of(folder: Path, archive: Path) -> Path:
    """`folder`'s files as a .zip or a .tar.gz (by `archive`'s name, in any case), each under the
    folder's own name."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if archive.name.lower().endswith(".tar.gz"):
        with tarfile.open(archive, "w:gz") as tf:
            for path in files:
                tf.add(path, path.relative_to(folder.parent).as_posix())
    else:
        with zipfile.ZipFile(archive, "w") as zf:
            for path in files:
                zf.write(path, path.relative_to(folder.parent).as_posix())
    return archive
