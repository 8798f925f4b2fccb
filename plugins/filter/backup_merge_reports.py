# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_merge_reports
short_description: One run summary from several JSON reports of the backup role, such as the slices of an AWX job
version_added: 0.1.0
author:
  - composeio.dbaas maintainers (@composeio)
description:
  - Reads the JSON reports that runs of the C(composeio.dbaas.backup) role wrote (each slice of a sliced AWX job is a
    job of its own and writes C(compose-backup-report-<awx_job_id>.json)) and merges them into one summary of the
    night - every deployment once, the totals, the failures - and says what keeps the night from being complete.
  - A report whose deployments are all in a later report (by its C(generated_at)) is superseded - that slice was
    run again - and its rows are left out.
  - A deployment in two reports that neither supersedes is a duplicate - slices that overlapped, or reports of
    different runs in one folder - and is listed in RV(_value.duplicates); the later report's row is the one kept.
  - What makes the summary incomplete is listed in RV(_value.problems), one sentence each - a report that cannot
    be read, fewer reports than O(slices) (a slice that stopped before writing its report), a report with failed
    deployments, a duplicate, a deployment of O(expected) that no report has, a report of a check-mode run.
  - The C(composeio.dbaas.merge_reports) playbook finds the reports, calls this filter and writes the summary.
positional: _input
options:
  _input:
    description: Paths of the reports, in any order.
    type: list
    elements: path
    required: true
  slices:
    description:
      - How many reports the run should have (the job template's slice count); fewer is a problem. V(0) does not
        check the number.
    type: int
    default: 0
  expected:
    description:
      - The deployments the run should cover - inventory host names, deployment names or ids - for example the
        hosts of the inventory the sliced job ran over. One that no report's row names (by its C(host),
        C(deployment) or C(deployment_id)) is a problem. Empty does not check.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Find tonight's reports
  ansible.builtin.find:
    paths: /backups/compose
    patterns: ['compose-backup-report*.json']
    age: -12h
  register: found

- name: Merge them
  ansible.builtin.set_fact:
    summary: "{{ found.files | map(attribute='path') | composeio.dbaas.backup_merge_reports(slices=4) }}"

- name: Fail unless every deployment of every slice was backed up
  ansible.builtin.fail:
    msg: "{{ summary.problems }}"
  when: not summary.complete
'''

RETURN = r'''
_value:
  description: The night's summary.
  type: dict
  contains:
    complete:
      description: Whether there is at least one report and no problem.
      type: bool
    problems:
      description: What keeps the summary from being complete, one sentence each.
      type: list
      elements: str
    totals:
      description:
        - C(deployments), C(ok), C(failed), C(planned), C(triggered) and C(downloaded) over the merged rows, as in
          each report's C(totals); C(reports) (the reports merged), C(superseded), C(unreadable), and C(slices) (as
          given).
      type: dict
    deployments:
      description:
        - Every deployment once, sorted by name, as its report's row (see P(composeio.dbaas.backup_report_row#filter))
          with C(label) (its name, followed by its id when two deployments share the name) and C(report) (the path of
          the report it comes from).
      type: list
      elements: dict
    failed:
      description: The labels of the deployments whose row says C(failed).
      type: list
      elements: str
    duplicates:
      description: Each deployment found in two or more reports that neither supersedes, with C(label) and C(reports).
      type: list
      elements: dict
    missing:
      description: The entries of O(expected) that no row names.
      type: list
      elements: str
    missing_slices:
      description: How many reports fewer than O(slices) there are (V(0) when O(slices) is V(0)).
      type: int
    reports:
      description:
        - Each report, sorted by C(generated_at) - C(path), C(status) (V(merged), V(superseded) or V(unreadable)),
          C(generated_at), C(awx_job_id), C(awx_workflow_job_id), C(deployments), C(failed), C(check_mode), and
          C(superseded_by) or C(error) where they apply.
      type: list
      elements: dict
