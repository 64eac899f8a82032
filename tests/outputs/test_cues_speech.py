"""Non-visual cues and spoken prompts: a distinct sound per moment, words on their own thread."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest
from clocks import wait_until

from kiosk.core.view import (
    CheckingView,
    EntryError,
    IdleView,
    InvoiceView,
    MessageKind,
    MessageView,
    PaidView,
    TipCustomView,
)
from kiosk.display.screenshot import sample_frame
from kiosk.outputs.buzzer import PaidBuzzer
from kiosk.outputs.cues import BUZZER_PATTERNS, CHIME_NOTES, Cue
from kiosk.outputs.speech import Speaker
from kiosk.shell.announce import Announcer


def invoice(reference: str = "K1-1", amount_cents: int = 1375) -> InvoiceView:
    return InvoiceView(amount_cents=amount_cents, amount_msat=27_500_000, invoice="lnbcrt1", seconds_left=90,
                       lifetime_s=120, reference=reference)


def test_every_cue_has_its_own_buzzer_pattern_and_its_own_notes() -> None:
    assert len(set(BUZZER_PATTERNS.values())) == len(Cue) == len(BUZZER_PATTERNS)
    assert len(set(CHIME_NOTES.values())) == len(Cue) == len(CHIME_NOTES)


def test_the_buzzer_beeps_each_cue_in_its_pattern() -> None:
    calls: list[tuple[float, float, int]] = []

    class Recording:
        def beep(self, on_time: float, off_time: float, n: int) -> None:
            calls.append((on_time, off_time, n))

    buzzer = PaidBuzzer("GPIO18")
    buzzer._buzzer = Recording()  # type: ignore[assignment]
    for cue in Cue:
        buzzer.play(cue)
    buzzer.beep_paid()
    assert calls == [BUZZER_PATTERNS[cue] for cue in Cue] + [BUZZER_PATTERNS[Cue.PAID]]


class Voice:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


def test_each_moment_is_cued_once_and_spoken_in_the_shops_language() -> None:
    cues: list[Cue] = []
    voice = Voice()
    announcer = Announcer("de", players=[cues.append], voice=voice)
    for view in (IdleView(shop_name="x"), invoice(), invoice(), CheckingView(amount_cents=1375, elapsed_s=1),
                 invoice(), PaidView(amount_cents=1375, amount_msat=1), PaidView(amount_cents=1375, amount_msat=1),
                 IdleView(shop_name="x"), invoice("K1-2", 500), MessageView(kind=MessageKind.EXPIRED),
                 IdleView(shop_name="x"), MessageView(kind=MessageKind.ERROR),
                 MessageView(kind=MessageKind.CANCELLED)):
        announcer.observe(view)
    # Paid is cued by the ledger when it is journaled; here it is only spoken.
    assert cues == [Cue.INVOICE, Cue.INVOICE, Cue.ENDED, Cue.ERROR, Cue.ENDED]
    assert voice.said == ["Bitte 13,75\u00a0€ bezahlen.", "Bezahlt. Vielen Dank!", "Bitte 5,00\u00a0€ bezahlen.",
                          "Die Zahlung ist abgelaufen.", "Die Zahlung ist nicht möglich.",
                          "Die Zahlung wurde abgebrochen."]


def test_the_tip_screen_is_read_out_with_each_key_and_total() -> None:
    voice = Voice()
    announcer = Announcer("en", players=[], voice=voice)
    view = sample_frame("tip").view
    announcer.observe(view)
    announcer.observe(view)
    assert voice.said == [("Amount €12.50. Would you like to add a tip? Key 1: 5 percent, total €13.13. "
                          "Key 2: 10 percent, total €13.75. Key 3: 15 percent, total €14.38. Key 0: no tip.")]


def _fake_engine(tmp_path: Path, delay_s: float = 0.0) -> tuple[str, Path]:
    out = tmp_path / "spoken.txt"
    script = tmp_path / "fake-espeak"
    script.write_text(f"#!{sys.executable}\n"
                      "import sys, time\n"
                      f"time.sleep({delay_s})\n"
                      "text = sys.stdin.read()\n"
                      f"open({str(out)!r}, 'a').write(' '.join(sys.argv[1:]) + '|' + text + '\\n')\n")
    script.chmod(0o755)
    return str(script), out


def test_speech_runs_the_engine_off_the_loop_with_the_language_speed_and_text(tmp_path: Path) -> None:
    command, out = _fake_engine(tmp_path, delay_s=0.3)
    speaker = Speaker(command, "fi", 170)
    speaker.start()
    try:
        started = time.monotonic()
        speaker.say("Maksa 12,50 €.")
        speaker.say("Maksettu. Kiitos!")
        assert time.monotonic() - started < 0.1  # never waits for the engine
        assert wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 2, timeout_s=15)
    finally:
        speaker.stop()
    assert out.read_text().splitlines() == ["-v fi -s 170 --stdin|Maksa 12,50 €.", "-v fi -s 170 --stdin|Maksettu. Kiitos!"]


def test_a_missing_engine_is_logged_once_and_nothing_else(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.outputs.speech")
    speaker = Speaker(str(tmp_path / "no-such-espeak"), "en", 150)
    speaker.start()
    try:
        speaker.say("Please pay.")
        assert wait_until(lambda: not speaker.available, timeout_s=10)
        speaker.say("Paid.")
        speaker.say("Paid again.")
    finally:
        speaker.stop()
    warnings = [r for r in caplog.records if "not installed" in r.getMessage()]
    assert len(warnings) == 1 and "no-such-espeak" in warnings[0].getMessage()


def test_the_typed_tip_screen_speaks_its_prompt_then_each_typed_total_and_an_error() -> None:
    voice, cues = Voice(), list[Cue]()
    announcer = Announcer("en", players=[cues.append], voice=voice)
    for typed, tip, error in (("", None, None), ("", None, None), ("2", 200, None), ("2", 200, None),
                              ("2.5", 250, None), ("25", 2500, EntryError.TOO_LARGE)):
        announcer.observe(TipCustomView(amount_cents=1250, typed=typed, tip_cents=tip, max_tip_cents=1250,
                                        error=error))
    assert voice.said == ["Type your tip, then press Enter. Amount €12.50.", "Tip €2.00. Total €14.50.",
                          "Tip €2.50. Total €15.00.", "That is over the maximum of €12.50"]
    assert cues == [], "typing is spoken, not beeped"
    german = Voice()
    Announcer("de", players=[], voice=german).observe(sample_frame("tip-custom").view)
    assert german.said == ["Trinkgeld 2,00\u00a0€. Gesamt 14,50\u00a0€."]
