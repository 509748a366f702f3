"""Show journals from real shows ended by signals, and damaged journals: replay or one line, exit 2."""

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from tests.conftest import need_real
from tests.live import LiveEngine
from vjengine.demo import drum_loop, write_wav
from vjengine.show.journal import AUDIO, SHOW, TIMELINE, Journal, JournalError


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=600)


def live_show(tmp, name: str, ending: signal.Signals, *extra: str) -> LiveEngine:
    """A short live show of the demo groove, journaled as NAME.vjshow, ended by a real signal."""
    (tmp / name).mkdir()
    engine = LiveEngine(tmp / name, "--input", str(tmp / "groove.wav"), "--size", "160x90", "--fps", "30",
                        "--styles", str(tmp / "styles"), "--journal", str(tmp / f"{name}.vjshow"), *extra)
    engine.wait_for(lambda r: r["frames"] > 40, 240, "rendering")
    time.sleep(1.0)  # let the journal's writer put some records on disk
    engine.proc.send_signal(ending)
    engine.proc.wait(timeout=30)
    engine.log.close()
    return engine


@pytest.fixture(scope="module")
def shows(tmp_path_factory):
    """Real live shows under Xvfb: ended by SIGTERM, SIGHUP and SIGKILL."""
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    tmp = tmp_path_factory.mktemp("journals")
    from vjengine.model.cppn import CPPN
    from vjengine.styles.store import save_style, style_meta

    net = CPPN(seed=5)
    save_style(tmp / "styles", "first", net, style_meta(net.config, "first", "p", "seeded-init", 0.0))
    write_wav(tmp / "groove.wav", drum_loop(124.0, 30.0))
    codes = {}
    for name, ending, extra in (("term", signal.SIGTERM, ("--record", str(tmp / "term.mp4"))),
                                ("hup", signal.SIGHUP, ()), ("kill", signal.SIGKILL, ())):
        codes[name] = live_show(tmp, name, ending, *extra).proc.returncode
    return tmp, codes


@pytest.mark.parametrize("name", ["term", "hup"])
def test_sigterm_and_sighup_finish_the_journal_and_recording(shows, name):
    tmp, codes = shows
    assert codes[name] == 0, (tmp / name / "engine.log").read_text()[-2000:]
    assert (tmp / f"{name}.vjshow").is_file() and not (tmp / f".{name}.vjshow.parts").exists()
    if name == "term":
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                                "-of", "csv=p=0", str(tmp / "term.mp4")], capture_output=True, text=True)
        assert probe.stdout.split() == ["h264", "aac"]
    result = run_cli("replay", str(tmp / f"{name}.vjshow"), "-o", str(tmp / f"{name}-replay.mp4"),
                     "--styles", str(tmp / "styles"), "-q")
    assert result.returncode == 0, result.stderr[-2000:]


