"""Routing received CALLs to typed handler functions.

A :class:`Dispatcher` maps request classes (``ocpp_core.v201.HeartbeatRequest``
...) to functions that take the typed request and return the typed response.
:meth:`Dispatcher.dispatch` calls the handler for a :class:`CallReceived`
event and answers the CALL through the session, so every CALL gets exactly
one answer:

* no handler registered: ``NotSupported`` (the action is recognised, since the
  session decoded it, but this application does not support it; OCPP-J 1.6
  section 4.2.3, 2.x section 4.3);
* the handler (or the guard) raises :class:`CallErrorReply`: a CALLERROR with
  its code, description and details;
* the handler raises anything else, returns something that is not the
  response of the action, or a response that cannot be written (a field of the
  wrong type, a dict for a nested class, anything that fails while encoding):
  ``InternalError`` with a fixed description (nothing of the exception is sent
  to the peer), then ``on_exception`` is told. The CALL is always answered.

Handlers are plain synchronous functions; the examples show an async adapter.
One dispatcher may hold handlers of several versions (a CSMS that speaks 1.6
and 2.0.1): the request class says which version it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ocpp_core._api import add_request_handler
from ocpp_core.errors import (
    CallErrorReply,
    ErrorCode,
    HandlerError,
    LocalProtocolError,
)
from ocpp_core.rpc._events import CallReceived, Event
from ocpp_core.rpc._session import Session

__all__ = ["Dispatcher"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")


_INTERNAL_DESCRIPTION = "the receiver failed to handle the request"


class Dispatcher:
    """Route :class:`CallReceived` events to typed handler functions.

    Args:
        guard: called with every event before its handler; raise
            :class:`CallErrorReply` to refuse the CALL (e.g. ``SecurityError``
            while the station's registration is not accepted, OCPP 2.0.1 B02.FR.09).
        on_exception: told about every exception a handler raised or a wrong
            return value; without it :meth:`dispatch` raises :class:`HandlerError`.

    Example::

        dispatcher = Dispatcher()

        @dispatcher.on(v201.HeartbeatRequest)
        def heartbeat(request: v201.HeartbeatRequest) -> v201.HeartbeatResponse:
            return v201.HeartbeatResponse(current_time=now_utc())

        for event in session.receive(text, now):
            if isinstance(event, CallReceived):
                send(dispatcher.dispatch(session, event))
    """

    def __init__(
        self,
        *,
        guard: Callable[[CallReceived], None] | None = None,
        on_exception: Callable[[CallReceived, Exception], None] | None = None,
    ) -> None:
        self._handlers: dict[type, Callable[[Any], object]] = {}
        self._guard = guard
        self._on_exception = on_exception

    def register(self, request_type: type[Req], handler: Callable[[Req], object]) -> None:
        """Use ``handler`` for CALLs whose request is a ``request_type``.

        Raises:
            LocalProtocolError: ``request_type`` is not a generated request class,
                or already has a handler.
        """
        add_request_handler(self._handlers, request_type, handler)

    def on(
        self, request_type: type[Req]
    ) -> Callable[[Callable[[Req], Resp]], Callable[[Req], Resp]]:
        """Register the decorated function as the handler of ``request_type``."""

        def decorate(handler: Callable[[Req], Resp]) -> Callable[[Req], Resp]:
            self.register(request_type, handler)
            return handler

        return decorate

    def handler_for(self, request_type: type) -> Callable[[Any], object] | None:
        """Return the handler registered for ``request_type``, if any."""
        return self._handlers.get(request_type)

    def dispatch(self, session: Session, event: CallReceived) -> str:
        """Handle one received CALL and answer it through ``session``.

        Returns:
            The CALLRESULT or CALLERROR text to send.

        Raises:
            HandlerError: the handler failed and no ``on_exception`` is set; its
                ``reply`` is the ``InternalError`` answer to send.
            LocalProtocolError: the CALL is not owed an answer by ``session``.
        """
        try:
            if self._guard is not None:
                self._guard(event)
            handler = self._handlers.get(type(event.request))
            if handler is None:
                return session.send_error(
                    event,
                    ErrorCode.NOT_SUPPORTED,
                    f"{event.call.action} is recognised but not supported by the receiver",
                )
            response = handler(event.request)
        except CallErrorReply as reply:
            try:
                return session.send_error(event, reply.code or "", reply.description, reply.details)
            except LocalProtocolError as exc:  # a code the version lacks, a long text
                return self._failed(session, event, exc)
        except Exception as exc:  # every CALL must be answered, whatever the handler does
            return self._failed(session, event, exc)
        try:
            return session.send_result(event, response)
        except Exception as exc:  # wrong class, a value that cannot be written, anything
            return self._failed(session, event, exc)

    def _failed(self, session: Session, event: CallReceived, exc: Exception) -> str:
        text = session.send_error(event, ErrorCode.INTERNAL_ERROR, _INTERNAL_DESCRIPTION)
        if self._on_exception is None:
            raise HandlerError(
                f"the handler of {event.call.action} failed: {exc!r}"[:300], reply=text, event=event
            ) from exc
        self._on_exception(event, exc)
        return text

    def dispatch_all(self, session: Session, events: Iterable[Event]) -> list[str]:
        """Dispatch every :class:`CallReceived` in ``events``; return the answers in order."""
        return [
            self.dispatch(session, event) for event in events if isinstance(event, CallReceived)
        ]
