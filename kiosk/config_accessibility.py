"""``[accessibility]``: spoken prompts and the customer's "more time" key.

The sounds for each outcome (buzzer patterns, chimes) follow ``[light] buzzer_pin`` and
``[light] sound``; the high-contrast theme and large text are ``[display]`` settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config_check import check_numbers, number, refuse_secret, require


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessibilitySettings:
    speech: bool = False
    """Speak the amount and the outcome in the shop's language (``speech_command``)."""
    speech_command: str = "espeak-ng"
    """The text-to-speech program; it is given ``-v <language> -s <speed> <text>``."""
    speech_wpm: int = number(150, 80, 400, "words a minute")
    more_time: bool = True
    """Enter on the invoice screen gives the customer a fresh invoice, within the session's life."""

    def check(self) -> None:
        check_numbers(self, "accessibility")
        command = self.speech_command
        refuse_secret("accessibility", "speech_command", command)  # the command is logged when it is missing
        require(bool(command.strip()) and command.isprintable() and not command.startswith("-"),
                "accessibility", "speech_command", "a program name or path such as espeak-ng", command)
