"""Joints streamed to other programs: JSON over UDP datagrams and a WebSocket server (`--stream`)."""
