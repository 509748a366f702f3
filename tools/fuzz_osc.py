"""Fuzz target for the OSC door: raw datagrams over real UDP into the running OSC server thread.

The contract, checked after every datagram: no exception escapes a handler (`errors` stays 0);
the server thread still answers a query; the datagram is counted; it is either dropped whole
(malformed, beyond the limits, or the engine's own output sent back: nothing of it received) or
each of its messages is accepted or dropped under a kind; a well-formed message is accepted
(a query may be refused for the reply caps); replies reach only the sender or the feedback
target, at most REPLIES_PER_DATAGRAM of them, never another port or the engine itself; a state
dump sent back is dropped as an echo; and once the bus is drained into the control state, every
parameter of the schema is finite and inside its range, the tempo is 0 or inside
MIN_BPM..MAX_BPM, and no preset was written outside the presets folder.

Address patterns (`?`, `*`, `[..]`, `[!..]`, `{..}`, `//`) are drawn both from the address table,
matching or nearly, and pathological (runs of `{,}`, `*`, sets); queries ask for their replies at
the sender, the feedback target, the engine's own port, a bystander's port or any port.
"""

from __future__ import annotations

import math
import socket
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from vjengine.audio.features import AudioFeatures
from vjengine.clock import ManualClock
from vjengine.control.events import ControlBus, ControlEvent
from vjengine.control.osc import OUTPUT_ONLY, REPLIES_PER_DATAGRAM, OscCounters, OscServer, state_messages
from vjengine.control.params import PARAMS
from vjengine.control.presets import PresetLibrary
from vjengine.control.state import ControlState
from vjengine.control.tempo import MAX_BPM, MIN_BPM
from vjengine.control.transitions import MAX_BEATS

REPLY_SECONDS = 5.0  # longer than this without an answer: the server thread is stuck or dead
SETTLE_SECONDS = 1.0
PACKET_DROPS = ("malformed", "limits", "echo", "not_allowed", "overflow")
ROLES = ("sender", "feedback", "engine", "bystander", "any")  # where a query asks its reply to go
SYNC = OscMessageBuilder("/vj/get/zoom").build().dgram


