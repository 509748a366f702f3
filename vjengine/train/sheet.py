"""The styles contact sheet: every style under four audio states, with per-style look metrics."""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vjengine.errors import InputError
from vjengine.model import conditioning
from vjengine.styles.store import Style, list_styles
from vjengine.train.outputs import audio_state, png_bytes, render_state

TILE = (320, 180)  # 16:9, the 1280x720 frame at a quarter
METRIC_SIZE = (256, 144)
LABEL_WIDTH = 200
DETAIL_FRACTION = 1 / 8  # of the Nyquist frequency
BEAT_FRAMES = 8  # frames per beat in the beat-response clip
HISTOGRAM_BINS = 6


def sheet_states() -> list[tuple[str, torch.Tensor]]:
    """The four audio states every style is shown under."""
    return [
        ("silence", conditioning.rest_state()),
        ("bass hit", audio_state(bass=1.0, onset=1.0, level=0.8)),
        ("off beat", audio_state(beat_sin=1.0, beat_cos=0.0, bass=0.3, level=0.5)),
        ("loud", audio_state(bass=0.9, mid=0.9, treble=0.9, onset=0.6, level=1.0,
                             time_sin=1.0, time_cos=0.0)),
    ]


def beat_clip() -> tuple[list[torch.Tensor], list[bool]]:
    """Two beats at BEAT_FRAMES frames a beat: the beat phase turns, bass and onset spike on each
    beat and decay; returns the conditioning states and which frames land on a beat."""
    states, on_beat = [], []
    for frame in range(2 * BEAT_FRAMES + 1):
        phase = 2 * math.pi * (frame % BEAT_FRAMES) / BEAT_FRAMES
        decay = math.exp(-(frame % BEAT_FRAMES) / 1.5)
        states.append(audio_state(beat_sin=math.sin(phase), beat_cos=math.cos(phase),
                                  bass=0.4 + 0.6 * decay, onset=decay, level=0.5 + 0.4 * decay))
        on_beat.append(frame % BEAT_FRAMES == 0)
    return states, on_beat


def luma(frame: np.ndarray) -> np.ndarray:
    """Rec. 709 luma in [0, 1] of a uint8 [H, W, 3] frame."""
    return frame.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722]) / 255.0


def rms_contrast(frame: np.ndarray) -> float:
    """Standard deviation of luma (0..0.5)."""
    return float(luma(frame).std())


