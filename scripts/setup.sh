#!/usr/bin/env bash
# Installs everything Territory Planner needs on a Debian/Ubuntu machine (root or sudo) and
# creates .venv with the package installed in editable mode.
#   scripts/setup.sh          runtime: Qt/WebEngine system libraries, Xvfb, CJK fonts, the app
#   scripts/setup.sh --dev    also test tools: poppler-utils (pdftoppm), PostgreSQL, dev extras
# Idempotent and quick when nothing changed (a stamp keyed on pyproject.toml skips pip).
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

# Libraries QtWebEngine needs offscreen and in a real X window (see shared QT-WEBENGINE-NOTES),
# Xvfb for a virtual screen, a CJK-capable font for printing Chinese/Japanese names.
RUNTIME_DEBS=(libasound2 libbrotli1 libdbus-1-3 libegl1 libfontconfig1 libfreetype6 libgbm1 libgl1
  libglib2.0-0 libnspr4 libnss3 libx11-6 libxcb-dri3-0 libxcb1 libxcomposite1 libxdamage1 libxext6
  libxfixes3 libxkbcommon0 libxkbfile1 libxrandr2 libxtst6 libx11-xcb1 libxcb-cursor0 libxcb-glx0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-render0
  libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
  libxkbcommon-x11-0 xvfb xauth fonts-noto-cjk python3-venv)
DEV_DEBS=(poppler-utils postgresql)

want=("${RUNTIME_DEBS[@]}")
(( DEV )) && want+=("${DEV_DEBS[@]}")
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  if command -v apt-get >/dev/null; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    echo "setup: installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages first: ${missing[*]}" >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' || {
  echo "setup: Python 3.11 or newer is needed (found $("$PY" --version 2>&1))" >&2; exit 1; }
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
extras=$([[ $DEV == 1 ]] && echo "[dev]" || echo "")
stamp=".venv/.setup-stamp$extras-$(sha1sum pyproject.toml | cut -c1-12)"
if [[ ! -f "$stamp" ]]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".$extras"
  touch "$stamp"
fi
echo "setup: ready (.venv)"
