"""An in-memory transport pair: two connected pipes for tests and simulations."""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["MemoryTransport", "memory_pair"]


class _Pipe:
    """One direction: a bounded queue of texts that can be closed."""

    def __init__(self, maxsize: int) -> None:
        self.items: deque[str | bytes] = deque()
        self.maxsize = maxsize
        self.closed = False
        self.changed = asyncio.Condition()

    async def put(self, text: str | bytes) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.closed or len(self.items) < self.maxsize)
            if self.closed:
                raise ConnectionError("the pipe is closed")
            self.items.append(text)
            self.changed.notify_all()

    async def get(self) -> str | bytes:
        async with self.changed:
            await self.changed.wait_for(lambda: bool(self.items) or self.closed)
            if self.items:
                text = self.items.popleft()
                self.changed.notify_all()
                return text
            raise EOFError("the pipe is closed")

    async def close(self) -> None:
        async with self.changed:
            self.closed = True
            self.changed.notify_all()


class MemoryTransport:
    """One end of :func:`memory_pair`: ``send``, ``recv`` and ``close`` as a WebSocket has.

    ``send`` waits while the peer has ``maxsize`` texts unread (back-pressure)
    and raises ``ConnectionError`` once either end closed; ``recv`` returns what
    was sent before the close, then raises ``EOFError``.
    """

    def __init__(self, inbound: _Pipe, outbound: _Pipe) -> None:
        self._inbound = inbound
        self._outbound = outbound

    async def send(self, message: str | bytes, /) -> None:
        """Write one message to the other end."""
        if self._inbound.closed:
            raise ConnectionError("this end is closed")
        await self._outbound.put(message)

    async def recv(self) -> str | bytes:
        """Return the next message from the other end; ``EOFError`` once closed."""
        return await self._inbound.get()

    async def close(self) -> None:
        """Close both directions."""
        await self._outbound.close()
        await self._inbound.close()

    @property
    def closed(self) -> bool:
        """Whether this end (or the other) closed the pair."""
        return self._inbound.closed or self._outbound.closed


def memory_pair(maxsize: int = 16) -> tuple[MemoryTransport, MemoryTransport]:
    """Return two connected transports; what one sends, the other receives.

    Args:
        maxsize: how many unread texts each direction holds before ``send`` waits.
    """
    if maxsize < 1:
        raise ValueError("maxsize must be at least 1")
    a_to_b, b_to_a = _Pipe(maxsize), _Pipe(maxsize)
    return MemoryTransport(b_to_a, a_to_b), MemoryTransport(a_to_b, b_to_a)
