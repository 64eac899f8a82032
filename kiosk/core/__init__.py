"""The pure heart of the kiosk: sale state machine, money, view models. No I/O, no clocks, no threads."""
