#!/bin/bash
# Turns Raspberry Pi OS Lite (stage2's root file system) into the kiosk appliance.
#
# Runs on the build host from this directory, with pi-gen's ROOTFS_DIR and on_chroot. Host-side steps
# copy files into the image; steps that need the image's own tools (users, the virtual environment,
# systemctl) run inside it through on_chroot. Safe to run again on the same root file system.
#
# Needs KIOSK_WHEEL_DIR (holding exactly one kiosk-*.whl); image-build/build.sh sets it.
set -eu -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KIOSK_REPO_DIR="${KIOSK_REPO_DIR:-$(cd "${HERE}/../../.." && pwd)}"
: "${ROOTFS_DIR:?ROOTFS_DIR is set by pi-gen}"
: "${KIOSK_WHEEL_DIR:?KIOSK_WHEEL_DIR must name the directory holding the kiosk wheel (see build.sh)}"

# Boot quietly to a black screen: kernel messages go to tty3, tty1 belongs to the kiosk, the console
# never blanks and shows no cursor. Every console= goes, including the serial console on serial0,
# whose pins may carry the till link.
KIOSK_CMDLINE="console=tty3 consoleblank=0 vt.global_cursor_default=0 quiet loglevel=3 logo.nologo"

edit_cmdline() {
	local file="$1" token
	local -a tokens kept=()
	read -r -a tokens < "${file}"
	for token in "${tokens[@]}"; do
		case "${token}" in
			console=* | consoleblank=* | vt.global_cursor_default=* | quiet | loglevel=* | logo.nologo) ;;
			*) kept+=("${token}") ;;
		esac
	done
	printf '%s %s\n' "${kept[*]}" "${KIOSK_CMDLINE}" > "${file}"
}

add_config_line() {
	local file="$1" line="$2"
	grep -qxF "${line}" "${file}" 2>/dev/null || printf '%s\n' "${line}" >> "${file}"
}

shopt -s nullglob
wheels=("${KIOSK_WHEEL_DIR}"/kiosk-*.whl)
shopt -u nullglob
if [ "${#wheels[@]}" -ne 1 ]; then
	echo "expected exactly one kiosk-*.whl in ${KIOSK_WHEEL_DIR}, found ${#wheels[@]}" >&2
	exit 1
fi

# The application: wheel, documentation, keypad overlay sample.
install -d -m 755 "${ROOTFS_DIR}/opt/kiosk" "${ROOTFS_DIR}/opt/kiosk/wheels" "${ROOTFS_DIR}/opt/kiosk/keypad"
rm -f "${ROOTFS_DIR}"/opt/kiosk/wheels/kiosk-*.whl
install -m 644 "${wheels[0]}" "${ROOTFS_DIR}/opt/kiosk/wheels/"
install -m 644 "${KIOSK_REPO_DIR}/image-build/README.md" "${ROOTFS_DIR}/opt/kiosk/README.md"
install -m 644 "${KIOSK_REPO_DIR}/image-build/keypad/kiosk-keypad.dts" "${ROOTFS_DIR}/opt/kiosk/keypad/"

# Settings: a default config; the owner's own arrives through the boot partition (kiosk-provision).
install -d -m 755 "${ROOTFS_DIR}/etc/kiosk"
if [ ! -e "${ROOTFS_DIR}/etc/kiosk/kiosk.toml" ]; then
	install -m 644 files/kiosk.toml "${ROOTFS_DIR}/etc/kiosk/kiosk.toml"
fi

# Services.
install -d -m 755 "${ROOTFS_DIR}/etc/systemd/system"
install -m 644 "${KIOSK_REPO_DIR}/systemd/kiosk.service" "${ROOTFS_DIR}/etc/systemd/system/"
install -m 644 "${KIOSK_REPO_DIR}/systemd/kiosk-provision.service" "${ROOTFS_DIR}/etc/systemd/system/"
for unit in kiosk-update.service kiosk-update-settle.service kiosk-update-settle.timer media-update.mount; do
	install -m 644 "${KIOSK_REPO_DIR}/systemd/${unit}" "${ROOTFS_DIR}/etc/systemd/system/"
done

# Updates from a USB stick or the boot partition: only bundles signed with the key whose public half
# is given here are ever installed (README.md, "Updates"). Without it kiosk-update never runs.
if [ -n "${KIOSK_UPDATE_PUBLIC_KEY:-}" ]; then
	install -m 644 "${KIOSK_UPDATE_PUBLIC_KEY}" "${ROOTFS_DIR}/etc/kiosk/update.pub"
fi

# A bounded journal, and device permissions for printers and serial adapters.
install -d -m 755 "${ROOTFS_DIR}/etc/systemd/journald.conf.d" "${ROOTFS_DIR}/etc/udev/rules.d"
install -m 644 files/journald-kiosk.conf "${ROOTFS_DIR}/etc/systemd/journald.conf.d/40-kiosk.conf"
install -m 644 files/70-kiosk-printers.rules "${ROOTFS_DIR}/etc/udev/rules.d/"
install -m 644 files/70-kiosk-serial.rules "${ROOTFS_DIR}/etc/udev/rules.d/"

# Kernel command line and firmware settings.
edit_cmdline "${ROOTFS_DIR}/boot/firmware/cmdline.txt"
add_config_line "${ROOTFS_DIR}/boot/firmware/config.txt" "disable_splash=1"

on_chroot << 'CHROOT'
set -e
# The groups the kiosk needs (Raspberry Pi OS has them; create any that is missing).
for group in video render input gpio dialout lp; do
	getent group "${group}" >/dev/null || groupadd --system "${group}"
done
if ! id -u kiosk >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/kiosk --no-create-home --shell /usr/sbin/nologin kiosk
fi
usermod --append --groups video,render,input,gpio,dialout,lp kiosk

# The application in its own environment; apt's lgpio stays visible to gpiozero.
python3 -m venv --system-site-packages /opt/kiosk/venv
/opt/kiosk/venv/bin/pip install --no-cache-dir --disable-pip-version-check /opt/kiosk/wheels/kiosk-*.whl
# kiosk.service runs current/bin/kiosk; kiosk update points current at a newer environment beside this one.
ln -sfn venv /opt/kiosk/current

# Boot straight into the kiosk: it takes tty1, no login prompt there.
systemctl enable kiosk-provision.service kiosk.service
systemctl enable kiosk-update.service kiosk-update-settle.timer
systemctl disable getty@tty1.service
systemctl set-default multi-user.target

# stage1 gives root a known password; nobody needs to log in as root on the appliance.
passwd --lock root
CHROOT
