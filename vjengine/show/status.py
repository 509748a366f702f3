"""The live show's status: one snapshot of its parts, shown as HUD lines and logged as telemetry."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from vjengine.audio.features import AudioFeatures


@dataclass(frozen=True)
class ShowStatus:
    """The show at one moment (render thread), from which both views are made."""

    wall: float  # time.perf_counter()
    frames: int
    fps: float
    p50_ms: float
    p99_ms: float
    late: int
    internal: tuple[int, int]
    scale: float
    backend: str
    features: AudioFeatures  # the last frame's, with the active tempo source
    input: str
    level: float
    hops: int
    silent_hops: int
    overruns: int
    style_a: str | None
    style_b: str | None
    xfade: float
    hud: bool
    errors: dict[str, int]
    windows: int
    recorded: int
    record_dropped: int
    control: dict[str, object]
    params: dict[str, float]
    outputs: dict[str, dict[str, object]]
    outputs_line: str | None = None  # the outputs' HUD line, when there are outputs
    beats_per_bar: int = 4
    frame_ms: list[float] = field(default_factory=list)  # intervals since the last record
    stages_ms: dict[str, float] = field(default_factory=dict)  # mean time of each frame stage
    budget_ms: float = 1000.0 / 60.0  # the target frame time
    slow_stage: str | None = None  # while output-bound: the slowest stage other than the CPPN

    def hud_lines(self) -> list[str]:
        features, control = self.features, self.control
        width, height = self.internal
        level_db = 20 * math.log10(max(self.level, 1e-5))
        bars = int(min(max((level_db + 60) / 3, 0), 20))
        return [
            f"{self.fps:5.1f} fps   p50 {self.p50_ms:5.1f} ms   p99 {self.p99_ms:5.1f} ms",
            f"render {width}x{height} (scale {self.scale:g}) on {self.backend}"
            + (f"   output-bound ({self.slow_stage})" if self.slow_stage else ""),
            f"tempo {features.bpm:6.1f} BPM  conf {features.confidence:4.2f}  [{features.tempo_source}]",
            f"input {self.input}  [{'#' * bars}{'-' * (20 - bars)}] {level_db:5.1f} dB  "
            f"overruns {self.overruns}",
            f"A {self.style_a or '-'}   B {self.style_b or '-'}   xfade {self.xfade:.2f}   "
            f"preset {control.get('preset') or '-'}"
            + (f"   breed {control['breed']}" if "breed" in control else ""),
            f"section {features.section} ({features.section_kind} at {features.section_start:.1f} s)  "
            f"energy {features.energy_class} {features.trend}"
            + (f"   autopilot {control['autopilot']}" if "autopilot" in control else ""),
            f"late {self.late}  errors {sum(self.errors.values())}  dropped {control['dropped']}  "
            f"rejected {control.get('control_rejected', 0)}",
            *([f"link  peers {control['link_peers']}  {control['link_bpm']:6.1f} BPM  bar "
               f"{control['link_phase']:4.2f} of {self.beats_per_bar}"]
              if "link_peers" in control else []),
            *([self.outputs_line] if self.outputs_line is not None else []),
            *(stage_lines(self.stages_ms, self.budget_ms) if self.stages_ms else []),
        ]

    def telemetry_record(self) -> dict:
        features = self.features
        return {
            "t": self.wall, "frames": self.frames, "fps": round(self.fps, 2),
            "p50_ms": round(self.p50_ms, 2), "p99_ms": round(self.p99_ms, 2), "frame_ms": self.frame_ms,
            "stages_ms": self.stages_ms, "output_bound": self.slow_stage,
            "internal": list(self.internal), "scale": self.scale,
            "audio_t": round(features.t, 3), "bpm": round(features.bpm, 2),
            "confidence": round(features.confidence, 3), "tempo_source": features.tempo_source,
            "beats": features.beat_count, "onsets": features.onset_count,
            "input": self.input, "level": round(self.level, 4),
            "hops": self.hops, "silent_hops": self.silent_hops, "overruns": self.overruns,
            "style_a": self.style_a, "style_b": self.style_b, "xfade": round(self.xfade, 3),
            "hud": self.hud, "late": self.late, "errors": self.errors, "windows": self.windows,
            "recorded": self.recorded, "record_dropped": self.record_dropped,
            "control": self.control, "params": {name: round(value, 6) for name, value in self.params.items()},
            "outputs": self.outputs,
        }


STAGE_MARKS = {"control": ("c", "ctl"), "cppn": ("#", "cppn"), "upload": ("u", "up"), "post": ("p", "post"),
               "present": ("P", "pres"), "hud": ("h", "hud"), "swap": ("s", "swap"), "sinks": ("k", "sink")}
BAR_CELLS = 40  # the frame budget's width in the HUD's stage bar


def stage_lines(stages_ms: dict[str, float], budget_ms: float) -> list[str]:
    """The frame's stages as a bar of their marks (BAR_CELLS cells = the budget, '>' past it: '#' is
    the CPPN) and their times (ms)."""
    bar = "".join(STAGE_MARKS[name][0] * round(BAR_CELLS * ms / budget_ms) for name, ms in stages_ms.items())
    bar = bar[:BAR_CELLS] + ">" if len(bar) > BAR_CELLS else bar.ljust(BAR_CELLS, ".")
    times = " ".join(f"{STAGE_MARKS[name][1]} {ms:.1f}" for name, ms in stages_ms.items())
    return [f"stages [{bar}] {sum(stages_ms.values()):5.1f} of {budget_ms:.1f} ms", times]
