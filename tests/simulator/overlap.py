"""How many requests of a kind were in flight at once, from the request log. Standard library only, so the control
API, tests and plain scripts can all use it."""

from __future__ import annotations

KINDS = ('api', 'download')


def max_overlap(entries, kind=None):
    """The most requests of `kind` ('api', 'download', or None for both) in flight at the same moment.

    Each entry counts from its `start` to its `end` (the simulator's monotonic seconds: `start` once the request has
    been read, `end` just before the last byte of the answer goes out, so a client cannot have had the whole answer,
    and sent its next request, before it). An entry without an `end` (the server still busy with it) counts as in
    flight from its start on. Touching intervals do not overlap: an end sorts before a start at the same moment.
    """
    events = []
    for entry in entries:
        if kind is None or entry.get('kind') == kind:
            events.append((entry['start'], 1))
            events.append((float('inf') if entry.get('end') is None else entry['end'], -1))
    events.sort(key=lambda event: (event[0], event[1]))
    now = most = 0
    for dummy, step in events:
        now += step
        most = max(most, now)
    return most


def overlaps(entries):
    """{kind: max_overlap} for every kind, and the number of entries."""
    result = dict((kind, max_overlap(entries, kind)) for kind in KINDS)
    result['requests'] = len(entries)
    return result
