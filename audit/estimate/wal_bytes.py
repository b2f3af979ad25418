"""What one operation adds to WAL at ``wal_level=logical``, in bytes: the rules of heapam.c.

Every figure is from wal_overhead.md §2.3 and §4 (record sizes read with pg_walinspect on
PostgreSQL 15 and checked against ``log_heap_update``, ``heap_delete``, ``ExtractReplicaIdentity``
and ``xact.c``). Sizes are in LSN terms unless named ``*_LEN``: records start at 8-byte
boundaries, and :data:`PAGE_FACTOR` adds the 24-byte header of every 8 KiB WAL page.
"""

from __future__ import annotations

import math

ALIGN = 8
PAGE_FACTOR = 8192 / 8168
TUPLE_HEADER_LEN = 23  # SizeofHeapTupleHeader: not logged, the 5-byte xl_heap_header stands in
# every commit gains xinfo (4) + dbinfo (8): 34 -> 46 B, 40 -> 48 B aligned
COMMIT_EXTRA = 8.0
# a logical-mode UPDATE record without image: XLogRecord 24 + block ref 20 + main-data header 2
# + xl_heap_update 14 + xl_heap_header 5 = 65, plus the tuple after its 23-byte header
UPDATE_FIXED_LEN = 65
SECOND_BLOCK_LEN = 8  # the old page's block reference (same relation) of a cross-page update
IMAGE_HEADER_LEN = 5  # XLogRecordBlockImageHeader
# replica mode logs a same-page update with prefix/suffix compression: 4 bytes of lengths
# and (for one small changed column) almost no tuple bytes: extra = t_len - 27
SAME_PAGE_UPDATE_SAVED = 27
# an INSERT or UPDATE whose page got a full-page image drops its tuple in replica mode only
IMAGED_TUPLE_SAVED = 18  # t_len - 23 + 5
DELETE_LEN = 54  # XLogRecord 24 + block ref 20 + main-data header 2 + xl_heap_delete 8
KEY_TUPLE_OVERHEAD = 6  # xl_heap_header 5 + 1-byte null bitmap of the key-only tuple
OLD_TUPLE_SAVED = 18  # FULL logs xl_heap_header 5 + flattened row - 23-byte header
LONG_MAIN_DATA = 3  # main data over 255 B takes a 5-byte instead of a 2-byte header
UPDATE_MAIN_DATA_LEN = 14
DELETE_MAIN_DATA_LEN = 8
NEW_CID_EXTRA = 64.0  # XLOG_HEAP2_NEW_CID: 60 B, 64 aligned, one per catalog tuple touched
INVAL_MESSAGE_LEN = 16
INVAL_RECORD_EXTRA = 32.0  # XLOG_XACT_INVALIDATIONS: 24 + 2 + 4 = 30, 30 + 16m aligns to +2


def align(length: float) -> float:
    """``length`` rounded up to the next multiple of 8 (fractional averages stay fractional
    below the boundary: the mean padding of varying lengths is 3.5 B)."""
    return math.ceil(length / ALIGN) * ALIGN if float(length).is_integer() else length + 3.5


def same_page_update(tuple_len: float) -> float:
    """A HOT (or other same-page) update: the whole new tuple instead of the changed bytes."""
    return max(0.0, tuple_len - SAME_PAGE_UPDATE_SAVED)


def imaged_tuple(tuple_len: float) -> float:
    """An INSERT or UPDATE into a page that got a full-page image keeps its tuple."""
    return max(0.0, tuple_len - IMAGED_TUPLE_SAVED)


def update_record(tuple_len: float) -> float:
    """Length of a logical-mode UPDATE / HOT_UPDATE record without image or second block."""
    return UPDATE_FIXED_LEN + tuple_len - TUPLE_HEADER_LEN


def delete_key(key_len: float) -> float:
    """DELETE with a key identity (primary key or USING INDEX): the old key tuple."""
    return align(DELETE_LEN + KEY_TUPLE_OVERHEAD + key_len) - align(DELETE_LEN)


def full_old_row(flat_len: float, main_data_len: int) -> float:
    """REPLICA IDENTITY FULL: the flattened old row on every UPDATE and DELETE."""
    old = max(0.0, flat_len - OLD_TUPLE_SAVED)
    long_header = LONG_MAIN_DATA if main_data_len + old + 5 > 255 else 0
    return old + long_header


def full_update(flat_len: float) -> float:
    return full_old_row(flat_len, UPDATE_MAIN_DATA_LEN)


def full_delete(flat_len: float) -> float:
    return full_old_row(flat_len, DELETE_MAIN_DATA_LEN)


def invalidations(messages: float, records: float) -> float:
    """Invalidation messages logged again at each command end (XLOG_XACT_INVALIDATIONS)."""
    return INVAL_MESSAGE_LEN * messages + INVAL_RECORD_EXTRA * records
