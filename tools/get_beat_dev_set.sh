#!/usr/bin/env bash
# Development set of real recordings with human beat annotations, for tools/eval_beats.py.
# Builds the shared set (/work/shared/bench/get_real_dev_set.sh, or SHARED=path) and checks it:
# 6 beat-annotated recordings (the .beats of the cuidado and BRID excerpts cover only their first
# 1.5 s, so those two are tempo-only) and 2 tempo-only ones.
# The audio is copyrighted research material: OUT must lie outside the repository; never commit it.
#   M=/work/.mirror OUT=/work/data/beats_real bash tools/get_beat_dev_set.sh
# Mirrors needed under M (OWNER+NAME/repo, bare or cloned): CPJKU/madmom, mir-dataset-loaders/mirdata,
# CPJKU/BallroomAnnotations, TempoBeatDownbeat/gtzan_tempo_beat, superbock/ISMIR2019.
set -euo pipefail
M=${M:?set M to the folder that holds the mirrors (OWNER+NAME/repo)}
OUT=${OUT:?set OUT to the output folder, outside the repository}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED:-$HERE/../../shared/bench/get_real_dev_set.sh}
[[ -f $SHARED ]] || SHARED=/work/shared/bench/get_real_dev_set.sh
[[ -f $SHARED ]] || { echo "get_beat_dev_set: no get_real_dev_set.sh (set SHARED)" >&2; exit 2; }
M=$M OUT=$OUT bash "$SHARED" > /dev/null
rm -f "$OUT/cuidado_falla.beats" "$OUT/brid_samba.beats"  # left by earlier versions
for f in "$OUT"/*.beats "$OUT"/*.bpm; do [[ -s $f ]] || { echo "get_beat_dev_set: $f is empty" >&2; exit 1; }; done
ls "$OUT"