def build(address: str, *args: tuple[str | None, object]) -> bytes:
    """A message with explicitly typed arguments, e.g. build("/vj/xfade", ("f", 0.5))."""
    builder = OscMessageBuilder(address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def bundle(elements: list[bytes], timetag: int = 1) -> bytes:
    """A bundle of datagrams with a raw 64-bit timetag (1 = immediately)."""
    return b"#bundle\x00" + struct.pack(">Q", timetag) + b"".join(
        struct.pack(">i", len(e)) + e for e in elements)


@dataclass(frozen=True)
class Query:
    """A query whose reply port names a role; the target fills in that role's real port."""

    address: str
    role: str  # one of ROLES; "sender" sends no port
    port: int = 0  # the port for role "any"


class OscTarget:
    """A running OscServer on 127.0.0.1 with a ControlState behind it, a client socket, a socket
    for the sync query, the feedback target's socket and a bystander's socket.

    The server's clock moves one second before each datagram, so the reply cap per second never
    refuses the sync query; the cap per datagram is what the cases meet."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="vj-fuzz-osc-"))
        self.presets = self.root / "presets"
        self.bus = ControlBus()
        self.state = ControlState(presets=PresetLibrary(self.presets))
        self.clock = ManualClock()
        self.sender, self.sync, self.feedback, self.bystander = (_socket() for _ in range(4))
        self.sync.settimeout(REPLY_SECONDS)
        self.server = OscServer(self.bus, self.clock, lambda: self.state.snapshot, port=0,
                                feedback=self.feedback.getsockname())
        self.server.start()
        self.address = ("127.0.0.1", self.server.port)

    def _answered(self) -> None:
        """Query from the second socket; the server handles datagrams in order, so its answer
        means every datagram sent before has been handled."""
        self.sync.sendto(SYNC, self.address)
        while True:
            try:
                data = self.sync.recv(65536)
            except TimeoutError:
                raise AssertionError(f"the OSC server stopped answering: {self.server.counters}") from None
            if OscMessage(data).address == "/vj/param/zoom/abs":
                break
        deadline = time.monotonic() + SETTLE_SECONDS  # the handler counts the query after replying
        while not self._settled() and time.monotonic() < deadline:
            time.sleep(0.0001)

    def _settled(self) -> bool:
        counts = self.server.counters.as_dict()
        message_drops = counts["dropped"] - sum(counts[k] for k in PACKET_DROPS)
        return counts["received"] == counts["accepted"] + message_drops

    def datagram(self, item: bytes | Query) -> bytes:
        """The bytes to send: a Query gets its role's real port."""
        if isinstance(item, bytes):
            return item
        ports = {"feedback": self.feedback.getsockname()[1], "engine": self.server.port,
                 "bystander": self.bystander.getsockname()[1], "any": item.port}
        return build(item.address, *([] if item.role == "sender" else [("i", ports[item.role])]))

    def send(self, item: bytes | Query, expect: str = "any") -> str:
        """Send one datagram, check the contract; returns the outcome ("accepted", a drop kind...).

        `expect`: "accept" (well formed), "echo" (the engine's own output) or "any"."""
        datagram = self.datagram(item)
        before = self.server.counters.as_dict()
        self.clock.advance(1.0)
        self.sender.sendto(datagram, self.address)
        self._answered()
        after = self.server.counters.as_dict()
        delta = {k: after[k] - before[k] for k in after}
        delta["packets"] -= 1  # the query's own share
        delta["received"] -= 1
        delta["accepted"] -= 1
        delta["replies"] -= 2
        assert delta["errors"] == 0, f"an exception escaped a handler: {datagram[:200]!r}"
        assert delta["packets"] == 1, (delta, datagram[:200])
        packet_drops = sum(delta[k] for k in PACKET_DROPS)
        message_drops = delta["dropped"] - packet_drops
        if packet_drops:
            assert packet_drops == 1 and delta["received"] == delta["accepted"] == 0, delta
        assert delta["received"] == delta["accepted"] + message_drops, (delta, datagram[:200])
        if expect == "accept":
            assert delta["dropped"] == delta["reply_limit"] and delta["accepted"] >= 1, (delta, datagram[:200])
        if expect == "echo":
            assert delta["echo"] == 1, (delta, datagram[:200])
        elif not any(address.encode() in datagram for address in OUTPUT_ONLY):
            assert delta["echo"] == 0, (delta, datagram[:200])
        self._check_replies(delta["replies"], datagram)
        kinds = [k for k in OscCounters.DROPS if delta[k]]
        if kinds:
            return "dropped:" + "+".join(kinds)
        return "accepted" if delta["accepted"] else "empty"

    def _check_replies(self, sent: int, datagram: bytes) -> None:
        """The replies to one datagram went to the sender or the feedback target, within the cap."""
        received = len(_drain(self.sender)) + len(_drain(self.feedback))
        assert _drain(self.bystander) == [], f"a reply reached a bystander: {datagram[:200]!r}"
        assert received == sent <= REPLIES_PER_DATAGRAM, (received, sent, datagram[:200])

    def check_state(self) -> None:
        """Drain the bus into the control state and check it against the schema."""
        for event in self.bus.drain():
            self.state.handle(event)
        frame = self.state.update(self.clock.now(), AudioFeatures())
        for spec in PARAMS:
            for where, value in (("target", self.state.params.target[spec.name]),
                                 ("current", self.state.params.current[spec.name]),
                                 ("frame", frame.params[spec.name])):
                assert math.isfinite(value) and spec.lo <= value <= spec.hi, (spec.name, where, value)
        assert 0.0 <= frame.params["xfade"] <= 1.0, frame.params["xfade"]
        bpm = frame.features.bpm
        assert math.isfinite(bpm) and (bpm == 0 or MIN_BPM <= bpm <= MAX_BPM), bpm
        assert math.isfinite(self.state.tempo.position), self.state.tempo.position

    def check_files(self) -> None:
        """Nothing but presets/<name>.toml was written under the target's folder."""
        stray = [p for p in self.root.rglob("*") if p.is_file()
                 and (p.parent != self.presets or p.suffix != ".toml")]
        assert not stray, stray

    def run(self, case: list[tuple[bytes | Query, str]]) -> list[str]:
        """Send a case's datagrams, then check the state; returns each datagram's outcome."""
        outcomes = [self.send(item, expect) for item, expect in case]
        self.check_state()
        return outcomes

    def close(self) -> None:
        self.server.close()
        for sock in (self.sender, self.sync, self.feedback, self.bystander):
            sock.close()


def _socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _drain(sock: socket.socket) -> list[bytes]:
    """Every datagram waiting on the socket (the server sent them before answering the sync query)."""
    received = []
    sock.setblocking(False)
    try:
        while True:
            received.append(sock.recv(65536))
    except BlockingIOError:
        return received
    finally:
        sock.setblocking(True)


# -- strategies ---------------------------------------------------------------------------------

PARAM_NAMES = [spec.name for spec in PARAMS]
KNOWN = ([f"/vj/param/{n}" for n in PARAM_NAMES] + [f"/vj/param/{n}/abs" for n in PARAM_NAMES]
         + [f"/vj/get/{n}" for n in PARAM_NAMES]
         + ["/vj/xfade", "/vj/style/a", "/vj/style/b", "/vj/slot", "/vj/transition", "/vj/preset",
            "/vj/preset/save", "/vj/tap", "/vj/tempo", "/vj/learn", "/vj/learn/save", "/vj/state"])
names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,63}", fullmatch=True)
hostile_strings = st.one_of(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=100),
    st.sampled_from(["../../etc", "../x", "/etc/passwd", "..", ".", "a/b", "x" * 65, "ZOOM", "zoom",
                     "", " ", "con", "nul", "preset\\..\\x", "%2e%2e%2f", "\u2215etc"]),
)
floats = st.one_of(st.floats(width=32), st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e38]))


