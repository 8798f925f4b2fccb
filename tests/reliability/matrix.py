# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault matrix: each fault in each phase it can hit, transient (once) and persistent (every time)."""

from __future__ import annotations

import collections

Phase = collections.namedtuple('Phase', 'name method path flow words')
Fault = collections.namedtuple('Fault', 'name spec where')
Case = collections.namedtuple('Case', 'id phase fault variant expected')

# `words`: what a failure message must say to name the phase.
PHASES = (
    Phase('list', 'GET', r'^/2016-07/deployments(/[^/]+/(backups|recipes))?$', 'trigger',
          ('GET /deployments',)),
    Phase('trigger', 'POST', r'^/2016-07/deployments/[^/]+/backups$', 'trigger',
          ('POST /deployments/',)),
    Phase('recipe poll', 'GET', r'^/2016-07/recipes/[^/]+$', 'trigger',
          ('GET /recipes/', 'recipe ')),
    Phase('backup details', 'GET', r'^/2016-07/deployments/[^/]+/backups/[^/]+$', 'trigger',
          ('GET /deployments/',)),
    Phase('download', 'GET', r'^/_download/', 'download',
          ('download',)),
    Phase('restore', 'POST', r'^/2016-07/deployments/[^/]+/backups/[^/]+/restore$', 'restore',
          ('POST /deployments/', 'restore')),
)
API = ('list', 'trigger', 'recipe poll', 'backup details', 'restore')
POSTS = ('trigger', 'restore')
ALL = API + ('download',)

# The read timeout: the server answers after DELAY seconds, the client gives up after READ_TIMEOUT. The timeout
# is long enough for a loaded machine to answer the other requests in time, so the calls counted do not vary;
# the delay is short enough that a POST is processed before the client looks for it (after 0.5 s at least).
READ_TIMEOUT = 2.0
DELAY = 2.2
# The slow body: TRICKLE bytes at once, then a byte every 0.25 s, each read within the timeout; the client, with
# request_timeout READ_TIMEOUT, must give up on the body (or resume the download) after about READ_TIMEOUT.
TRICKLE = 10
# After a POST whose outcome is unknown, the run looks for what it started for SETTLE seconds (settle_time) before
# it sends again: long enough for a POST the server acted on DELAY s after it was sent (about half a second after
# the client gave up) to be found, short enough that the persistent cases do not wait the default minute each.
SETTLE = 3.0

FAULTS = (
    Fault('429, Retry-After in seconds', dict(status=429, retry_after='1'), ALL),
    # The HTTP date is filled in when the fault is injected (two seconds ahead).
    Fault('429, Retry-After as an HTTP date', dict(status=429, retry_after='<http-date>'), ALL),
    Fault('500', dict(status=500), ALL),
    Fault('502 with an HTML body', dict(status=502, body='html'), ALL),
    Fault('503', dict(status=503), ALL),
    Fault('504', dict(status=504), ALL),
    Fault('connection reset', dict(drop='before'), ALL),
    Fault('response lost after processing', dict(drop='after'), API),
    Fault('read timeout', dict(delay=DELAY), ALL),
    Fault('invalid JSON body', dict(body='invalid_json'), ALL),
    Fault('truncated body', dict(truncate_at=10), ALL),
    Fault('slow body (a byte every 0.25 s)', dict(trickle=TRICKLE), ALL),
    Fault('corrupted body, checked against checksum', dict(corrupt=True), ('download',)),
    Fault('expired link', dict(status=403), ('download',)),
    Fault('failed recipe', dict(), ('recipe poll',)),
    Fault('backup never appears', dict(), ('recipe poll',)),
)
ONE_SHOT = ('failed recipe', 'backup never appears')

# Damage at the source (the simulator's archive_damage): every download gets the same damaged bytes, and the
# `checksum` a run is given is theirs, so only reading the archive (verify_archive, which every download case turns on) catches it. Each
# runs with the checksum, without it, and with verify_archive off: the risk that option takes, which succeeds.
ARCHIVE_FAULTS = (
    Fault('archive damaged at the source: bad bytes, right length', dict(archive_damage='corrupt'), ('download',)),
    Fault('archive damaged at the source: gzip cut inside a member', dict(archive_damage='short'), ('download',)),
    Fault('archive damaged at the source: tar cut inside a member', dict(archive_damage='short_tar'), ('download',)),
)
ARCHIVE = tuple(fault.name for fault in ARCHIVE_FAULTS)
ARCHIVE_VARIANTS = ('with checksum', 'without checksum', 'verify_archive off')
# What a failure caused by archive damage must say (loosely: which damage is the module's wording).
ARCHIVE_WORDS = r'truncated|damaged|ends inside'
FAULTS += ARCHIVE_FAULTS

# A changing request whose answer is lost or garbled after the server acted: the client looks before sending
# again, finds what it started, and carries on.
RECOVERED_POST = ('response lost after processing', 'read timeout', 'invalid JSON body', 'truncated body',
                  'slow body (a byte every 0.25 s)')


def _expected(phase, fault, variant):
    if fault.name in ARCHIVE:
        return 'survived' if variant == 'verify_archive off' else 'failed'
    if fault.name in ONE_SHOT:
        return 'failed'
    if variant == 'transient':
        return 'survived'
    if phase in POSTS and fault.name in RECOVERED_POST:
        return 'survived'
    return 'failed'


def _slug(text):
    return ''.join(c if c.isalnum() else '-' for c in text.lower()).strip('-').replace('--', '-')


def cases():
    out = []
    for phase in PHASES:
        for fault in FAULTS:
            if phase.name not in fault.where:
                continue
            variants = ('permanent',) if fault.name in ONE_SHOT else ARCHIVE_VARIANTS if fault.name in ARCHIVE else (
                'transient', 'persistent')
            for variant in variants:
                out.append(Case('%s/%s/%s' % (_slug(phase.name), _slug(fault.name), _slug(variant)), phase, fault, variant,
                                _expected(phase.name, fault, variant)))
    return out


CASES = cases()
