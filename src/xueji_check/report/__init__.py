"""Writers of the outputs. Every file is written to a temporary name and renamed."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

# A text cell a spreadsheet could run as a formula: = + - @ tab CR at the start (and their
# full-width forms, which some CJK Excel builds also accept).
INJECTION = r"^[=+\-@\t\r＝＋－＠]"
# Characters XML (so xlsx) cannot hold; removed from text written to CSV/XLSX.
ILLEGAL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
MAX_CELL_CHARS = 32_767


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; give the file the mode any new file of this user gets (umask)
        umask = os.umask(0)
        os.umask(umask)
        if tmp_path.exists():
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with a single quote, and drop
    control characters."""

    def one(c: str) -> pl.Expr:
        e = pl.col(c).str.replace_all(ILLEGAL_CHARS, "")
        return pl.when(e.str.contains(INJECTION)).then(pl.lit("'") + e).otherwise(e).alias(c)

    return df.with_columns(one(c) for c, t in df.schema.items() if t == pl.String)


_ILLEGAL_RE = re.compile(ILLEGAL_CHARS)
_INJECTION_RE = re.compile(INJECTION)


def neutralise_text(v: object) -> object:
    """One cell for a spreadsheet: formula-like text quoted, control characters dropped, cut to
    Excel's 32,767 characters."""
    if not isinstance(v, str):
        return v
    v = _ILLEGAL_RE.sub("", v)
    if _INJECTION_RE.match(v):
        v = "'" + v
    if len(v) > MAX_CELL_CHARS:
        v = v[: MAX_CELL_CHARS - 1] + "…"
    return v
