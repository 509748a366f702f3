"""Journal records: every field a replay needs survives the JSON round trip bit for bit."""

import math

import pytest

from vjengine.control.events import ControlEvent
from vjengine.control.tempo import TempoReading
from vjengine.show.journal import FrameRecord, Journal, JournalError

pytestmark = pytest.mark.unit


def test_frame_record_round_trip_is_exact():
    record = FrameRecord(
        f=7, t=1 / 3, dt=0.0333333333333, hops=101, size=(80, 45),
        events=[ControlEvent("transition", ("second", 4.0), "osc:127.0.0.1:5000", math.pi),
                ControlEvent("midi/cc", ("nanoKONTROL2", 0, 16, 127), "midi", 2.5),
                ControlEvent("param/zoom", 0.1 + 0.2, "key", 0.0)],
        loads=[("first", "ab" * 32), ("broken", None)],
        session=TempoReading(133.0, 17.25, "link", steady=True, quantum=4),
    )
    again = FrameRecord.from_json(record.to_json())
    assert again == record
    assert again.events[0].value == ("second", 4.0) and again.events[2].value == 0.1 + 0.2


def test_garbage_journal_is_one_line(tmp_path):
    path = tmp_path / "bad.vjshow"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(JournalError) as info:
        Journal(path)
    assert "bad.vjshow" in str(info.value) and "\n" not in str(info.value)