def colourfulness(frame: np.ndarray) -> float:
    """Hasler and Suesstrunk's colourfulness M (RGB 0..255): about 0 grey, 33 moderately,
    59 quite, 82+ highly colourful."""
    rgb = frame.astype(np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def detail_share(frame: np.ndarray) -> float:
    """Share of luma variance at spatial frequencies above DETAIL_FRACTION of the Nyquist
    frequency (0.5 cycles per pixel) at the frame's own size."""
    centred = luma(frame) - luma(frame).mean()
    power = np.abs(np.fft.rfft2(centred)) ** 2
    fy = np.fft.fftfreq(frame.shape[0])[:, None]
    fx = np.fft.rfftfreq(frame.shape[1])[None, :]
    high = np.hypot(fy, fx) > 0.5 * DETAIL_FRACTION
    return float(power[high].sum() / max(power.sum(), 1e-12))


def descriptor(frames: list[np.ndarray]) -> np.ndarray:
    """What a look is, for near-duplicate search: its colour histogram (HISTOGRAM_BINS^3, sums to
    1) and its luma spectrum in octave bands (sums to 1), over the given frames."""
    pixels = np.concatenate([f.reshape(-1, 3) for f in frames]).astype(int) * HISTOGRAM_BINS // 256
    index = (pixels[:, 0] * HISTOGRAM_BINS + pixels[:, 1]) * HISTOGRAM_BINS + pixels[:, 2]
    histogram = np.bincount(index, minlength=HISTOGRAM_BINS ** 3) / len(index)
    bands = np.zeros(6)
    for frame in frames:
        centred = luma(frame) - luma(frame).mean()
        power = np.abs(np.fft.rfft2(centred)) ** 2
        radius = np.hypot(np.fft.fftfreq(frame.shape[0])[:, None], np.fft.rfftfreq(frame.shape[1])[None, :])
        octave = np.clip(np.floor(np.log2(np.maximum(radius, 1e-9) / 0.5)) + 6, 0, 5).astype(int)
        bands += np.bincount(octave.ravel(), weights=power.ravel(), minlength=6)
    return np.concatenate([histogram, bands / max(bands.sum(), 1e-12)])


def descriptor_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the L1 distance of colour histograms plus half that of spectrum shares (0 same, 2 apart)."""
    split = HISTOGRAM_BINS ** 3
    return float(0.5 * np.abs(a[:split] - b[:split]).sum() + 0.5 * np.abs(a[split:] - b[split:]).sum())


@dataclass(frozen=True)
class LookReport:
    """One style's measured look."""

    slug: str
    name: str
    family: str
    contrast: float
    colourfulness: float
    detail: float
    beat_response: float
    nearest: str = ""
    nearest_distance: float = 0.0


def measure(style: Style) -> tuple[LookReport, list[np.ndarray], np.ndarray]:
    """(report without the nearest style, the four state tiles, descriptor) for one style."""
    model = style.model()
    tiles = [render_state(model, state, *TILE) for _, state in sheet_states()]
    frames = [render_state(model, state, *METRIC_SIZE) for _, state in sheet_states()]
    clip, on_beat = beat_clip()
    clip_frames = [luma(render_state(model, state, *METRIC_SIZE)) for state in clip]
    changes = [float(np.abs(b - a).mean()) for a, b in itertools.pairwise(clip_frames)]
    beats = [c for c, beat in zip(changes, on_beat[1:], strict=True) if beat]
    others = [c for c, beat in zip(changes, on_beat[1:], strict=True) if not beat]
    report = LookReport(
        style.slug, style.name, str(style.meta.get("family", "")),
        float(np.mean([rms_contrast(f) for f in frames])),
        float(np.mean([colourfulness(f) for f in frames])),
        float(np.mean([detail_share(f) for f in frames])),
        float(np.mean(beats) / max(np.mean(others), 1e-6)))
    return report, tiles, descriptor(frames)


def measure_all(root: Path) -> tuple[list[LookReport], dict[str, list[np.ndarray]]]:
    """Every loadable style under root, measured, each with its nearest other style."""
    styles = [entry for entry in list_styles(root) if isinstance(entry, Style)]
    if not styles:
        raise InputError(f"{root}: no loadable styles for a contact sheet")
    measured = [measure(style) for style in styles]
    reports, tiles = [], {}
    for report, style_tiles, mine in measured:
        distances = [(descriptor_distance(mine, other), theirs.slug)
                     for theirs, _, other in measured if theirs.slug != report.slug]
        distance, nearest = min(distances) if distances else (0.0, "")
        reports.append(LookReport(**{**report.__dict__, "nearest": nearest, "nearest_distance": distance}))
        tiles[report.slug] = style_tiles
    return reports, tiles


def metrics_line(report: LookReport) -> str:
    return (f"contrast {report.contrast:.3f}  colour {report.colourfulness:.0f}  "
            f"detail {report.detail:.3f}  beat x{report.beat_response:.2f}  "
            f"nearest {report.nearest} ({report.nearest_distance:.2f})")


def draw_sheet(reports: list[LookReport], tiles: dict[str, list[np.ndarray]]) -> np.ndarray:
    """One row per style: its name, family and metrics, then its four state tiles."""
    from PIL import Image, ImageDraw

    width, height = TILE
    header = 20
    sheet = Image.new("RGB", (LABEL_WIDTH + 4 * width, header + len(reports) * height), (12, 12, 12))
    draw = ImageDraw.Draw(sheet)
    for i, (label, _) in enumerate(sheet_states()):
        draw.text((LABEL_WIDTH + i * width + 6, 4), label, fill=(230, 230, 230))
    for row, report in enumerate(reports):
        top = header + row * height
        for i, tile in enumerate(tiles[report.slug]):
            sheet.paste(Image.fromarray(tile), (LABEL_WIDTH + i * width, top))
        lines = [report.name, report.family or "-", f"contrast {report.contrast:.3f}",
                 f"colourful {report.colourfulness:.0f}", f"detail {report.detail:.3f}",
                 f"beat x{report.beat_response:.2f}", f"near {report.nearest}",
                 f"  ({report.nearest_distance:.2f})"]
        for j, line in enumerate(lines):
            draw.text((8, top + 8 + 18 * j), line, fill=(255, 255, 255) if j == 0 else (190, 190, 190))
    return np.asarray(sheet)


def write_html(path: Path, reports: list[LookReport], image: Path) -> None:
    """A page with the sheet picture and a sortable-by-eye table of the metrics."""
    rows = "\n".join(
        f"<tr><td>{html.escape(r.name)}</td><td>{html.escape(r.slug)}</td><td>{html.escape(r.family)}</td>"
        f"<td>{r.contrast:.3f}</td><td>{r.colourfulness:.1f}</td><td>{r.detail:.3f}</td>"
        f"<td>{r.beat_response:.2f}</td><td>{html.escape(r.nearest)} ({r.nearest_distance:.2f})</td></tr>"
        for r in reports)
    path.write_text(
        "<!doctype html><meta charset='utf-8'><title>vjengine styles</title>"
        "<style>body{background:#111;color:#ddd;font-family:sans-serif}td,th{padding:2px 8px}</style>"
        f"<h1>Styles</h1><table><tr><th>name</th><th>slug</th><th>family</th><th>RMS contrast</th>"
        f"<th>colourfulness</th><th>detail share</th><th>beat response</th><th>nearest</th></tr>\n"
        f"{rows}</table><img src='{html.escape(image.name)}' style='max-width:100%'>\n")


def make_sheet(root: Path, output: Path) -> list[LookReport]:
    """Write the contact sheet to output (.png, or .html with a PNG beside it); returns the reports."""
    suffix = output.suffix.lower()
    if suffix not in (".png", ".html"):
        raise InputError(f"--sheet {output}: expected a .png or .html file name")
    if not output.parent.is_dir():
        raise InputError(f"--sheet {output}: folder {output.parent} does not exist")
    reports, tiles = measure_all(root)
    picture = output.with_suffix(".png")
    picture.write_bytes(png_bytes(draw_sheet(reports, tiles)))
    if suffix == ".html":
        write_html(output, reports, picture)
    return reports