@st.composite
def well_formed(draw) -> bytes:
    """A message the OSC door must accept: a known address with arguments it takes."""
    kind = draw(st.sampled_from(["param", "abs", "get", "xfade", "style", "slot", "transition",
                                 "preset", "tap", "tempo", "learn", "state"]))
    spec = draw(st.sampled_from(PARAMS))
    unit = ("f", draw(st.floats(0.0, 1.0, width=32)))
    if kind == "param":  # a pattern that reaches parameters only is as good as the address
        name = draw(st.just(spec.name) | matching_part(spec.name) | st.sampled_from(["*", "*_*", "{zoom,hue}"]))
        return build(f"/vj/param/{name}", unit)
    if kind == "abs":
        return build(f"/vj/param/{spec.name}/abs", ("f", draw(st.floats(-1e6, 1e6, width=32))))
    if kind == "get":
        return build(f"/vj/get/{spec.name}")
    if kind == "xfade":
        return build("/vj/xfade", unit)
    if kind == "style":
        return build(draw(st.sampled_from(["/vj/style/a", "/vj/style/b"])), ("s", draw(names)))
    if kind == "slot":
        return build("/vj/slot", ("i", draw(st.integers(1, 9))))
    if kind == "transition":
        beats = draw(st.none() | st.floats(0.0, MAX_BEATS, width=32))
        return build("/vj/transition", ("s", draw(names)), *([] if beats is None else [("f", beats)]))
    if kind == "preset":
        return build(draw(st.sampled_from(["/vj/preset", "/vj/preset/save"])), ("s", draw(names)))
    if kind == "tap":
        return build("/vj/tap", *draw(st.sampled_from([[], [("f", 1.0)], [("f", 0.0)], [("i", 1)]])))
    if kind == "tempo":
        return build("/vj/tempo", ("f", draw(st.just(0.0) | st.floats(MIN_BPM, MAX_BPM, width=32))))
    if kind == "learn":
        return build("/vj/learn", ("s", draw(st.just("") | st.sampled_from(PARAM_NAMES))))
    return build("/vj/state")


def _argument(draw) -> tuple[str | None, object]:
    tag = draw(st.sampled_from("ifdhsbTFNr[m"))
    if tag == "i":
        return tag, draw(st.integers(-2**31, 2**31 - 1))
    if tag == "h":
        return tag, draw(st.integers(-2**63, 2**63 - 1))
    if tag in "fd":
        return tag, draw(floats)
    if tag == "s":
        return tag, draw(hostile_strings)
    if tag == "b":
        return tag, draw(st.binary(min_size=1, max_size=64))
    if tag == "r":
        return tag, draw(st.integers(0, 2**32 - 1))
    if tag == "m":
        return tag, tuple(draw(st.lists(st.integers(0, 255), min_size=4, max_size=4)))
    if tag == "[":  # an array: python-osc infers its element types
        return None, draw(st.lists(st.integers(-5, 5) | hostile_strings, max_size=4))
    return tag, {"T": True, "F": False, "N": None}[tag]