'''

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.composeio.dbaas.plugins.filter.backup_outcomes import deployment_labels

# A report is a small JSON file (a row per deployment); one far larger than the role writes is not read.
LIMIT = 256 << 20
COUNTED = ('ok', 'failed', 'planned')


def _key(row):
    """What makes two rows the same deployment: its id, else its name."""
    return ('id', row['deployment_id']) if row.get('deployment_id') else ('name', row.get('deployment') or row.get('host'))


def _load(path):
    """The report at path, or the reason it cannot be used."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read(LIMIT + 1)
    except OSError as exc:
        return None, exc.strerror or str(exc)
    if len(data) > LIMIT:
        return None, 'it is over %d MiB, far more than the role writes' % (LIMIT >> 20)
    try:
        report = json.loads(data.decode('utf-8'))
    except ValueError as exc:
        return None, 'it is not JSON (%s)' % exc
    if not isinstance(report, dict) or not isinstance(report.get('deployments'), list) \
            or not all(isinstance(row, dict) for row in report['deployments']):
        return None, 'it is not a report of the backup role (no list of deployments)'
    return report, None


def _describe(entry):
    job = entry.get('awx_job_id')
    return '%s%s' % (entry['path'], ' (job %s)' % job if job is not None else '')


def _merge(loaded, slices, expected):
    """loaded: [(path, report or None, error)] in input order."""
    entries = []
    for index, (path, report, error) in enumerate(loaded):
        entry = {'path': path, 'status': 'unreadable' if report is None else 'merged', 'index': index}
        if report is None:
            entry['error'] = error
        else:
            rows = report['deployments']
            entry.update(generated_at=str(report.get('generated_at') or ''), awx_job_id=report.get('awx_job_id'),
                         awx_workflow_job_id=report.get('awx_workflow_job_id'), deployments=len(rows),
                         failed=sum(1 for row in rows if row.get('outcome') == 'failed'),
                         check_mode=bool(report.get('check_mode')), rows=rows, keys=set(_key(row) for row in rows))
        entries.append(entry)
    readable = sorted((entry for entry in entries if entry['status'] == 'merged'),
                      key=lambda entry: (entry['generated_at'], entry['index']))

    # A report whose deployments a later one covers entirely: that slice was run again.
    for position, entry in enumerate(readable):
        for later in readable[position + 1:]:
            if entry['keys'] and entry['keys'] <= later['keys']:
                entry.update(status='superseded', superseded_by=later['path'])
    merged = [entry for entry in readable if entry['status'] == 'merged']

    found = {}
    for entry in merged:
        for row in entry['rows']:
            found.setdefault(_key(row), []).append((entry, row))
    keys = sorted(found, key=lambda key: (str(found[key][-1][1].get('deployment') or ''), key))
    rows = [dict(found[key][-1][1], report=found[key][-1][0]['path']) for key in keys]
    for row, label in zip(rows, deployment_labels(rows)):
        row['label'] = label
    labels = dict(zip(keys, (row['label'] for row in rows)))
    duplicates = [{'label': labels[key], 'reports': [entry['path'] for entry, _row in found[key]]}
                  for key in keys if len(found[key]) > 1]

    named = set()
    for row in rows:
        named.update(str(row[field]) for field in ('host', 'deployment', 'deployment_id') if row.get(field))
    missing = [name for name in expected if name not in named]
    missing_slices = max(0, slices - len(merged)) if slices else 0
    failed = [row['label'] for row in rows if row.get('outcome') == 'failed']

    problems = ['%s cannot be read: %s' % (entry['path'], entry['error']) for entry in entries if entry['status'] == 'unreadable']
    if missing_slices:
        problems.append('%d of %d slices have no report: a slice that stopped before its end (re-run it) or did not run'
                        % (missing_slices, slices))
    if slices and len(merged) > slices:
        problems.append('%d reports for %d slices: reports of another run are in the folder' % (len(merged), slices))
    problems += ['%s is of a check-mode run: nothing was backed up' % _describe(entry) for entry in merged if entry['check_mode']]
    problems += ['%s has %d failed deployment%s' % (_describe(entry), entry['failed'], '' if entry['failed'] == 1 else 's')
                 for entry in merged if entry['failed']]
    problems += ['%s is in %d reports: %s' % (dup['label'], len(dup['reports']), ', '.join(dup['reports'])) for dup in duplicates]
    if missing:
        verb = ' is' if len(missing) == 1 else 's are'
        problems.append('%d expected deployment%s in no report: %s' % (len(missing), verb, ', '.join(missing)))

    totals = dict((outcome, sum(1 for row in rows if row.get('outcome') == outcome)) for outcome in COUNTED)
    totals.update(deployments=len(rows), triggered=sum(1 for row in rows if row.get('action') == 'triggered'),
                  downloaded=sum(1 for row in rows if row.get('downloaded')), reports=len(merged),
                  superseded=sum(1 for entry in entries if entry['status'] == 'superseded'),
                  unreadable=sum(1 for entry in entries if entry['status'] == 'unreadable'), slices=slices)
    reports = [dict((name, value) for name, value in entry.items() if name not in ('rows', 'keys', 'index'))
               for entry in sorted(entries, key=lambda entry: (entry.get('generated_at', ''), entry['index']))]
    return {'complete': bool(merged) and not problems, 'problems': problems, 'totals': totals, 'deployments': rows,
            'failed': failed, 'duplicates': duplicates, 'missing': missing, 'missing_slices': missing_slices,
            'reports': reports}


def backup_merge_reports(paths, slices=0, expected=None):
    if isinstance(paths, (str, bytes)) or not isinstance(paths, (list, tuple)):
        raise AnsibleFilterError('backup_merge_reports: the input must be a list of report paths, got %s'
                                 % type(paths).__name__)
    try:
        slices = int(slices or 0)
    except (TypeError, ValueError):
        raise AnsibleFilterError('backup_merge_reports: slices must be a whole number, got %r' % (slices,)) from None
    if slices < 0:
        raise AnsibleFilterError('backup_merge_reports: slices must be 0 (not checked) or more, got %d' % slices)
    expected = [str(name) for name in expected or ()]
    return _merge([(str(path),) + _load(str(path)) for path in paths], slices, expected)


class FilterModule:
    def filters(self):
        return {'backup_merge_reports': backup_merge_reports}
