#!/usr/bin/env bash
# Development set of real recordings with human beat annotations, for tools/eval_beats.py, taken
# from public GitHub repositories: 6 beat-annotated recordings and 2 tempo-only ones (the .beats of
# the cuidado and BRID excerpts cover only their first 1.5 s, so only their tempo is used).
# The audio is copyrighted research material: OUT must lie outside the repository; never commit it.
#   M=MIRRORS OUT=DIR bash tools/get_beat_dev_set.sh
# MIRRORS holds a clone (bare or not) of each repository as OWNER+NAME/repo: CPJKU/madmom,
# mir-dataset-loaders/mirdata, CPJKU/BallroomAnnotations, TempoBeatDownbeat/gtzan_tempo_beat,
# superbock/ISMIR2019. Writes NAME.wav|flac beside NAME.beats (seconds, first column) or NAME.bpm.
set -euo pipefail
M=${M:?set M to the folder that holds the mirrors (OWNER+NAME/repo)}
OUT=${OUT:?set OUT to the output folder, outside the repository}
mkdir -p "$OUT"
MM=$M/CPJKU+madmom/repo; MD=$M/mir-dataset-loaders+mirdata/repo; BA=$M/CPJKU+BallroomAnnotations/repo
GT=$M/TempoBeatDownbeat+gtzan_tempo_beat/repo; IS=$M/superbock+ISMIR2019/repo
R=tests/resources/mir_datasets
beats_only() { tr -d '\r' | awk -F'[;\t ]' 'NF && $1 ~ /^[0-9.]+$/ {print $1}'; }
git -C "$MM" show HEAD:tests/data/audio/sample.wav > "$OUT/madmom_sample.wav"
git -C "$MM" show HEAD:tests/data/annotations/sample.beats > "$OUT/madmom_sample.beats"
git -C "$MD" show HEAD:$R/ballroom/B_1.0/audio/Waltz/Media-105901.wav > "$OUT/ballroom_waltz.wav"
git -C "$BA" show HEAD:Media-105901.beats | beats_only > "$OUT/ballroom_waltz.beats"
git -C "$MD" show HEAD:$R/gtzan_genre/gtzan_genre/genres/country/country.00000.wav > "$OUT/gtzan_country.wav"
git -C "$GT" show HEAD:beats/gtzan_country_00000.beats | beats_only > "$OUT/gtzan_country.beats"
git -C "$MD" show HEAD:$R/hainsworth/H_1.0/audio/hains001.flac > "$OUT/hainsworth_001.flac"
git -C "$IS" show HEAD:hainsworth/annotations/beats/hainsworth_001.beats | beats_only > "$OUT/hainsworth_001.beats"
git -C "$MD" show HEAD:$R/simac/S_1.0/audio/simac_01_H_mikri_Rallou.flac > "$OUT/simac_greek.flac"
git -C "$IS" show HEAD:simac/annotations/beats/simac_greek_01_H_mikri_Rallou.beats | beats_only > "$OUT/simac_greek.beats"
git -C "$MD" show 524b846a86591545f4b528364c142908a0b9ee37:$R/smc/S_1.0/audio/SMC_175.flac > "$OUT/smc_175.flac"
git -C "$IS" show HEAD:smc/annotations/beats/smc_175.beats | beats_only > "$OUT/smc_175.beats"
git -C "$MD" show HEAD:$R/cuidado/C_1.0/audio/cuidado_FallaCancion.flac > "$OUT/cuidado_falla.flac"
git -C "$MD" show HEAD:$R/cuidado/C_1.0/annotations/tempo/cuidado_FallaCancion.bpm > "$OUT/cuidado_falla.bpm"
git -C "$MD" show "HEAD:$R/brid/BRID_1.0/Data/Acoustic Mixtures/4 Instruments/[0001] M4-01-SA.wav" > "$OUT/brid_samba.wav"
git -C "$MD" show "HEAD:$R/brid/BRID_1.0/Annotations/tempo/[0001] M4-01-SA.bpm" > "$OUT/brid_samba.bpm"
for f in "$OUT"/*.beats "$OUT"/*.bpm; do [[ -s $f ]] || { echo "get_beat_dev_set: $f is empty" >&2; exit 1; }; done
ls "$OUT"
