"""Talking to Mion: the HTTP client and the built-in simulator."""
