"""Line-in audio: a sounddevice InputStream copying into a Ring; device choice, loss and reconnect."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import sounddevice as sd

from vjengine.audio.ring import Ring
from vjengine.errors import InputError

log = logging.getLogger(__name__)

STALL_SECONDS = 2.0  # no audio for this long, even without an error: the device is gone
RETRY_SECONDS = 0.25  # how often a lost device is looked for again
RESCAN_EVERY = 8  # reconnect attempts between PortAudio restarts (new devices show up then)


_closing_threads: list[threading.Thread] = []  # closes of lost streams, possibly stuck in PortAudio


def _exit_handler() -> None:
    """sounddevice's exit handler (Pa_Terminate), skipped while a lost stream's close is stuck
    inside PortAudio: Pa_Terminate would wait for it forever, and process exit frees it all anyway."""
    if any(thread.is_alive() for thread in _closing_threads):
        log.debug("a lost audio stream never closed; PortAudio is left to process exit")
        return
    sd._exit_handler()


atexit.unregister(sd._exit_handler)
atexit.register(_exit_handler)


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    samplerate: float
    hostapi: str


def input_devices() -> list[InputDevice]:
    """Every device PortAudio can record from."""
    hostapis = sd.query_hostapis()
    return [InputDevice(i, d["name"], d["max_input_channels"], d["default_samplerate"],
                        hostapis[d["hostapi"]]["name"])
            for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


def rescan() -> None:
    """Restart PortAudio so that devices (or sound servers) that appeared since are seen."""
    sd._terminate()
    sd._initialize()


def find_device(spec: str | int | None) -> InputDevice | None:
    """The input named by index or name substring; None asks for the system default (if any)."""
    devices = input_devices()
    if spec is None:
        default = sd.default.device[0]
        return next((d for d in devices if d.index == default), devices[0] if devices else None)
    if isinstance(spec, int) or str(spec).isdigit():
        match = [d for d in devices if d.index == int(spec)]
    else:
        match = [d for d in devices if str(spec).lower() in d.name.lower()]
    if not match:
        names = ", ".join(f"{d.index}: {d.name}" for d in devices) or "none"
        raise InputError(f"--input {spec}: no such input device (inputs: {names})")
    return match[0]


def find_by_name(name: str) -> InputDevice | None:
    """The input whose name is exactly `name`, if PortAudio lists it now."""
    return next((d for d in input_devices() if d.name == name), None)


class AudioInput:
    """Records a device into a Ring; `check()` notices a lost device and reopens it when it returns.

    A lost input is reopened as the same device (found by its name), never swapped for whatever
    the system offers as default meanwhile (with the sound server gone that may be a silent
    device, and the show would stay on it when the server came back): until it returns, the show
    goes on with the features at rest.

    `channel` is 1-based, or None to mix all recorded channels (done by the reader, not here).
    """

    def __init__(self, spec: str | int | None, samplerate: int, channel: int | None,
                 ring_seconds: float = 2.0):
        self.spec = spec
        self.samplerate = samplerate
        self.channel = channel
        self.channels = max(channel or 2, 1)
        self.ring = Ring(int(ring_seconds * samplerate), self.channels)
        self.device: InputDevice | None = None
        self.status = "closed"
        self.callback_errors = 0
        self._stream: sd.InputStream | None = None
        self._last_written = 0
        self._last_progress = time.monotonic()
        self._next_retry = 0.0
        self._lost_at: float | None = None
        self._closing: threading.Thread | None = None
        self._attempts = 0
        self._wanted: str | None = None  # the name of the device that was live, once one was

    def _callback(self, indata, frames, time_info, status) -> None:
        """PortAudio's thread: copy into the ring and return; nothing else."""
        if status:
            self.callback_errors += 1
        self.ring.write(indata)

    def open(self, rescan_first: bool = False) -> bool:
        """Open the device; False (and status "lost") if it can't be opened now."""
        try:
            if rescan_first:
                rescan()
            device = find_device(self.spec) if self._wanted is None else find_by_name(self._wanted)
            if device is None:
                raise InputError(f"no audio input device{'' if self._wanted is None else ' ' + self._wanted}")
            channels = min(self.channels, device.channels)
            stream = sd.InputStream(device=device.index, channels=channels, samplerate=self.samplerate,
                                    dtype="float32", blocksize=0, callback=self._callback_for(channels))
            stream.start()
        except (sd.PortAudioError, InputError, OSError, ValueError) as exc:
            if self.status != "lost":
                log.warning("audio input unavailable (%s); retrying every %.2f s", exc, RETRY_SECONDS)
            else:
                log.debug("audio input still unavailable: %s", exc)
            self.status = "lost"
            return False
        self.device, self._stream, self._wanted = device, stream, device.name
        self._last_written, self._last_progress = self.ring.written, time.monotonic()
        if self._lost_at is not None:
            log.info("audio input back after %.1f s: %s", time.monotonic() - self._lost_at, device.name)
        else:
            log.info("audio input: %s (%s), %d Hz", device.name, device.hostapi, self.samplerate)
        self._lost_at = None
        self.status = "live"
        return True

    def _callback_for(self, channels: int):
        if channels == self.channels:
            return self._callback
        # Fewer channels than asked for: pad into the ring's width (still one copy per block).
        padded = np.zeros((1 << 16, self.channels), dtype=np.float32)

        def callback(indata, frames, time_info, status):
            if status:
                self.callback_errors += 1
            padded[:frames, :channels] = indata
            self.ring.write(padded[:frames])

        return callback

    def check(self) -> None:
        """Notice a stalled stream and reopen lost devices (analysis thread, a few times a second)."""
        now = time.monotonic()
        if self._stream is not None:
            if self.ring.written != self._last_written:
                self._last_written, self._last_progress = self.ring.written, now
                return
            # PortAudio stops the stream on a device or server error: that is noticed at once.
            # A silent stall (CPU starvation can briefly pause callbacks) needs STALL_SECONDS.
            if self._stream.active and now - self._last_progress < STALL_SECONDS:
                return
            log.warning("audio input lost (%s): no audio for %.1f s; features ease to rest",
                        self.device.name if self.device else "?", now - self._last_progress)
            self._drop_stream()
            self._lost_at, self.status, self._next_retry = now, "lost", now + RETRY_SECONDS
            self._attempts = 0
            return
        if now < self._next_retry:
            return
        self._next_retry = now + RETRY_SECONDS
        # Reopening by name reaches a restarted sound server; PortAudio is only restarted (to
        # see devices that appeared since) every few attempts, and never while a dying stream
        # may still be inside it.
        self._attempts += 1
        closing = self._closing is not None and self._closing.is_alive()
        self.open(rescan_first=self._attempts % RESCAN_EVERY == 0 and not closing)

    def _drop_stream(self) -> None:
        stream, self._stream = self._stream, None
        # Closing a stream whose server died can block inside PortAudio: never on this thread.
        self._closing = threading.Thread(target=_close_quietly, args=(stream,), daemon=True,
                                         name="audio-close")
        self._closing.start()
        _closing_threads[:] = [t for t in _closing_threads if t.is_alive()] + [self._closing]

    def close(self) -> None:
        if self._stream is not None:
            self._drop_stream()
        self.status = "closed"


def _close_quietly(stream: sd.InputStream) -> None:
    try:
        stream.abort()
        stream.close()
    except sd.PortAudioError as exc:
        log.debug("closing a lost stream: %s", exc)
