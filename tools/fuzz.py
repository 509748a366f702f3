"""Fuzz the engine's untrusted inputs for a long, dedicated run (the test suite runs short versions).

    python tools/fuzz.py styles --cases 100000            # structured mutations (hypothesis)
    python tools/fuzz.py styles --atheris --seconds 600    # coverage-guided bytes (atheris)
    python tools/fuzz.py osc --cases 100000               # datagrams into the running OSC server
    python tools/fuzz.py presets --cases 100000           # scene presets (TOML and names)
    python tools/fuzz.py midimap --cases 100000           # MIDI maps (TOML and names)
    python tools/fuzz.py midi --cases 100000              # raw MIDI byte streams, clock and tempo
    python tools/fuzz.py journal --cases 100000           # show journals: fields, sizes, bytes, parts folders
    python tools/fuzz.py osc|presets|midimap|midi --atheris --seconds 600

Each target states its contract in its module: a clear refusal or a counted drop, never a crash,
a hang or a state outside the schema. The summary line counts cases and outcomes.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings  # noqa: E402


def run_atheris(one_input, seconds: int) -> None:
    """Fuzz one_input for `seconds`; a failing input is saved in a temporary folder (printed)."""
    import atheris

    artifacts = tempfile.mkdtemp(prefix="vj-fuzz-artifacts-")
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=4096",
                   f"-artifact_prefix={artifacts}/"], one_input)
    atheris.Fuzz()


def styles_hypothesis(cases: int) -> tuple[int, Counter]:
    from tools import fuzz_styles

    toml, weights = fuzz_styles.valid_style_bytes()
    outcomes: Counter = Counter()
    root = Path(tempfile.mkdtemp(prefix="vj-fuzz-styles-"))

    @settings(max_examples=cases, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(fuzz_styles.style_cases(toml, weights))
    def run(case):
        folder = root / "case" / "style"
        fuzz_styles.write_case(folder, **case)
        outcomes[fuzz_styles.check_style_folder(folder)] += 1

    run()
    return sum(outcomes.values()), outcomes


def styles_atheris(seconds: int) -> None:
    import atheris

    with atheris.instrument_imports(include=["vjengine", "tomllib", "safetensors"]):
        from tools import fuzz_styles
    root = Path(tempfile.mkdtemp(prefix="vj-fuzz-styles-")) / "style"
    toml, weights = fuzz_styles.valid_style_bytes()

    def one_input(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        use_base = provider.ConsumeIntInRange(0, 3)
        new_toml = toml if use_base == 1 else provider.ConsumeBytes(provider.ConsumeIntInRange(0, 2048))
        new_weights = weights if use_base == 2 else provider.ConsumeBytes(provider.remaining_bytes())
        fuzz_styles.write_case(root, new_toml, new_weights)
        fuzz_styles.check_style_folder(root)

    run_atheris(one_input, seconds)


def osc_hypothesis(cases: int) -> tuple[int, Counter]:
    from tools import fuzz_osc

    target = fuzz_osc.OscTarget()
    outcomes: Counter = Counter()
    ran = 0

    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(fuzz_osc.cases())
    def run(case):
        nonlocal ran
        ran += 1
        outcomes.update(target.run(case))

    try:
        run()
        target.check_files()
    finally:
        target.close()
    return ran, outcomes


def osc_atheris(seconds: int) -> None:
    import atheris

    with atheris.instrument_imports(include=["vjengine", "pythonosc"]):
        from tools import fuzz_osc
    target = fuzz_osc.OscTarget()

    def one_input(data: bytes) -> None:
        target.run([(data[:65_000], "any")])

    run_atheris(one_input, seconds)


def toml_hypothesis(kind: str, cases: int) -> tuple[int, Counter]:
    """Presets or MIDI maps: each case is a file in a fresh folder plus a name to load and save."""
    from tools import fuzz_presets

    texts, check, folder = {"presets": (fuzz_presets.preset_texts, fuzz_presets.check_preset, "presets"),
                            "midimap": (fuzz_presets.map_texts, fuzz_presets.check_map, "midi")}[kind]
    root = Path(tempfile.mkdtemp(prefix=f"vj-fuzz-{kind}-"))
    outcomes: Counter = Counter()

    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(texts(), fuzz_presets.NAMES)
    def run(text, name):
        outcomes[check(root / folder, text, name)] += 1

    run()
    fuzz_presets.check_contained(root)
    return sum(outcomes.values()), outcomes


def toml_atheris(kind: str, seconds: int) -> None:
    """Presets or MIDI maps: coverage-guided file bytes, and a name from the same input."""
    import atheris

    with atheris.instrument_imports(include=["vjengine", "tomllib"]):
        from tools import fuzz_presets
    check, folder = {"presets": (fuzz_presets.check_preset, "presets"),
                     "midimap": (fuzz_presets.check_map, "midi")}[kind]
    root = Path(tempfile.mkdtemp(prefix=f"vj-fuzz-{kind}-"))

    def one_input(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        name = provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 80))
        check(root / folder, provider.ConsumeBytes(provider.remaining_bytes()), name)

    run_atheris(one_input, seconds)


def midi_hypothesis(cases: int) -> tuple[int, Counter]:
    from tools import fuzz_midi

    outcomes: Counter = Counter()

    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(fuzz_midi.cases())
    def run(case):
        outcomes["cases"] += 1
        outcomes.update(fuzz_midi.MidiTarget().run(*case))

    run()
    return outcomes.pop("cases"), outcomes


def midi_atheris(seconds: int) -> None:
    import atheris

    with atheris.instrument_imports(include=["vjengine", "mido"]):
        from tools import fuzz_midi

    def one_input(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        gaps = [provider.ConsumeFloatInRange(0.0, 2.0) for _ in range(provider.ConsumeIntInRange(1, 4))]
        raw = provider.ConsumeBytes(provider.remaining_bytes())
        fuzz_midi.MidiTarget().run("Some Keyboard", fuzz_midi.stream_messages(raw) + [list(raw[:8])], gaps)

    run_atheris(one_input, seconds)


def journal_hypothesis(cases: int) -> tuple[int, Counter]:
    from tools import fuzz_journal

    root = Path(tempfile.mkdtemp(prefix="vj-fuzz-journal-"))
    base = fuzz_journal.base_journal(root).read_bytes()
    outcomes: Counter = Counter()

    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(fuzz_journal.cases(base))
    def run(case):
        outcomes[fuzz_journal.check_journal(fuzz_journal.write_case(root / "case.vjshow", **case))] += 1

    run()
    return sum(outcomes.values()), outcomes


HYPOTHESIS = {"styles": styles_hypothesis, "osc": osc_hypothesis, "journal": journal_hypothesis,
              "presets": lambda cases: toml_hypothesis("presets", cases),
              "midimap": lambda cases: toml_hypothesis("midimap", cases), "midi": midi_hypothesis}
ATHERIS = {"styles": styles_atheris, "osc": osc_atheris, "midi": midi_atheris,
           "presets": lambda seconds: toml_atheris("presets", seconds),
           "midimap": lambda seconds: toml_atheris("midimap", seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=sorted(HYPOTHESIS))
    parser.add_argument("--cases", type=int, default=100_000, help="hypothesis cases (default 100000)")
    parser.add_argument("--atheris", action="store_true", help="coverage-guided byte fuzzing instead")
    parser.add_argument("--seconds", type=int, default=600, help="atheris run time")
    args = parser.parse_args()
    if args.atheris and args.target not in ATHERIS:
        parser.error(f"{args.target} has no atheris target (those with one: {', '.join(sorted(ATHERIS))})")
    logging.disable(logging.ERROR)  # bad input is logged by design; the outcome counts tell the story
    if args.atheris:
        ATHERIS[args.target](args.seconds)
        return 0
    start = time.perf_counter()
    ran, outcomes = HYPOTHESIS[args.target](args.cases)
    print(f"{args.target}: {ran} cases ({sum(outcomes.values())} inputs) in "
          f"{time.perf_counter() - start:.0f} s, no contract broken; "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
