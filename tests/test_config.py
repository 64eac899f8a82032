"""Settings: the example file is complete and true, and every bad value is named in one line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, load_settings, read_api_key

EXAMPLE = Path(__file__).parent.parent / "docs" / "kiosk.example.toml"


def _flatten(obj: object, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_flatten(value, f"{prefix}{f.name}."))
        else:
            out[prefix + f.name] = value
    return out


def test_the_example_names_every_setting_and_loads() -> None:
    import tomllib

    data = tomllib.loads(EXAMPLE.read_text())
    written = set()
    for section, values in data.items():
        for key, value in values.items():
            if isinstance(value, dict):
                written.update(f"{section}.{key}.{k}" for k in value)
            else:
                written.add(f"{section}.{key}")
    assert written == set(_flatten(Settings())), "the example and the settings disagree"
    settings = load_settings(EXAMPLE)
    assert settings.pos.total_pattern == Settings().pos.total_pattern


@pytest.mark.parametrize(("text", "message"), [
    ('[sale]\nmax_amount_cents = "12.50"\n', '[sale] max_amount_cents: expected a whole number, got "12.50"'),
    ("[sale]\nmax_amount_cents = 12.5\n", "[sale] max_amount_cents: expected a whole number, got 12.5"),
    ("[sale]\nmax_amont_cents = 5\n", "[sale] max_amont_cents: unknown setting; did you mean max_amount_cents?"),
    ("[sael]\n", "sael: unknown setting; did you mean sale?"),
    ('[shop]\nlanguage = "sv"\n', '[shop] language: expected one of en, de, fi, got "sv"'),
    ("[display]\nrotate = 45\n", "[display] rotate: expected 0, 90, 180 or 270, got 45"),
    ("[display]\nfullscreen = 1\n", "[display] fullscreen: expected true or false, got 1"),
    ('[pos]\nenabled = true\n', '[pos] port: expected a serial port path when pos is enabled, got ""'),
    ('[pos]\ntotal_pattern = "("\n', "[pos] total_pattern: not a valid regular expression"),
    ('[mion.paths]\ncreate_session = "/x"\n', "[mion.paths] create_session: expected a method and a path"),
    ('[printer]\nkind = "usb"\n', '[printer] usb_id: expected vendor:product in hex such as 04b8:0202, got ""'),
    ("[shop\n", "is not valid TOML"),
    ("shop = 3\n", "[shop]: expected a table of settings"),
])
def test_a_bad_setting_is_named_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_the_key_comes_from_a_credential_file_and_never_into_the_message(tmp_path: Path) -> None:
    settings = load_settings(None)
    mion = dataclasses.replace(settings.mion, api_key_file="mion-api-key")
    (tmp_path / "mion-api-key").write_text("  sk_live_abcdef123456\n")
    assert read_api_key(mion, {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == "sk_live_abcdef123456"
    (tmp_path / "mion-api-key").write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        read_api_key(mion, {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert read_api_key(settings.mion, {"MION_API_KEY": "k-from-env"}) == "k-from-env"
    assert read_api_key(settings.mion, {}) is None


def _load_base_url(tmp_path: Path, url: str) -> Settings:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[mion]\nbase_url = "{url}"\n')
    return load_settings(path)


PLAIN_HTTP_REFUSED = ("[mion] base_url: plain http is allowed only to this machine (127.0.0.1, ::1, localhost); "
                      "use https://")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1", "http://127.0.0.1:8765/api/v1", "http://127.255.255.254", "http://[::1]",
    "http://[::1]:8080/", "http://localhost", "http://LocalHost:8765",
    "https://api.mion.group", "https://10.0.0.1:8443/v1", "https://[2001:db8::1]", "https://localhost.evil.com",
])
def test_base_url_is_https_or_plain_http_to_this_machine(tmp_path: Path, url: str) -> None:
    assert _load_base_url(tmp_path, url).mion.base_url == url


@pytest.mark.parametrize("url", [
    "http://128.0.0.1", "http://126.255.255.255", "http://localhost.evil.com", "http://127.0.0.1.evil.com",
    "http://10.0.0.1", "http://192.168.1.20:8080", "http://[::2]", "http://[::ffff:10.0.0.1]",
    "http://0.0.0.0", "http://api.mion.group", "HTTP://api.mion.group",
])
def test_plain_http_to_another_machine_is_refused_because_the_key_would_travel_in_clear(
        tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load_base_url(tmp_path, url)
    assert str(caught.value) == PLAIN_HTTP_REFUSED


@pytest.mark.parametrize("url", [
    "ftp://api.mion.group", "ws://127.0.0.1", "file:///etc/kiosk", "api.mion.group", "https://", "https:///v1",
    "https://user:secret@api.mion.group", "https://api.mion.group/?key=abc", "https://api.mion.group/#x",
    "https://api.mion.group:99999", "https://api mion.group",
])
def test_other_base_urls_are_refused_in_one_line(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load_base_url(tmp_path, url)
    message = str(caught.value)
    assert message.startswith("[mion] base_url: ") and "\n" not in message


SHOP_TEXT = '[shop]\nlanguage = "de"\nname = "Kaffee Häusl €"\n'
"""The ä is the first character that is not ASCII: line 3, column 17."""


@pytest.mark.parametrize(("encoding", "bom", "where"), [
    ("cp1252", b"", "line 3, column 17"),     # Notepad's "ANSI" on a Western European Windows
    ("utf-16-le", b"\xff\xfe", "line 1, column 1"),  # Notepad's "Unicode"
    ("utf-16-be", b"\xfe\xff", "line 1, column 1"),
    ("utf-16-le", b"", "line 1, column 2"),   # no byte-order mark: the first NUL byte gives it away
])
def test_a_config_that_is_not_utf8_is_named_with_the_position(tmp_path: Path, encoding: str, bom: bytes,
                                                              where: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_bytes(bom + SHOP_TEXT.encode(encoding))

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    message = str(caught.value)
    assert message.startswith(f"config file {path} ") and where in message and "save it as UTF-8" in message
    assert "\n" not in message


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SHOP_TEXT.replace("\n", "\r\n").encode("utf-8"))  # Notepad's "UTF-8 with BOM"

    assert load_settings(path).shop.name == "Kaffee Häusl €"


def test_a_number_of_thousands_of_digits_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[sale]\nmax_amount_cents = " + "9" * 5000 + "\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(path)


def test_a_key_file_that_is_not_utf8_or_has_a_byte_order_mark(tmp_path: Path) -> None:
    mion = dataclasses.replace(load_settings(None).mion, api_key_file=str(tmp_path / "mion-api-key"))
    (tmp_path / "mion-api-key").write_bytes(b"\xef\xbb\xbfsk_live_abcdef123456\r\n")
    assert read_api_key(mion, {}) == "sk_live_abcdef123456"
    (tmp_path / "mion-api-key").write_bytes("sk_live_abcdéf".encode("cp1252"))
    with pytest.raises(ConfigError, match=r"^\[mion\] api_key_file: .* is not UTF-8 text$"):
        read_api_key(mion, {})


def test_tips_refuse_two_equal_presets_and_a_step_with_no_choice(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[tips]\nenabled = true\npreset1_pct = 10\npreset2_pct = 10\n")
    with pytest.raises(ConfigError, match=r"^\[tips\] preset1_pct: expected three different percentages"):
        load_settings(path)
    path.write_text("[tips]\nenabled = true\npreset1_pct = 0\npreset2_pct = 0\npreset3_pct = 0\ncustom = false\n")
    with pytest.raises(ConfigError, match=r"^\[tips\] enabled: expected at least one preset"):
        load_settings(path)
    path.write_text("[tips]\nenabled = true\npreset1_pct = 0\npreset2_pct = 8\npreset3_pct = 0\n")
    assert load_settings(path).tips.presets_pct == (8,)


def test_display_theme_is_normal_or_high_contrast(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[display]\ntheme = "dark"\n')
    with pytest.raises(ConfigError, match=r'^\[display\] theme: expected "normal" or "high-contrast"'):
        load_settings(path)
    path.write_text('[display]\ntheme = "high-contrast"\nlarge_text = true\n')
    display = load_settings(path).display
    assert (display.theme, display.large_text) == ("high-contrast", True)
