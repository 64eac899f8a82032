"""The ``kiosk`` command's subcommands, one module per kind of work; ``kiosk.cli`` parses and routes."""
