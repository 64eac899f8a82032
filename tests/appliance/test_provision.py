"""First-boot provisioning with good, bad and missing files on a temporary boot partition."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kiosk.appliance.provision import pending_config_error, provision
from kiosk.config import load_settings

KEY = "sk_live_4f9a8b7c6d5e4f3a2b1c"
GOOD_CONFIG = '[shop]\nname = "Kaffee Eck"\nlanguage = "de"\n\n[mion]\napi_key_file = "mion-api-key"\n'
OLD_CONFIG = '[shop]\nname = "Old Name"\n\n[mion]\napi_key_file = "mion-api-key"\n'


@pytest.fixture
def boot(tmp_path: Path) -> Path:
    path = tmp_path / "boot-firmware"
    path.mkdir()
    (path / "cmdline.txt").write_text("console=tty3 quiet\n")  # an unrelated file that must stay
    return path


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    path = tmp_path / "etc-kiosk"
    path.mkdir()
    (path / "kiosk.toml").write_text(OLD_CONFIG)
    return path


def test_good_config_and_key_are_installed_and_leave_the_boot_partition(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text(GOOD_CONFIG)
    (boot / "mion-api-key").write_text(KEY + "\r\n")  # as a Windows editor saves it

    result = provision(boot, etc)

    assert result.ok and result.config_installed and result.key_installed
    assert load_settings(etc / "kiosk.toml").shop.name == "Kaffee Eck"
    assert (etc / "mion-api-key").read_text() == KEY
    assert stat.S_IMODE((etc / "mion-api-key").stat().st_mode) == 0o600
    assert stat.S_IMODE((etc / "kiosk.toml").stat().st_mode) == 0o644
    assert sorted(p.name for p in boot.iterdir()) == ["cmdline.txt"]
    assert pending_config_error(etc) is None
    assert sorted(p.name for p in etc.iterdir()) == ["kiosk.toml", "mion-api-key"]  # no temporary files left


def test_bad_config_is_refused_old_one_kept_and_reason_recorded(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text('[sale]\nmax_amount_cents = "12.50"\n')

    result = provision(boot, etc)

    assert not result.ok and not result.config_installed
    assert result.error is not None and "[sale] max_amount_cents" in result.error
    assert (etc / "kiosk.toml").read_text() == OLD_CONFIG
    assert (boot / "kiosk.toml").exists()  # left for the owner to fix
    assert pending_config_error(etc) == result.error
    assert len((etc / "config-error").read_text().splitlines()) == 1


def test_config_that_is_not_toml_names_the_boot_file_not_a_temporary_one(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text("[shop\nname = 'x'\n")

    result = provision(boot, etc)

    assert result.error is not None and "not valid TOML" in result.error
    assert str(boot / "kiosk.toml") in result.error
    assert ".kiosk.toml." not in result.error


def test_fixing_the_config_clears_the_error(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text('[shop]\nlanguage = "xx"\n')
    provision(boot, etc)
    assert pending_config_error(etc) is not None

    (boot / "kiosk.toml").write_text(GOOD_CONFIG)
    result = provision(boot, etc)

    assert result.ok
    assert pending_config_error(etc) is None


def test_removing_the_bad_config_clears_the_error(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text('[shop]\nlanguage = "xx"\n')
    provision(boot, etc)
    (boot / "kiosk.toml").unlink()

    result = provision(boot, etc)

    assert result.ok and not result.config_installed and not result.key_installed
    assert pending_config_error(etc) is None
    assert (etc / "kiosk.toml").read_text() == OLD_CONFIG


def test_nothing_on_the_boot_partition_changes_nothing(boot: Path, etc: Path) -> None:
    result = provision(boot, etc)

    assert result.ok and not result.config_installed and not result.key_installed
    assert sorted(p.name for p in etc.iterdir()) == ["kiosk.toml"]


def test_key_and_config_are_independent(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text("[shop]\nnmae = 'typo'\n")
    (boot / "mion-api-key").write_text(KEY)

    result = provision(boot, etc)

    assert result.key_installed and not result.config_installed
    assert result.error is not None and "did you mean name?" in result.error
    assert not (boot / "mion-api-key").exists()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "is empty"),
    (b"  \n", "is empty"),
    (b"two words", "one line"),
    (b"line1\nline2", "one line"),
    (b"short", "characters long"),
    ("cl\u00e9-with-accent".encode(), "plain ASCII"),
])
def test_bad_key_is_refused_without_echoing_it(boot: Path, etc: Path, content: bytes, reason: str) -> None:
    (etc / "mion-api-key").write_text(KEY)
    (boot / "mion-api-key").write_bytes(content)

    result = provision(boot, etc)

    assert not result.key_installed
    assert result.error is not None and reason in result.error
    if content.strip():
        assert content.decode(errors="ignore").split()[0] not in result.error
    assert (etc / "mion-api-key").read_text() == KEY  # the old key stays


def test_key_with_byte_order_mark_is_accepted(boot: Path, etc: Path) -> None:
    (boot / "mion-api-key").write_bytes(b"\xef\xbb\xbf" + KEY.encode() + b"\n")

    assert provision(boot, etc).key_installed
    assert (etc / "mion-api-key").read_text() == KEY


def test_key_pasted_into_a_setting_is_not_repeated_in_the_error(boot: Path, etc: Path) -> None:
    (boot / "mion-api-key").write_text(KEY)
    (boot / "kiosk.toml").write_text(f'[mion]\nbase_url = "{KEY}"\n')

    result = provision(boot, etc)

    assert result.error is not None and "[mion] base_url" in result.error
    assert KEY not in result.error
    assert KEY not in (etc / "config-error").read_text()


def test_config_without_the_key_file_setting_installs_with_a_note(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text('[shop]\nname = "No Key Setting"\n')

    result = provision(boot, etc)

    assert result.ok and result.config_installed
    assert any("api_key_file" in note for note in result.notes)


def test_missing_etc_dir_is_created(boot: Path, tmp_path: Path) -> None:
    (boot / "kiosk.toml").write_text(GOOD_CONFIG)
    etc = tmp_path / "fresh" / "kiosk"

    assert provision(boot, etc).config_installed
    assert (etc / "kiosk.toml").exists()


def test_pending_config_error_reads_one_line(tmp_path: Path) -> None:
    assert pending_config_error(tmp_path) is None
    (tmp_path / "config-error").write_text("[shop] language: expected en, de or fi\n\n")
    assert pending_config_error(tmp_path) == "[shop] language: expected en, de or fi"
    (tmp_path / "config-error").write_text("\n")
    assert pending_config_error(tmp_path) is None


def test_the_image_default_config_is_valid() -> None:
    default = Path(__file__).parents[2] / "image-build" / "stage-kiosk" / "00-kiosk" / "files" / "kiosk.toml"

    assert load_settings(default).mion.api_key_file == "mion-api-key"


def test_the_config_error_file_is_readable_by_root_only(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text('[shop]\nlanguage = "xx"\n')

    provision(boot, etc)

    assert stat.S_IMODE((etc / "config-error").stat().st_mode) == 0o600


def test_the_kiosk_reads_the_refusal_from_its_credential_copy(boot: Path, etc: Path, tmp_path: Path) -> None:
    (boot / "kiosk.toml").write_text('[shop]\nlanguage = "xx"\n')
    reason = provision(boot, etc).error
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "config-error").write_bytes((etc / "config-error").read_bytes())

    assert pending_config_error(etc, {"CREDENTIALS_DIRECTORY": str(credentials)}) == reason
    (credentials / "config-error").write_text("\n")  # the unit's fallback when there is no file
    assert pending_config_error(etc, {"CREDENTIALS_DIRECTORY": str(credentials)}) is None


def _pending_as_another_user(etc: Path) -> str | None:
    """pending_config_error(etc) as a user who may not read root's 0600 file."""
    if os.geteuid() != 0:
        (etc / "config-error").chmod(0)  # not even the owner may read it now
        return pending_config_error(etc, {})
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become nobody, answer through the pipe, leave at once
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(writer, (pending_config_error(etc, {}) or "").encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer:
        text = answer.read().decode()
    os.waitpid(pid, 0)
    return text or None


def test_a_refusal_the_kiosk_may_not_read_still_stops_it_and_says_where_to_look(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_text('[shop]\nlanguage = "xx"\n')
    provision(boot, etc)

    line = _pending_as_another_user(etc)

    assert line is not None and "refused" in line and str(etc / "config-error") in line
    assert "sudo kiosk doctor" in line


@pytest.mark.parametrize(("encoding", "bom"), [("cp1252", b""), ("utf-16-le", b"\xff\xfe")])
def test_a_config_not_saved_as_utf8_is_refused_with_its_position(boot: Path, etc: Path, encoding: str,
                                                                 bom: bytes) -> None:
    (boot / "kiosk.toml").write_bytes(bom + '[shop]\nname = "Café Ä"\n'.encode(encoding))

    result = provision(boot, etc)

    assert not result.config_installed and result.error is not None
    assert str(boot / "kiosk.toml") in result.error and "line " in result.error and "UTF-8" in result.error
    assert (etc / "kiosk.toml").read_text() == OLD_CONFIG
    assert pending_config_error(etc) == result.error


def test_a_config_saved_as_utf8_with_a_byte_order_mark_is_installed_without_it(boot: Path, etc: Path) -> None:
    (boot / "kiosk.toml").write_bytes(b"\xef\xbb\xbf" + GOOD_CONFIG.replace("Kaffee Eck", "Café Ä").encode())

    assert provision(boot, etc).config_installed
    assert (etc / "kiosk.toml").read_bytes().startswith(b"[shop]")
    assert load_settings(etc / "kiosk.toml").shop.name == "Café Ä"


def test_the_key_on_the_boot_partition_is_overwritten_before_it_is_removed(boot: Path, etc: Path,
                                                                            tmp_path: Path) -> None:
    (boot / "mion-api-key").write_text(KEY + "\r\n")
    witness = tmp_path / "the-same-file"
    os.link(boot / "mion-api-key", witness)  # a second name for the same bytes, to see what became of them

    assert provision(boot, etc).key_installed

    assert not (boot / "mion-api-key").exists()
    assert witness.read_bytes() == b"\0" * (len(KEY) + 2)
    assert (etc / "mion-api-key").read_text() == KEY
