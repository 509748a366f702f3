#!/usr/bin/env bash
# Start PulseAudio with a null sink `vj_sink` (its monitor is the default source); needs XDG_RUNTIME_DIR.
set -euo pipefail
: "${XDG_RUNTIME_DIR:?set XDG_RUNTIME_DIR first}"
pulseaudio -D -n --exit-idle-time=-1 --disallow-exit --log-target="file:$XDG_RUNTIME_DIR/pulse.log" \
  --load="module-native-protocol-unix" \
  --load="module-null-sink sink_name=vj_sink rate=44100 channels=2" --load="module-always-sink"
for _ in $(seq 100); do pactl info >/dev/null 2>&1 && break; sleep 0.05; done
pactl info >/dev/null
