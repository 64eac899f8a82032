"""The kiosk as a ZVT payment terminal (PT): codec, terminal state machine and till protocol.

See docs/zvt.md for what a till installer sets and what the kiosk answers.
"""
