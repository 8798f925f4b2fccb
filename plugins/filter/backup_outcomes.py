# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_outcomes
short_description: The backup role's rows of every deployment, their labels, and which host reports them
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Takes the outcomes that the hosts of the C(composeio.dbaas.backup) role recorded, as one host sees them, and says
    whether they are complete, how the summary names each deployment, and which host writes the report and prints
    the summary.
  - A deployment is named by its name, followed by its id when two rows share that name.
  - Under the C(free) strategy each host reaches the report on its own, and may see only the outcomes of the hosts
    that finished before it. The reporter is the host that recorded its outcome last (ties go to the later host in
    O(play_hosts)); it reaches the report after every outcome is in, and any two hosts that see every outcome name
    the same reporter, so the summary is printed once.
positional: _input
options:
  _input:
    description:
      - The outcomes, in inventory order. Each is a report row with the time it was recorded in C(_finished)
        (seconds since the epoch); empty ones are ignored.
    type: list
    elements: dict
    required: true
  play_hosts:
    description: The hosts still in the play (C(ansible_play_hosts)); the outcomes are complete when each has one.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Print the summary once
  ansible.builtin.debug:
    msg: "{{ gathered.labels }}"
  vars:
    gathered: "{{ outcomes | composeio.dbaas.backup_outcomes(play_hosts=ansible_play_hosts) }}"
  when: gathered.reporter == inventory_hostname
'''

RETURN = r'''
_value:
  description: The rows and what the role decides from them.
  type: dict
  contains:
    rows:
      description: The report rows, without C(_finished).
      type: list
      elements: dict
    labels:
      description: For each row, how the summary names its deployment.
      type: list
      elements: str
    missing:
      description: The hosts of O(play_hosts) that have no outcome yet.
      type: list
      elements: str
    complete:
      description: Whether every host of O(play_hosts) has its outcome.
      type: bool
    reporter:
      description: The host that writes the report and prints the summary; null while the outcomes are incomplete.
      type: str
'''

from collections import Counter


def _finished(outcome):
    try:
        return float(outcome.get('_finished'))
    except (TypeError, ValueError):
        return 0.0


def deployment_labels(rows):
    """How the summary (and the metrics' deployment label) names each row's deployment: its name, followed by its id
    when two rows share that name."""
    names = Counter(row.get('deployment') for row in rows)
    labels = []
    for row in rows:
        label = row.get('deployment')
        if names[label] > 1:
            label = '%s (%s)' % (label, row.get('deployment_id') or 'host %s' % row.get('host'))
        labels.append(label)
    return labels


def backup_outcomes(outcomes, play_hosts):
    outcomes = [outcome for outcome in outcomes or () if isinstance(outcome, dict) and outcome]
    rows = [dict((key, value) for key, value in outcome.items() if key != '_finished') for outcome in outcomes]
    labels = deployment_labels(rows)
    seen = set(row.get('host') for row in rows)
    order = dict((host, index) for index, host in enumerate(play_hosts or ()))
    missing = [host for host in play_hosts or () if host not in seen]
    complete = not missing
    reporter = None
    if complete and outcomes:
        last = max(outcomes, key=lambda outcome: (_finished(outcome), order.get(outcome.get('host'), -1)))
        reporter = last.get('host')
    return {'rows': rows, 'labels': labels, 'missing': missing, 'complete': complete, 'reporter': reporter}


class FilterModule:
    def filters(self):
        return {'backup_outcomes': backup_outcomes}