def test_parts_folder_of_a_killed_show_replays_to_its_last_complete_record(shows):
    tmp, codes = shows
    assert codes["kill"] == -signal.SIGKILL
    parts = tmp / ".kill.vjshow.parts"
    lines = (parts / TIMELINE).read_bytes().split(b"\n")
    complete = [line for line in lines[:-1] if line.strip()]
    assert len(complete) > 10
    # A crash mid-record: cut the last line in half, as a kill during a write leaves it.
    (parts / TIMELINE).write_bytes(b"\n".join(lines[:-1]) + b"\n" + complete[-1][: len(complete[-1]) // 2])
    journal = Journal(parts)
    try:
        assert 10 < len(journal.frames) <= len(complete)
        assert journal.frames[-1].hops * journal.analysis.hop_size <= len(journal.audio)
        loads = [load for record in journal.frames for load in record.loads]
        assert loads and journal.styles == {"first": loads[0][1]}
    finally:
        journal.close()
    result = run_cli("replay", str(parts), "-o", str(tmp / "kill.mp4"), "--styles", str(tmp / "styles"), "-q")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unfinished show journal" in result.stderr and (tmp / "kill.mp4").stat().st_size > 1000


def rewrite(source, target, show=None, timeline=None, audio=None, compress=zipfile.ZIP_DEFLATED):
    """A copy of a real journal with some members replaced (functions of the original bytes)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compress) as new:
        for name in old.namelist():
            data = old.read(name)
            change = {SHOW: show, TIMELINE: timeline, AUDIO: audio}.get(name)
            new.writestr(name, change(data) if change else data)
    return target


def show_json(**changes):
    def change(data):
        show = json.loads(data)
        for key, value in changes.items():
            if value is KeyError:
                del show[key]
            else:
                show[key] = value
        return json.dumps(show).encode()
    return change


def first_record(**changes):
    def change(data):
        lines = data.split(b"\n")
        record = json.loads(lines[0])
        record.update(changes)
        return b"\n".join([json.dumps(record).encode(), *lines[1:]])
    return change


CASES = {
    "size 0": dict(show=show_json(size=[0, 0])),
    "missing size": dict(show=show_json(size=KeyError)),
    "unknown key": dict(show=show_json(colour="red")),
    "fps 0": dict(show=show_json(fps=0)),
    "fps NaN": dict(show=show_json(fps=float("nan"))),
    "hop 0": dict(show=show_json(analysis={"samplerate": 44100, "hop_size": 0})),
    "NaN time": dict(timeline=first_record(t=float("nan"))),
    "NaN dt": dict(timeline=first_record(dt=float("inf"))),
    "internal 40000^2": dict(timeline=first_record(size=[40000, 40000])),
    "hops beyond the audio": dict(timeline=first_record(hops=10**9)),
    "unknown record key": dict(timeline=first_record(colour=1)),
    "bad session": dict(timeline=first_record(session={"bpm": 120, "beat": None, "name": "x", "y": 1})),
    "bad event": dict(timeline=first_record(events=[["param/zoom", 1.0]])),
    "timeline bomb": dict(timeline=lambda data: data + b" " * (200 << 20)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_journal_is_one_line(shows, tmp_path, case):
    tmp, _ = shows
    path = rewrite(tmp / "term.vjshow", tmp_path / "bad.vjshow", **CASES[case])
    with pytest.raises(JournalError) as info:
        Journal(path)
    message = str(info.value)
    assert "bad.vjshow" in message and "\n" not in message and len(message) < 400, message


def test_flipped_compressed_bytes_are_one_line(shows, tmp_path):
    tmp, _ = shows
    data = bytearray((tmp / "term.vjshow").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(TIMELINE)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 5, start + info.compress_size - 5, 7):
        data[i] ^= 0xA5
    (tmp_path / "flipped.vjshow").write_bytes(bytes(data))
    with pytest.raises(JournalError) as info:
        Journal(tmp_path / "flipped.vjshow")
    assert "\n" not in str(info.value)


def test_audio_zip_bomb_reads_only_the_audio_the_frames_need(shows, tmp_path):
    """A few MB of archive that inflates to 2 GB of audio: a replay reads only the frames' hops."""
    tmp, _ = shows
    path = tmp_path / "bomb.vjshow"
    with zipfile.ZipFile(tmp / "term.vjshow") as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            with new.open(name, "w", force_zip64=True) as out:
                out.write(old.read(name))
                if name == AUDIO:
                    zeros = bytes(16 << 20)
                    for _ in range(128):
                        out.write(zeros)
    assert path.stat().st_size < 8 << 20
    code = ("import resource, sys; from vjengine.show.journal import Journal; "
            "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; before = peak(); "
            "j = Journal(sys.argv[1]); print(len(j.audio), peak() - before)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    samples, grown_kib = map(int, out.stdout.split())
    assert samples * 4 < 64 << 20 and grown_kib < 256 << 10  # the journal took under 256 MiB


def test_replay_of_a_damaged_journal_exits_2_with_one_line(shows, tmp_path):
    tmp, _ = shows
    path = rewrite(tmp / "term.vjshow", tmp_path / "bad.vjshow", timeline=first_record(size=[40000, 40000]))
    result = run_cli("replay", str(path), "-o", str(tmp_path / "x.mp4"), "--styles", str(tmp / "styles"), "-q")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "internal size width 40000" in result.stderr
    assert not (tmp_path / "x.mp4").exists()