@st.composite
def wrong_arguments(draw) -> bytes:
    """A known address with arguments of any type, count and value (NaN, inf, paths, huge ints)."""
    args = [_argument(draw) for _ in range(draw(st.integers(0, 4)))]
    return build(draw(st.sampled_from(KNOWN)), *args)


WILDCARD = st.sampled_from(["?", "*", "**", "[a-m]", "[!a-m]", "[az]", "[!z]", "{zoom,hue}", "{,}", "{a,}",
                            "[", "{", "]", "}", "[]", "{}", "[-]", "[a-]"])


@st.composite
def matching_part(draw, name: str) -> str:
    """A pattern that matches `name`: one stretch of it replaced by a wildcard that covers it."""
    index = draw(st.integers(0, len(name) - 1))
    end = draw(st.integers(index + 1, len(name)))
    stretch = name[index:end]
    wildcard = draw(st.sampled_from(["*", "?" * len(stretch), f"{{{stretch},zz}}", f"{{zz,{stretch},}}"]
                                    + ([f"[{stretch}x]", f"[!{chr(ord(stretch) ^ 1)}]"] if len(stretch) == 1
                                       else [])))
    return name[:index] + wildcard + name[end:]


@st.composite
def pattern(draw) -> str:
    """An address pattern: a known address with parts matched, nearly matched or spanned by '//',
    or a pathological one (runs of choices, '*', sets; long lists of choices)."""
    kind = draw(st.sampled_from(["known", "known", "pathological"]))
    if kind == "known":
        parts = draw(st.sampled_from(KNOWN))[1:].split("/")
        for index, part in enumerate(parts):
            change = draw(st.sampled_from(["keep", "match", "wildcard", "span"]))
            if change == "match":
                parts[index] = draw(matching_part(part))
            elif change == "wildcard":
                parts[index] = part[:draw(st.integers(0, len(part)))] + draw(WILDCARD)
            elif change == "span" and index:  # '//': any number of parts
                parts[index] = "/" + part
        return "/" + "/".join(parts)
    unit = draw(st.sampled_from(["{,}", "*", "?*", "[!a]", "[a-z]*", "{a,b,c,d,e,f,g,h}", "*{,a}",
                                 "{" + ",".join(PARAM_NAMES) + "}", "/", "//*"]))
    prefix = draw(st.sampled_from(["/", "//", "/vj/", "/vj/param/", "/vj/*/", "/*/*/"]))
    return prefix + unit * draw(st.integers(1, 120)) + draw(st.sampled_from(["", "X", "zoom", "/abs"]))


@st.composite
def patterned(draw) -> bytes:
    """A message to a pattern, with arguments of any type."""
    return build(draw(pattern()), *[_argument(draw) for _ in range(draw(st.integers(0, 2)))])


@st.composite
def queries(draw) -> tuple[Query, str]:
    """A query, or a pattern of queries, asking for its reply at one of ROLES."""
    address = draw(st.sampled_from(["/vj/state", "/vj/st?te", "/vj/get/*", "/vj/get/[a-m]*", "/vj//get/zoom"])
                   | st.sampled_from(PARAM_NAMES).map(lambda name: f"/vj/get/{name}"))
    role = draw(st.sampled_from(ROLES))
    query = Query(address, role, draw(st.integers(1, 65535)) if role == "any" else 0)
    return query, "accept" if role in ("sender", "feedback") else "any"


