#!/usr/bin/env bash
# Installs the Debian packages handpose-live needs (Qt/GL under Xvfb, libusb for pyrealsense2)
# when any is missing (with --browser also chromium and chromium-driver). As root it runs apt-get; otherwise it prints the command and fails.
set -euo pipefail

packages=(xvfb xauth libgl1 libgl1-mesa-dri libglx-mesa0 libegl1 libfontconfig1 libxkbcommon0
  libxkbcommon-x11-0 libx11-xcb1 libxcb1 libxcb-glx0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0
  libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxcb-util1
  fonts-dejavu-core libdbus-1-3 libusb-1.0-0)

# `--browser` (make test): Debian's chromium and its driver too, for the browser viewer's test.
if [[ "${1:-}" == "--browser" ]]; then
  packages+=(chromium chromium-driver)
fi

python=${PYTHON:-python3}
# Debian's own python3 needs python3-venv for `python3 -m venv`; other Pythons bring it.
if ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "Missing Debian packages; install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
