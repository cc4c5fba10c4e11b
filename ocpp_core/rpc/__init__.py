"""OCPP-J RPC framing and a sans-I/O session (placeholder while being written)."""
