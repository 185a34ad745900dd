#!/usr/bin/env bash
# Opens Territory Planner on the demo project (built on first run into build/demo.tplan).
# Without a display it starts a virtual one (Xvfb) and saves a screenshot, so the command
# still proves the window opens on a headless machine.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=${DEMO:-build/demo.tplan}
mkdir -p "$(dirname "$DEMO")"
[[ -f "$DEMO" ]] || .venv/bin/planner demo "$DEMO"
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec .venv/bin/planner "$DEMO" "$@"
fi
echo "run: no display found; opening the window on a virtual screen (Xvfb) and saving build/screenshot.png"
exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/planner "$DEMO" --snapshot build/screenshot.png "$@"
