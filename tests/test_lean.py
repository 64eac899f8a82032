"""The kiosk loads its libraries without the optional parts it never uses (``kiosk.lean``), and they
still do their work: requests without charset guessing, qrcode without Pillow where there is no printer.

Each check runs in a fresh interpreter, since this test process has long imported everything."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kiosk.lean import import_without


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_mion_client_loads_requests_without_charset_guessing_and_still_reads_answers(
        tmp_path: object) -> None:
    out = run("""
        import json, sys, threading
        from http.server import BaseHTTPRequestHandler, HTTPServer
        import kiosk.mion.client
        import requests

        class Answer(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"name": "Café Ümlaut"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        answer = requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=5)
        print(sorted(m for m in ("chardet", "charset_normalizer") if m in sys.modules), answer.json()["name"])
        server.shutdown()
    """)
    assert out == "[] Café Ümlaut"


@pytest.mark.parametrize(("pillow", "loaded"), [(False, "False"), (True, "True")])
def test_a_kiosk_without_a_printer_encodes_qr_codes_without_loading_pillow(pillow: bool, loaded: str) -> None:
    out = run(f"""
        import sys
        from kiosk.display import qr
        qr.warm_up(pillow={pillow})
        matrix = qr.encode(qr.qr_payload("lnbcrt1u1pabcdef"))
        print("PIL" in sys.modules, matrix.size)
        import PIL.Image  # and Pillow itself still imports when something needs it
        print(PIL.Image.__name__)
    """)
    assert out.splitlines() == [f"{loaded} 33", "PIL.Image"]  # version 2 (25 modules) and its quiet zone


def test_import_without_leaves_the_companion_importable_afterwards_and_an_imported_one_alone() -> None:
    assert import_without("json", ("decimal",)) is sys.modules["json"]  # already imported: untouched
    out = run("""
        import sys
        from kiosk.lean import import_without
        import_without("http.cookiejar", ("this_companion_is_not_installed",))
        print("this_companion_is_not_installed" in sys.modules, "http.cookiejar" in sys.modules)
    """)
    assert out == "False True"


def test_the_kiosk_loads_pygame_without_its_mixer_until_a_chime_needs_it() -> None:
    out = run("""
        import os, sys
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
        import kiosk.shell
        import pygame
        print("pygame.mixer" in sys.modules, "pygame.mixer_music" in sys.modules)
        pygame.display.init()
        print(pygame.display.set_mode((64, 48)).get_size())
        import kiosk.outputs.sound  # the chime's module brings the mixer in when a kiosk plays sound
        print("pygame.mixer" in sys.modules, callable(pygame.mixer.get_init))
    """)
    assert out.splitlines() == ["False False", "(64, 48)", "True True"]
