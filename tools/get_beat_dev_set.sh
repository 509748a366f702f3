#!/usr/bin/env bash
# Development set of real recordings with human beat annotations, for tools/eval_beats.py, taken
# from public GitHub repositories: 30 beat-annotated recordings and 3 tempo-only ones (the .beats of
# the cuidado and BRID excerpts cover only their first 1.5 s, so only their tempo is used):
# - FMP notebooks' data/C6 excerpts, beats annotated at the quarter note: string quartet, piano,
#   violin and piano, orchestra, a tango, an accelerating waltz, a rock song;
# - 5 whole Beatles songs (the FMP data's MP3s, Harte's beats from ISMIR2019);
# - 11 GTZAN excerpts (country, reggae, jazz, disco, hip-hop, pop, metal, blues, classical);
# - ballroom, Hainsworth, SIMAC, SMC excerpts and madmom's sample;
# - a 2-minute electronic Beatport preview (GiantSteps) with its crowdsourced tempo.
# The audio is copyrighted research material: OUT must lie outside the repository; never commit it.
#   M=MIRRORS OUT=DIR [GTZAN=DIR2] bash tools/get_beat_dev_set.sh
# With GTZAN set, DIR2 also gets a second, genre-balanced set: the 100 GTZAN excerpts of
# gtzan_mini (10 per genre, 30 s each) with their beats.
# MIRRORS holds a clone (bare or not) of each repository as OWNER+NAME/repo: CPJKU/madmom,
# mir-dataset-loaders/mirdata, CPJKU/BallroomAnnotations, TempoBeatDownbeat/gtzan_tempo_beat,
# TempoBeatDownbeat/gtzan_mini, superbock/ISMIR2019, zachserviss/CSC475_Chord_Generator (holds a
# copy of the FMP data). Writes NAME.wav|flac|mp3 beside NAME.beats (seconds) or NAME.bpm.
set -euo pipefail
M=${M:?set M to the folder that holds the mirrors (OWNER+NAME/repo)}
OUT=${OUT:?set OUT to the output folder, outside the repository}
mkdir -p "$OUT"
MM=$M/CPJKU+madmom/repo; MD=$M/mir-dataset-loaders+mirdata/repo; BA=$M/CPJKU+BallroomAnnotations/repo
GT=$M/TempoBeatDownbeat+gtzan_tempo_beat/repo; IS=$M/superbock+ISMIR2019/repo
FM=$M/zachserviss+CSC475_Chord_Generator/repo; FD=5460e614391bac581213bac2d9f23f8f8e7e22cb:data; GM=$M/TempoBeatDownbeat+gtzan_mini/repo
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
GS=01d3b7ffedead6b93bf33511ef5ea5088f1e8cac:$R/giantsteps_tempo
git -C "$MD" show $GS/audio/28952.LOFI.mp3 > "$OUT/giantsteps_28952.mp3"
git -C "$MD" show $GS/giantsteps-tempo-dataset-0b7d47ba8cae59d3535a02e3db69e2cf6d0af5bb/annotations_v2/jams/28952.LOFI.jams |
  python3 -c 'import json, sys; d = json.load(sys.stdin)["annotations"][0]["data"]; print(max(d, key=lambda x: x["confidence"])["value"])' > "$OUT/giantsteps_28952.bpm"
fmp() {  # NAME AUDIO [ANNOTATION]: an FMP excerpt, FMP_C6_AUDIO.wav with its ANNOTATION.csv of beats
  git -C "$FM" show $FD/C6/FMP_C6_$2.wav > "$OUT/fmp_$1.wav"
  git -C "$FM" show $FD/C6/FMP_C6_${3:-$2}.csv | beats_only > "$OUT/fmp_$1.beats"
}
fmp borodin_quartet Audio_Borodin-sec39_RWC Audio_Borodin-sec39_RWC_quarter
fmp brahms_orchestra F19_Brahms_Ormandy_sec35-53
fmp chopin_piano Audio_Chopin
fmp debussy_violin_piano Audio_Debussy_SonataViolinPianoGMinor-02-sec135-SMD189 Audio_Debussy_SonataViolinPianoGMinor-02-sec135-SMD189_quarter
fmp faure_piano Audio_Faure_Op015-01-sec0-12_SMD126
fmp tango_por_una_cabeza Audio_PorUnaCabeza Audio_PorUnaCabeza_quarter
fmp poulenc_valse_piano Audio_Poulenc_Valse-sec0-15_SMD114
fmp queen_another_one Audio_Queen_AnotherOneBitesTheDust-Singing
fmp shostakovich_accelerating Audio_Shostakovich_Waltz-02-Theme_IncreasingTempo Audio_Shostakovich_Waltz-02-Theme_IncreasingTempo_beat
# A whole Beatles song from the FMP data, with Harte's beats delayed by the MP3 coder's 1105 samples
# (50 ms at 22050 Hz; this MP3 does not say so, and the onsets lag the beats by that much).
beatles() {  # NAME FMP_AUDIO ANNOTATION
  git -C "$FM" show $FD/$2.mp3 > "$OUT/beatles_$1.mp3"
  git -C "$IS" show HEAD:beatles/annotations/beats/beatles_$3.beats | beats_only |
    awk '{printf "%.4f\n", $1 + 1105 / 22050}' > "$OUT/beatles_$1.beats"
}
beatles cant_do_that C4/FMP_C4_Audio_Beatles_YouCantDoThat 03_A_Hard_Days_Night_12_You_Cant_Do_That
beatles here_comes_the_sun C5/FMP_C5_Audio_Beatles_HereComesTheSun_Beatles_1969-AbbeyRoad-07 11_Abbey_Road_07_Here_Comes_The_Sun
beatles let_it_be C5/FMP_C5_Audio_Beatles_LetItBe_Beatles_1970-LetItBe-06 12_Let_It_Be_06_Let_It_Be
beatles ob_la_di C5/FMP_C5_Audio_Beatles_ObLaDiObLaDa_Beatles_1968-TheBeatlesTheWhiteAlbumDisc1-04 10_CD1_The_Beatles_04_Ob-La-Di_Ob-La-Da
beatles penny_lane C5/FMP_C5_Audio_Beatles_PennyLane_Beatles_1967-MagicalMysteryTour-09 09_Magical_Mystery_Tour_09_Penny_Lane
gtzan() {  # DIR GENRE.NUMBER: a GTZAN excerpt from gtzan_mini with its beats
  git -C "$GM" show "HEAD:genres/${2%.*}/$2.wav" > "$1/gtzan_${2/./_}.wav"
  git -C "$GT" show "HEAD:beats/gtzan_${2/./_}.beats" | beats_only > "$1/gtzan_${2/./_}.beats"
}
for t in reggae.00000 reggae.00001 jazz.00001 jazz.00002 disco.00000 hiphop.00000 pop.00000 metal.00000 blues.00000 classical.00000; do
  gtzan "$OUT" $t
done
if [[ -n ${GTZAN:-} ]]; then
  mkdir -p "$GTZAN"
  for f in $(git -C "$GM" ls-tree -r --name-only HEAD genres | grep '\.wav$'); do
    gtzan "$GTZAN" "$(basename "$f" .wav)"
  done
fi
for f in "$OUT"/*.beats "$OUT"/*.bpm ${GTZAN:+"$GTZAN"/*.beats}; do [[ -s $f ]] || { echo "get_beat_dev_set: $f is empty" >&2; exit 1; }; done
ls "$OUT"
