"""The one format of our jobs' data in Redis: JSON, zstd-compressed once it is large enough to gain from it.

Why zstd: a queued webhook waits in Redis until a worker takes it, and on the small hosted plans merchants start on
(25-50 MB) the backlog a flash sale or a worker outage leaves is what fills Redis first. Shopify's 15 KB sample
order goes from 17 KB of job data to 2.8 KB at zstd level 1 in about 40 us (lz4: 4.0 KB in about 20 us, zlib: 3.0
KB in about 110 us); bench/queue_size.py measures what Redis then holds per queued order, each codec side by side.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import zstandard

# Job data shorter than this stays plain JSON: a frame's header and the call cost more than they save.
COMPRESS_FROM = 1024
LEVEL = 1
# Every zstd frame starts with these four bytes; JSON never does, so plain jobs (and jobs queued before compression
# was turned on) still read as they are.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# zstandard's compressor and decompressor objects must not be used by two threads at once (the receiver runs
# several threads per process), and building one per call costs as much as the compression itself.
_codecs = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    compressor = getattr(_codecs, "compressor", None)
    if compressor is None:
        compressor = _codecs.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    decompressor = getattr(_codecs, "decompressor", None)
    if decompressor is None:
        decompressor = _codecs.decompressor = zstandard.ZstdDecompressor()
    return decompressor


class JobSerializer:
    """RQ's job data as JSON written and read by orjson (a 15 KB order in microseconds), compressed with zstd from
    COMPRESS_FROM bytes on. RQ itself zlib-compresses a job's data when it saves the job again, and reads zlib or
    raw data alike before handing it to `loads`, so both forms reach `loads` unchanged."""

    @staticmethod
    def dumps(value: Any) -> bytes:
        data = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        return _compressor().compress(data) if len(data) >= COMPRESS_FROM else data

    @staticmethod
    def loads(data: bytes) -> Any:
        return orjson.loads(JobSerializer.plain(data))

    @staticmethod
    def plain(data: bytes) -> bytes:
        """The JSON text, for a search through many jobs' data that parses only the few that quote what it seeks."""
        return _decompressor().decompress(data) if data[:4] == ZSTD_MAGIC else data
