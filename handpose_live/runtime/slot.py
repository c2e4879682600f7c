"""A one-item mailbox between two threads."""
from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds the newest item. A put over an unread item replaces it and counts a drop, so a slow
    reader always gets the latest frame instead of a growing queue (live mode). With
    `block=True` a put waits for the reader instead (offline replay: no frame lost).
    """

    def __init__(self, block: bool = False):
        self.block = block
        self.dropped = 0
        self._item: T | None = None
        self._full = False
        self._closed = False
        self._cond = threading.Condition()

    def put(self, item: T) -> bool:
        """Store `item`; False if the slot was closed (the reader has gone)."""
        with self._cond:
            if self.block:
                self._cond.wait_for(lambda: not self._full or self._closed)
            if self._closed:
                return False
            if self._full:
                self.dropped += 1
            self._item, self._full = item, True
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> T | None:
        """The newest item, waiting up to `timeout` s; None on timeout or once closed and empty."""
        with self._cond:
            self._cond.wait_for(lambda: self._full or self._closed, timeout)
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """No more puts; a reader gets what is left, then None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._closed