@st.composite
def echoes(draw) -> bytes:
    """What the engine sends, sent back: a state dump (as a bundle, maybe inside another, maybe
    with commands beside it), or --osc-out's features."""
    state = ControlState()
    state.handle(ControlEvent("tempo", draw(st.floats(MIN_BPM, MAX_BPM))))
    state.update(1.0, AudioFeatures())
    if draw(st.booleans()):
        return bundle([build("/vj/out/bands", ("f", 0.5), ("f", 0.5), ("f", 0.5)), build("/vj/out/phase", ("f", 0.1))])
    dump = bundle([b.build().dgram for b in state_messages(state.snapshot)])
    for _ in range(draw(st.integers(0, 2))):
        dump = bundle([dump] + draw(st.lists(well_formed(), max_size=2)))
    return dump


@st.composite
def unknown_address(draw) -> bytes:
    pattern = draw(st.one_of(
        st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40)
        .map(lambda s: "/" + s),
        st.lists(st.sampled_from(["vj", "param", "zoom", "*", "?", "[a-z]", "[!a]", "{a,b}", "{", "[",
                                  "**", "x", "get", "abs", ""]), min_size=1, max_size=12)
        .map(lambda parts: "/" + "/".join(parts)),
        st.integers(0, 40).map(lambda n: "/vj/param/" + "*" * n + "!"),
    ))
    return build(pattern, ("f", 0.5))


@st.composite
def mutated(draw, base) -> bytes:
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip" and data:
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        elif op == "insert":
            index = draw(st.integers(0, len(data)))
            data[index:index] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            index = draw(st.integers(0, len(data) - 1))
            del data[index:index + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[draw(st.integers(0, len(data))):]
    return bytes(data)


@st.composite
def huge(draw) -> bytes:
    size = draw(st.integers(1, 65_000))
    kind = draw(st.sampled_from(["string", "blob", "many", "raw"]))
    if kind == "string":
        return build("/vj/style/a", ("s", "a" * size))
    if kind == "blob":
        return build("/vj/param/zoom", ("b", b"\x01" * size))
    if kind == "many":
        return bundle([build("/vj/tap")] * min(size, 4000))
    return b"/" + bytes(draw(st.integers(1, 255)) for _ in range(8)) * (size // 8)


@st.composite
def nested(draw, leaf) -> bytes:
    """Bundles nested 1..12 deep, with any timetag, sometimes a lying element size."""
    depth = draw(st.integers(1, 12))
    data = draw(leaf)
    for _ in range(depth):
        elements = [data] + draw(st.lists(leaf, max_size=2))
        timetag = draw(st.sampled_from([0, 1, 2**32, 2**63, 2**64 - 1]) | st.integers(0, 2**64 - 1))
        data = bundle(elements, timetag)
    if draw(st.integers(0, 4)) == 0:
        index = 16
        data = data[:index] + struct.pack(">i", draw(st.integers(-2**31, 2**31 - 1))) + data[index + 4:]
    return data


@st.composite
def valid_bundle(draw) -> bytes:
    """A bundle of well-formed messages within the limits (at most 4 levels, 8 messages)."""
    data = bundle(draw(st.lists(well_formed(), min_size=1, max_size=4)), draw(st.integers(0, 2**64 - 1)))
    for _ in range(draw(st.integers(0, 3))):
        data = bundle([data] + draw(st.lists(well_formed(), max_size=1)))
    return data


raw_bytes = st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda b: b"/" + b),
                      st.binary(max_size=200).map(lambda b: b"#bundle\x00" + b))
leaves = st.one_of(well_formed(), wrong_arguments(), unknown_address(), patterned())


def datagrams():
    """One (datagram, expectation) pair of any kind the contract covers (see OscTarget.send)."""
    return st.one_of(
        well_formed().map(lambda d: (d, "accept")),
        valid_bundle().map(lambda d: (d, "accept")),
        queries(),
        echoes().map(lambda d: (d, "echo")),
        wrong_arguments().map(lambda d: (d, "any")),
        unknown_address().map(lambda d: (d, "any")),
        patterned().map(lambda d: (d, "any")),
        st.lists(patterned(), min_size=1, max_size=40).map(lambda ds: (bundle(ds), "any")),
        mutated(leaves | valid_bundle()).map(lambda d: (d, "any")),
        huge().map(lambda d: (d, "any")),
        nested(leaves).map(lambda d: (d, "any")),
        raw_bytes.map(lambda d: (d, "any")),
    )


def cases():
    """A case: a few datagrams sent back to back, then the state checked."""
    return st.lists(datagrams(), min_size=1, max_size=4)
