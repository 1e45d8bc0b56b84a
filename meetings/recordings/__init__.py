"""Recordings: the consent gate, start and stop in the room, ingest, storage, viewers."""
