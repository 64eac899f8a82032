"""The sales journal (SQLite)."""
