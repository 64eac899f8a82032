#!/bin/bash
# Builds the kiosk SD-card image: 64-bit Raspberry Pi OS Lite (bookworm) plus the kiosk stage.
#
#   sudo KIOSK_ADMIN_PASSWORD='...' [KIOSK_SSH_PUBKEY='ssh-ed25519 ...'] [KIOSK_UPDATE_PUBLIC_KEY=update.pub] \
#        image-build/build.sh [OUT_DIR]
#
# Steps: build the kiosk wheel from this checkout, fetch pi-gen at the pinned commit, run pi-gen's
# stages 0-2 and image-build/stage-kiosk, and copy the image to OUT_DIR (default:
# /var/tmp/kiosk-image/deploy, outside the checkout). See image-build/README.md.
set -eu -o pipefail

# pi-gen's bookworm-arm64 branch, pinned so every build starts from the same Raspberry Pi OS recipe.
# To move to a newer one: pick a commit on that branch, build, boot-test, then change this line.
PI_GEN_REPO="${PI_GEN_REPO:-https://github.com/RPi-Distro/pi-gen.git}"
PI_GEN_COMMIT="${PI_GEN_COMMIT:-d7a31c6aa09f4b867902c51da2b45807c0a1709e}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${HERE}/.." && pwd)"
WORK="${KIOSK_BUILD_DIR:-/var/tmp/kiosk-image}"
OUT_DIR="${1:-${WORK}/deploy}"

die() {
	echo "build.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "pi-gen needs root (loop devices, chroot): run with sudo"
[ -n "${KIOSK_ADMIN_PASSWORD:-}" ] || die "set KIOSK_ADMIN_PASSWORD (the technician's login on the kiosk)"
for tool in git python3; do
	command -v "${tool}" >/dev/null || die "${tool} is missing"
done
case "${WORK}" in
	*" "*) die "KIOSK_BUILD_DIR must not contain spaces (debootstrap cannot cope): ${WORK}" ;;
esac

echo "== 1/4 building the kiosk wheel"
rm -rf "${WORK}/wheels"
mkdir -p "${WORK}/wheels"
python3 -m pip wheel --no-deps --wheel-dir "${WORK}/wheels" "${REPO_DIR}"

echo "== 2/4 fetching pi-gen ${PI_GEN_COMMIT}"
if [ ! -d "${WORK}/pi-gen/.git" ]; then
	git clone --no-checkout "${PI_GEN_REPO}" "${WORK}/pi-gen"
fi
git -C "${WORK}/pi-gen" fetch --quiet origin
git -C "${WORK}/pi-gen" checkout --quiet --force --detach "${PI_GEN_COMMIT}"
[ "$(git -C "${WORK}/pi-gen" rev-parse HEAD)" = "${PI_GEN_COMMIT}" ] || die "pi-gen is not at ${PI_GEN_COMMIT}"
# Only our stage exports an image; stage2 (plain Lite) would otherwise export one too.
touch "${WORK}/pi-gen/stage2/SKIP_IMAGES"

echo "== 3/4 running pi-gen (this takes a while)"
export KIOSK_ADMIN_PASSWORD
export KIOSK_SSH_PUBKEY="${KIOSK_SSH_PUBKEY:-}"
# pi-gen runs the stage from its own folder: the key's path must not be relative.
if [ -n "${KIOSK_UPDATE_PUBLIC_KEY:-}" ]; then
	[ -f "${KIOSK_UPDATE_PUBLIC_KEY}" ] || die "KIOSK_UPDATE_PUBLIC_KEY: no file ${KIOSK_UPDATE_PUBLIC_KEY}"
	KIOSK_UPDATE_PUBLIC_KEY="$(realpath "${KIOSK_UPDATE_PUBLIC_KEY}")"
fi
export KIOSK_UPDATE_PUBLIC_KEY="${KIOSK_UPDATE_PUBLIC_KEY:-}"
export KIOSK_STAGE_DIR="${HERE}/stage-kiosk"
export KIOSK_WHEEL_DIR="${WORK}/wheels"
export KIOSK_REPO_DIR="${REPO_DIR}"
(cd "${WORK}/pi-gen" && ./build.sh -c "${HERE}/config")

echo "== 4/4 collecting the image"
mkdir -p "${OUT_DIR}"
shopt -s nullglob
images=("${WORK}"/pi-gen/deploy/*lightning-kiosk*)
shopt -u nullglob
[ "${#images[@]}" -gt 0 ] || die "pi-gen finished but left no image in ${WORK}/pi-gen/deploy"
cp -v "${images[@]}" "${OUT_DIR}/"
echo "done: write the .img.xz in ${OUT_DIR} to an SD card (Raspberry Pi Imager: 'Use custom')"
