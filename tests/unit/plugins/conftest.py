# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Install Ansible's collection loader before any test imports the collection, as the ansible commands do.

Without it ansible_collections is a plain namespace package, and the plugin loader cannot find
composeio.dbaas's plugins (the inventory plugin tests load it through InventoryManager).
"""

from __future__ import annotations

from ansible.plugins.loader import init_plugin_loader

init_plugin_loader()
