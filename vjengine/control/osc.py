"""The OSC server: python-osc's blocking server on its own thread; handlers validate, then enqueue.

Every message is either turned into one ControlEvent on the bus, answered (queries), or dropped
and counted by kind; nothing a sender does raises past a handler. Address patterns are matched
against the server's own address table (oscaddress), within a work budget per datagram. Queries
are answered from the snapshot the render thread publishes each frame, only to the sender or the
feedback target, within caps per datagram and per second. What the engine sends (its replies, a
state dump, feedback with the tempo source, --osc-out) is never taken back as commands.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import socket
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import BlockingOSCUDPServer

from vjengine.clock import Clock
from vjengine.control import events, oscaddress, oscpacket
from vjengine.control.events import ControlBus, ControlEvent
from vjengine.control.params import PARAMS, SPECS
from vjengine.control.presets import SLOT_COUNT
from vjengine.control.tempo import MAX_BPM, MIN_BPM
from vjengine.errors import InputError
from vjengine.names import NAME_RULE, is_name
from vjengine.styles.breed import CHILDREN, DEFAULT_STRENGTH, MAX_STRENGTH
from vjengine.control.transitions import MAX_BEATS

log = logging.getLogger(__name__)

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 9000
MAX_STRING = 64  # longest string argument accepted (style slugs and names are at most 64)
POLL_SECONDS = 0.2  # how often the server thread checks for shutdown
SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)  # Linux: each datagram tells the socket's drop count
REPLIES_PER_DATAGRAM = 4  # reply datagrams to one received datagram (a /vj/get is 2, /vj/state 1)
REPLIES_PER_SECOND = 40  # reply datagrams a second, all senders together (also the burst allowed)
LOG_SECONDS = 10.0  # each kind of drop is logged at most once in this interval; all are counted
OUTPUT_ONLY = ("/vj/tempo/source", "/vj/out/")  # addresses only the engine sends


@dataclass(frozen=True)
class OscCommand:
    """One address of the OSC address space, as the README table lists it, and the server method
    that handles it (for a <name> address: one handler per parameter, given the name)."""

    address: str
    arguments: str  # OSC type tags; [x] is optional
    description: str
    handler: str = ""  # none for an address the engine only sends


COMMANDS: tuple[OscCommand, ...] = (
    OscCommand("/vj/param/<name>", "f", "set a parameter from 0..1, scaled onto its range", "_param"),
    OscCommand("/vj/param/<name>/abs", "f", "set a parameter in its own units (clamped to its range)", "_param_abs"),
    OscCommand("/vj/xfade", "f", "crossfade 0 (style A) .. 1 (style B); takes over from a transition", "_xfade"),
    OscCommand("/vj/style/a", "s", "put a style (slug) on deck A as soon as it is loaded", "_style_a"),
    OscCommand("/vj/style/b", "s", "put a style (slug) on deck B as soon as it is loaded", "_style_b"),
    OscCommand("/vj/slot", "i", f"transition to the scene's style slot 1..{SLOT_COUNT}", "_slot"),
    OscCommand("/vj/transition", "s [f]",
               "transition to a style on the next beat/bar (the scene's quantise) lasting beats "
               "(default: the scene's; 0 = cut on the beat)", "_transition"),
    OscCommand("/vj/autopilot", "i", "the autopilot (started with --autopilot) on (1) or off (0)", "_autopilot"),
    OscCommand("/vj/autopilot/pool", "s...", "the styles the autopilot may choose (no argument: all)",
               "_autopilot_pool"),
    OscCommand("/vj/autopilot/variety", "f", "0: always the best-matching style .. 1: any of them",
               "_autopilot_variety"),
    OscCommand("/vj/breed", "i", "breed mode (a 3x3 grid of children of style A) on (1) or off (0)", "_breed"),
    OscCommand("/vj/breed/pick", "i", "the child 1..9 that becomes the parent of the next generation",
               "_breed_pick"),
    OscCommand("/vj/breed/strength", "f", f"mutation strength 0..{MAX_STRENGTH:g} (default {DEFAULT_STRENGTH:g})",
               "_breed_strength"),
    OscCommand("/vj/breed/save", "s", "save the bred style as styles/<name> with its lineage", "_breed_save"),
    OscCommand("/vj/preset", "s", "load presets/<name>.toml", "_preset"),
    OscCommand("/vj/preset/save", "s", "save the current state as presets/<name>.toml", "_preset_save"),
    OscCommand("/vj/tap", "[f]", "tap tempo (an argument of 0, a button's release, is ignored)", "_tap"),
    OscCommand("/vj/tempo", "f", f"manual tempo, {MIN_BPM:g}..{MAX_BPM:g} BPM; 0 returns to automatic", "_tempo"),
    OscCommand("/vj/learn", "s", "MIDI learn: the next CC controls this parameter (\"\" cancels)", "_learn"),
    OscCommand("/vj/learn/save", "s", "save the learned MIDI map as presets/midi/<name>.toml", "_learn_save"),
    OscCommand("/vj/get/<name>", "[i]",
               "reply /vj/param/<name> (0..1) and /vj/param/<name>/abs to the sender, or to the "
               "--osc-feedback target when the argument is its port", "_get"),
    OscCommand("/vj/state", "[i]",
               "reply one bundle (to the same place as /vj/get): /vj/style/a, /vj/style/b, /vj/xfade, "
               "/vj/tempo, /vj/tempo/source, /vj/preset and /vj/param/<name> for every parameter", "_state"),
)


@dataclass
class OscCounters:
    """Messages received, accepted and dropped by kind (the HUD shows them)."""

    packets: int = 0  # datagrams that reached the server
    received: int = 0  # messages in them
    accepted: int = 0
    replies: int = 0
    malformed: int = 0  # not OSC, or an OSC packet that does not parse (one per datagram)
    unknown_address: int = 0
    bad_type: int = 0  # wrong argument types or count
    bad_value: int = 0  # a number outside what the address takes (tempo, slot, beats, port)
    non_finite: int = 0  # NaN or infinity
    oversize: int = 0  # a string longer than MAX_STRING
    limits: int = 0  # a datagram beyond the limits (size, nesting, count, pattern length or work)
    echo: int = 0  # a datagram the engine sent: from its own port, or carrying an output-only address
    bad_name: int = 0  # not a valid style slug, preset/map name or parameter
    not_allowed: int = 0  # sender outside --osc-allow
    reply_refused: int = 0  # a query asking for its reply elsewhere than the sender or the feedback target
    reply_limit: int = 0  # a query beyond the replies allowed per datagram or per second
    bus_full: int = 0  # the render thread fell behind
    overflow: int = 0  # datagrams the kernel dropped because the server fell behind (Linux)
    reply_failed: int = 0
    errors: int = 0  # a bug: logged with its traceback

    DROPS = ("malformed", "limits", "echo", "unknown_address", "bad_type", "bad_value", "non_finite",
             "oversize", "bad_name", "not_allowed", "reply_refused", "reply_limit", "bus_full", "overflow",
             "errors")

    @property
    def dropped(self) -> int:
        return sum(getattr(self, kind) for kind in self.DROPS)

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "dropped": self.dropped}


class _Drop(Exception):
    """A message to drop and count under `kind`."""

    def __init__(self, kind: str, why: str):
        super().__init__(why)
        self.kind = kind


def _number(args: Sequence[Any], optional: bool = False) -> float | None:
    """The one numeric argument (int or float, not bool); None when optional and absent."""
    if optional and not args:
        return None
    if len(args) != 1 or isinstance(args[0], bool) or not isinstance(args[0], (int, float)):
        raise _Drop("bad_type", f"expected one number, got {list(args)!r}")
    if not math.isfinite(args[0]):
        raise _Drop("non_finite", f"{args[0]!r} is not a finite number")
    return float(args[0])


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Drop("bad_type", f"expected a string, got {value!r}")
    if len(value) > MAX_STRING:
        raise _Drop("oversize", f"string of {len(value)} characters (at most {MAX_STRING})")
    return value


def _one_string(args: Sequence[Any]) -> str:
    if len(args) != 1:
        raise _Drop("bad_type", f"expected one string, got {list(args)!r}")
    return _string(args[0])


def _name(args: Sequence[Any], what: str) -> str:
    name = _one_string(args)
    if not is_name(name):
        raise _Drop("bad_name", f"{what} {name!r}: expected {NAME_RULE}")
    return name


def _in_range(value: float, lo: float, hi: float, what: str) -> float:
    if not lo <= value <= hi:
        raise _Drop("bad_value", f"{what} {value:g}: expected {lo:g}..{hi:g}")
    return value


def _whole(value: float, what: str) -> int:
    if value != int(value):
        raise _Drop("bad_value", f"{what} {value:g}: expected a whole number")
    return int(value)


def _is_loopback(host: str) -> bool:
    """Whether host (an address or a name such as localhost) is only reachable from this machine."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def parse_allow(entries: Sequence[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """--osc-allow values (addresses or networks like 192.168.1.0/24) as networks."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise InputError(f"--osc-allow {entry!r}: expected an IP address or network "
                             "such as 192.168.1.20 or 192.168.1.0/24") from None
    return tuple(networks)


