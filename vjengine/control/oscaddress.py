"""OSC address patterns matched against the engine's own address table, in time linear in the pattern.

OSC 1.0 wildcards work within one part of an address: `?` one character, `*` any run, `[abc]`,
`[a-z]` and `[!a-z]` one character of (or not of) a set, `{foo,bar}` one of the listed strings.
OSC 1.1's `//` matches any number of parts. Each part of a pattern is compiled once into a list
of elements; matching a candidate part keeps the set of positions the elements so far can reach as
the bits of one integer, so the work is one step per element and candidate, whatever the pattern.
Regular expressions are not used: alternatives such as `{,}{,}{,}` make them backtrack exponentially.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

WILDCARDS = frozenset("?*[]{}")
MAX_WORK = 4096  # steps for one datagram: a pattern character compiled, an element tried on a part
SET_STEPS = 16  # compiling a `[...]` set costs about as much time as this many steps
_ANY, _ONE, _SET, _ALTERNATIVES = range(4)


class PatternLimit(Exception):
    """Matching a pattern would take more work than its budget."""


class _Node:
    """One part of the address table: the parts that can follow, and the address that ends here."""

    __slots__ = ("children", "address", "masks")

    def __init__(self, name: str):
        self.children: dict[str, _Node] = {}
        self.address: str | None = None
        self.masks: dict[str, int] = {}  # character -> bit i + 1 for each index i where it occurs
        for index, char in enumerate(name):
            self.masks[char] = self.masks.get(char, 0) | 2 << index


class AddressTable:
    """The addresses a server answers; `match` gives those a pattern names, in the order mapped."""

    def __init__(self, addresses: Iterable[str]):
        self._root = _Node("")
        self._order: dict[str, int] = {}
        alphabet: set[str] = set()
        for address in addresses:
            if not address.startswith("/") or WILDCARDS & set(address) or "//" in address:
                raise ValueError(f"{address!r} is not a plain OSC address")
            node = self._root
            for part in address[1:].split("/"):
                node = node.children.setdefault(part, _Node(part))
            node.address = address
            alphabet.update(address)
            self._order.setdefault(address, len(self._order))
        self._alphabet = "".join(sorted(alphabet))  # every character of the table, for sets

    def match(self, pattern: str, budget: int = MAX_WORK) -> tuple[list[str], int]:
        """The table's addresses the pattern matches (none for a pattern that is not well formed),
        and the work it took; raises PatternLimit when the work would exceed `budget`."""
        if pattern in self._order:  # a plain address: nothing to match
            return [pattern], 1
        if not pattern.startswith("/"):
            return [], 1
        nodes = [self._root]
        work = 1
        descend = False  # after '//': the next part may be at any depth below
        for part in pattern[1:].split("/"):
            if not part:
                descend = True
                continue
            work += len(part) + SET_STEPS * part.count("[")  # compiling is one pass over the part
            if work > budget:
                raise PatternLimit(f"matching {pattern[:40]!r}... takes more than {budget} steps")
            elements = _compile(part, self._alphabet)
            if elements is None:
                return [], work
            if descend:
                nodes = _below(nodes)
                descend = False
            matched = []
            for node in nodes:
                for name, child in node.children.items():
                    ok, steps = _matches(elements, child, name)
                    work += steps
                    if work > budget:
                        raise PatternLimit(f"matching {pattern[:40]!r}... takes more than {budget} steps")
                    if ok:
                        matched.append(child)
            nodes = matched
            if not nodes:
                return [], work
        if descend:  # a pattern ending in '/' names no address
            return [], work
        found = {node.address for node in nodes if node.address is not None}
        return sorted(found, key=self._order.__getitem__), work


def _below(nodes: list[_Node]) -> list[_Node]:
    """The nodes and every node under them, each once."""
    seen: dict[int, _Node] = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.children.values())
    return list(seen.values())


def _compile(part: str, alphabet: str) -> list[tuple] | None:
    """One part of a pattern as elements; None if a bracket or brace is not closed or misplaced.

    A character set becomes the characters of the table's `alphabet` it admits."""
    elements: list[tuple] = []
    literal = ""  # plain characters since the last wildcard, one element
    index = 0
    while index < len(part):
        char = part[index]
        if char not in WILDCARDS:
            literal += char
            index += 1
            continue
        if literal:
            elements.append((_ALTERNATIVES, frozenset((literal,))))
            literal = ""
        if char == "*":
            if not elements or elements[-1][0] != _ANY:  # '**' is '*'
                elements.append((_ANY, None))
        elif char == "?":
            elements.append((_ONE, None))
        elif char in "]}":
            return None
        else:
            end = part.find("]" if char == "[" else "}", index + 1)
            if end < 0:
                return None
            body = part[index + 1:end]
            if char == "[":
                elements.append((_SET, _char_set(body, alphabet)))
            elif set(body) != {","} and body:  # '{}' and '{,}' match only the empty string
                elements.append((_ALTERNATIVES, frozenset(body.split(","))))
            index = end
        index += 1
    if literal:
        elements.append((_ALTERNATIVES, frozenset((literal,))))
    return elements


def _char_set(body: str, alphabet: str) -> frozenset[str]:
    """The characters of the sorted `alphabet` that `[body]` admits ('!' first negates; '-' first
    or last is itself)."""
    negated = body.startswith("!")
    if negated:
        body = body[1:]
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            ranges.append((body[index], body[index + 2]))
            index += 3
        else:
            chars.add(body[index])
            index += 1
    admitted = chars.intersection(alphabet)
    for lo, hi in ranges:
        admitted.update(alphabet[bisect_left(alphabet, lo):bisect_right(alphabet, hi)])
    return frozenset(set(alphabet) - admitted if negated else admitted)


def _matches(elements: list[tuple], node: _Node, name: str) -> tuple[bool, int]:
    """Whether the elements match all of name, and the work it took (steps, for the budget).

    Bit p of `reach` means the elements so far can match name[:p]."""
    full = (2 << len(name)) - 1
    reach, work = 1, 0
    for kind, data in elements:
        if kind == _ANY:
            reach = full & ~((reach & -reach) - 1)  # from the first reachable position to the end
            work += 1
        elif kind == _ONE:
            reach = (reach << 1) & full
            work += 1
        elif kind == _SET:
            allowed = 0
            for char, mask in node.masks.items():
                if char in data:
                    allowed |= mask
            reach = (reach << 1) & allowed
            work += len(node.masks)
        else:
            after = 0
            for choice in data:
                after |= (reach << len(choice)) & _ends(node, name, choice) if choice else reach
            reach = after
            work += len(data)
        if not reach:
            return False, work
    return bool(reach >> len(name) & 1), work


def _ends(node: _Node, name: str, text: str) -> int:
    """Bit i + len(text) for each index i where text occurs in name."""
    if len(text) == 1:
        return node.masks.get(text, 0)
    ends = 0
    start = name.find(text)
    while start >= 0:
        ends |= 1 << (start + len(text))
        start = name.find(text, start + 1)
    return ends
