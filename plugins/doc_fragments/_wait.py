# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Private to this collection, may change without notice.

from __future__ import annotations


class ModuleDocFragment:

    # Paired one to one with WAIT_ARGS in module_utils/_options.py.
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait for the recipe that does the work to complete.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the recipe to complete. On timeout the task fails with the recipe id and
        C(changed=true) if it started the work; the work goes on, and a re-run picks it up.
    type: int
    default: 3600
  poll_interval:
    description:
      - Shortest delay between two looks at the recipe, in seconds. Each delay is a tenth of the time the recipe
        has been running, at least O(poll_interval) and at most O(poll_max_interval), so completion is seen within
        the larger of O(poll_interval) and a tenth of the recipe's duration. C(Retry-After) from the API is
        honoured.
      - For a backup, when the deployment's recent backups (its last five complete backup recipes) say how long
        one takes, the looks before 80 % of the shortest of those durations are O(poll_max_interval) apart. A backup
        that completes earlier than that is seen within O(poll_max_interval).
    type: float
    default: 2
  poll_max_interval:
    description:
      - Longest delay between two looks at the recipe.
      - The default of 60 seconds keeps completion seen within a tenth of the duration for recipes up to 10 minutes
        and at most a minute late for longer ones.
    type: float
    default: 60
  settle_time:
    description:
      - After a start or restore request whose outcome is unknown (a timeout, a dropped connection, a server error),
        seconds to keep looking for the backup or deployment it may have started before sending it once more.
      - Defaults to O(request_timeout) plus 30 seconds; a server that answered too late may act about as late, and
        the API's lists can lag behind. V(0) looks once.
    type: float
'''