def _is_local(host: str) -> bool:
    """Whether host is an address of this machine (a loopback one, or one a socket can bind)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.is_loopback or address.is_unspecified:
        return True
    with socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            return False
    return True


class _Dispatcher(Dispatcher):
    """python-osc's slot for a dispatcher: hands each datagram to the server's own routing."""

    def __init__(self, handle: Callable[[bytes, tuple[str, int]], None]):
        super().__init__()
        self._handle = handle

    def call_handlers_for_packet(self, data: bytes, client_address: tuple[str, int]) -> list:
        self._handle(data, client_address)
        return []


class _Server(BlockingOSCUDPServer):
    """Drops datagrams from senders outside the allowlist and datagrams that are not OSC."""

    max_packet_size = oscpacket.MAX_DATAGRAM + 1  # a longer datagram arrives cut, still too long

    def __init__(self, address, dispatcher, counters: OscCounters, allow, drop: Callable[[str, str], None]):
        self._counters = counters
        self._allow = allow
        self._drop = drop
        super().__init__(address, dispatcher)

    def server_bind(self) -> None:
        super().server_bind()
        if sys.platform.startswith("linux"):
            self.socket.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)

    def get_request(self):
        """One datagram; on Linux also the kernel's count of datagrams dropped on a full buffer."""
        if not sys.platform.startswith("linux"):
            return super().get_request()
        data, ancillary, _, address = self.socket.recvmsg(self.max_packet_size, socket.CMSG_SPACE(4))
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(payload) >= 4:
                self._counters.overflow = struct.unpack("=I", payload[:4])[0]
        return (data, self.socket), address

    def verify_request(self, request, client_address) -> bool:
        self._counters.packets += 1
        if self._allow and not any(ipaddress.ip_address(client_address[0]) in net for net in self._allow):
            self._counters.not_allowed += 1
            return False
        if client_address[1] == self.server_address[1] and _is_local(client_address[0]):
            self._drop("echo", f"a datagram from this server's own address {client_address[0]}:"
                               f"{client_address[1]} (its own reply)")
            return False
        return True

    def handle_error(self, request, client_address) -> None:
        self._counters.errors += 1
        log.exception("OSC: error handling a packet from %s", client_address)


def message(address: str, *values: Any) -> OscMessageBuilder:
    """An OSC message builder with these values (floats as f, ints as i, str as s)."""
    builder = OscMessageBuilder(address=address)
    for value in values:
        builder.add_arg(value)
    return builder


class OscServer:
    """The OSC door: binds host:port, runs on its own thread, turns messages into ControlEvents.

    `snapshot` returns the latest state the render thread published (control.state.ControlSnapshot);
    queries are answered from it. `feedback` is the --osc-feedback target, the one place other than
    the sender that a query may ask its reply to go.
    """

    def __init__(self, bus: ControlBus, clock: Clock, snapshot: Callable[[], Any],
                 host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, allow: Sequence[str] = (),
                 feedback: tuple[str, int] | None = None):
        self.counters = OscCounters()
        self._bus = bus
        self._clock = clock
        self._snapshot = snapshot
        self._feedback = feedback
        self._logged: dict[str, float] = {}  # kind -> when it was last logged
        self._tokens = float(REPLIES_PER_SECOND)
        self._tokens_at = clock.now()
        self._datagram_replies = 0  # reply datagrams sent for the datagram being handled
        networks = parse_allow(allow)
        if not networks and not _is_loopback(host):
            raise InputError(f"--osc-host {host}: a port open to the network needs --osc-allow "
                             "ADDRESS[/BITS] naming who may control the show (0.0.0.0/0 for anyone)")
        self._handlers: dict[str, Callable] = {}
        self._map()
        self._table = oscaddress.AddressTable(self._handlers)
        try:
            self._server = _Server((host, port), _Dispatcher(self._handle_datagram), self.counters,
                                   networks, self._drop)
        except OSError as exc:
            raise InputError(f"OSC: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self.host, self.port = self._server.server_address[:2]
        self._thread: threading.Thread | None = None

    def _map(self) -> None:
        """Every address of COMMANDS to its guarded handler; <name> expands to each parameter."""
        for command in COMMANDS:
            handler = getattr(self, command.handler)
            if "<name>" in command.address:
                for spec in PARAMS:
                    address = command.address.replace("<name>", spec.name)
                    self._handlers[address] = self._guard(handler, spec.name)
            else:
                self._handlers[command.address] = self._guard(handler)

    def _handle_datagram(self, data: bytes, sender: tuple[str, int]) -> None:
        """Parse, match every address pattern, then run the handlers (OSC server thread).

        A datagram beyond the limits, or one the engine sent, is dropped whole before any handler
        runs."""
        try:
            messages = oscpacket.parse(data)
            routed = self._route(messages)
        except oscpacket.PacketError as error:
            self._drop(error.kind, f"a datagram from {sender[0]}: {error}")
            return
        echoed = next((m.address for m in messages if m.address.startswith(OUTPUT_ONLY)), None)
        if echoed is not None:
            self._drop("echo", f"a datagram from {sender[0]} carrying {echoed[:80]!r}, which only "
                               "the engine sends (its own state or feedback sent back)")
            return
        self._datagram_replies = 0
        for message, addresses in routed:
            if not addresses:
                self._unknown(sender, message.address)
            for address in addresses:
                self._handlers[address](sender, message.address, *message.params)

    def _route(self, messages: list[OscMessage]) -> list[tuple[OscMessage, list[str]]]:
        """Each message with the addresses its pattern matches, within one work budget; at most
        MAX_MESSAGES addresses in all, as many as plain messages could reach."""
        budget = oscaddress.MAX_WORK
        targets = 0
        routed = []
        for message in messages:
            try:
                addresses, work = self._table.match(message.address, budget)
            except oscaddress.PatternLimit as error:
                raise oscpacket.PacketError("limits", str(error)) from None
            budget -= work
            targets += len(addresses)
            if targets > oscpacket.MAX_MESSAGES:
                raise oscpacket.PacketError("limits", f"patterns reaching more than {oscpacket.MAX_MESSAGES} "
                                                      "addresses in one datagram")
            routed.append((message, addresses))
        return routed

    def _guard(self, handler: Callable, *bound: Any) -> Callable:
        """Wrap a handler: count, validate, enqueue its event; always return None."""
        def invoke(sender: tuple[str, int], address: str, *args: Any) -> None:
            self.counters.received += 1
            try:
                event = handler(*bound, sender, args)
            except _Drop as drop:
                self._drop(drop.kind, f"{address} from {sender[0]}: {drop}")
                return None
            if event is None:
                self.counters.accepted += 1
                return None
            event = ControlEvent(event.target, event.value, f"osc:{sender[0]}:{sender[1]}", self._clock.now())
            if self._bus.put(event):
                self.counters.accepted += 1
            else:
                self._drop("bus_full", f"{address}: the control bus is full")
            return None
        return invoke

    def _drop(self, kind: str, why: str) -> None:
        count = getattr(self.counters, kind) + 1
        setattr(self.counters, kind, count)
        now = self._clock.now()
        last = self._logged.get(kind)
        if last is None or now - last >= LOG_SECONDS:  # the counters keep the tally in between
            self._logged[kind] = now
            log.warning("OSC: dropped (%s) %s; %d of this kind so far, logged at most every %g s",
                        kind, why, count, LOG_SECONDS)

    def _unknown(self, sender: tuple[str, int], address: str) -> None:
        self.counters.received += 1
        self._drop("unknown_address", f"{address[:80]!r} from {sender[0]}")
        return None

    def _param(self, name: str, sender, args) -> ControlEvent:
        return ControlEvent(events.param_target(name), _number(args))

    def _param_abs(self, name: str, sender, args) -> ControlEvent:
        return ControlEvent(events.param_target(name, "abs"), _number(args))

    def _xfade(self, sender, args) -> ControlEvent:
        return ControlEvent(events.param_target("xfade"), _number(args))

    def _style_a(self, sender, args) -> ControlEvent:
        return ControlEvent(events.STYLE_A, _name(args, "style"))

    def _style_b(self, sender, args) -> ControlEvent:
        return ControlEvent(events.STYLE_B, _name(args, "style"))

    def _autopilot(self, sender, args) -> ControlEvent:
        return ControlEvent(events.AUTOPILOT, _number(args) != 0)

    def _autopilot_pool(self, sender, args) -> ControlEvent:
        return ControlEvent(events.AUTOPILOT_POOL, tuple(_name([arg], "style") for arg in args))

    def _autopilot_variety(self, sender, args) -> ControlEvent:
        return ControlEvent(events.AUTOPILOT_VARIETY, _in_range(_number(args), 0.0, 1.0, "variety"))

    def _breed(self, sender, args) -> ControlEvent:
        return ControlEvent(events.BREED, _number(args) != 0)

    def _breed_pick(self, sender, args) -> ControlEvent:
        pick = _in_range(_number(args), 1, CHILDREN, "breed pick")
        return ControlEvent(events.BREED_PICK, _whole(pick, "breed pick"))

    def _breed_strength(self, sender, args) -> ControlEvent:
        return ControlEvent(events.BREED_STRENGTH, _in_range(_number(args), 0.0, MAX_STRENGTH, "breed strength"))

    def _breed_save(self, sender, args) -> ControlEvent:
        return ControlEvent(events.BREED_SAVE, _name(args, "style"))

    def _preset(self, sender, args) -> ControlEvent:
        return ControlEvent(events.PRESET, _name(args, "preset"))

    def _preset_save(self, sender, args) -> ControlEvent:
        return ControlEvent(events.PRESET_SAVE, _name(args, "preset"))

    def _learn_save(self, sender, args) -> ControlEvent:
        return ControlEvent(events.LEARN_SAVE, _name(args, "MIDI map"))

    def _slot(self, sender, args) -> ControlEvent:
        return ControlEvent(events.SLOT, _whole(_in_range(_number(args), 1, SLOT_COUNT, "slot"), "slot"))

    def _transition(self, sender, args) -> ControlEvent:
        if len(args) not in (1, 2):
            raise _Drop("bad_type", f"expected a style and optionally beats, got {list(args)!r}")
        slug = _name(args[:1], "style")
        beats = _number(args[1:], optional=True)
        if beats is not None:
            _in_range(beats, 0.0, MAX_BEATS, "beats")
        return ControlEvent(events.TRANSITION, (slug, beats))

    def _tap(self, sender, args) -> ControlEvent | None:
        value = _number(args, optional=True)
        return None if value is not None and value <= 0 else ControlEvent(events.TAP)

    def _tempo(self, sender, args) -> ControlEvent:
        bpm = _number(args)
        if bpm != 0:
            _in_range(bpm, MIN_BPM, MAX_BPM, "tempo")
        return ControlEvent(events.TEMPO, bpm)

    def _learn(self, sender, args) -> ControlEvent:
        name = _one_string(args)
        if name and name not in SPECS:
            raise _Drop("bad_name", f"learn {name!r}: not a parameter")
        return ControlEvent(events.LEARN, name)

    def _reply_address(self, sender: tuple[str, int], args: Sequence[Any]) -> tuple[str, int]:
        """The sender, or the feedback target when the argument is its port; nowhere else, so a
        forged sender cannot aim replies at a third party or at the engine itself."""
        port = _number(args, optional=True)
        if port is None:
            return sender
        whole = _whole(port, "reply port")
        if self._feedback is None or whole != self._feedback[1]:
            raise _Drop("reply_refused", f"reply port {port:g}: replies go to the sender, or to the "
                                         "--osc-feedback target when the argument is its port")
        return self._feedback

    def _reserve(self, count: int) -> None:
        """Take `count` reply datagrams from the caps, or drop the query under reply_limit."""
        if self._datagram_replies + count > REPLIES_PER_DATAGRAM:
            raise _Drop("reply_limit", f"more than {REPLIES_PER_DATAGRAM} replies to one datagram")
        now = self._clock.now()
        self._tokens = min(float(REPLIES_PER_SECOND),
                           self._tokens + (now - self._tokens_at) * REPLIES_PER_SECOND)
        self._tokens_at = now
        if self._tokens < count:
            raise _Drop("reply_limit", f"more than {REPLIES_PER_SECOND} replies a second")
        self._tokens -= count
        self._datagram_replies += count

    def _send(self, dgram: bytes, address: tuple[str, int]) -> None:
        try:
            self._server.socket.sendto(dgram, address)
            self.counters.replies += 1
        except OSError as exc:
            self.counters.reply_failed += 1
            log.debug("OSC: reply to %s failed (%s)", address, exc)

    def _get(self, name: str, sender, args) -> None:
        address = self._reply_address(sender, args)
        self._reserve(2)
        value = self._snapshot().params[name]
        self._send(message(f"/vj/param/{name}", SPECS[name].to_normalised(value)).build().dgram, address)
        self._send(message(f"/vj/param/{name}/abs", float(value)).build().dgram, address)
        return None

    def _state(self, sender, args) -> None:
        address = self._reply_address(sender, args)
        self._reserve(1)
        snapshot = self._snapshot()
        bundle = OscBundleBuilder(IMMEDIATELY)
        for builder in state_messages(snapshot):
            bundle.add_content(builder.build())
        self._send(bundle.build().dgram, address)
        return None

    def feed(self, datagram: bytes, sender: tuple[str, int]) -> None:
        """Handle one datagram exactly as if it had arrived on the socket from `sender`."""
        if self._server.verify_request((datagram, self._server.socket), sender):
            self._handle_datagram(datagram, sender)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": POLL_SECONDS}, name="osc-server",
                                        daemon=True)
        self._thread.start()
        log.info("OSC listening on %s:%d", self.host, self.port)

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5.0)
        self._server.server_close()


def state_messages(snapshot: Any) -> list[OscMessageBuilder]:
    """The messages describing the whole state, addressed like the inputs so faders follow."""
    builders = [
        message("/vj/style/a", snapshot.style_a or ""),
        message("/vj/style/b", snapshot.style_b or ""),
        message("/vj/xfade", float(snapshot.xfade)),
        message("/vj/tempo", float(snapshot.bpm)),
        message("/vj/tempo/source", snapshot.tempo_source),
        message("/vj/preset", snapshot.preset or ""),
    ]
    for spec in PARAMS:
        builders.append(message(f"/vj/param/{spec.name}", spec.to_normalised(snapshot.params[spec.name])))
    return builders

