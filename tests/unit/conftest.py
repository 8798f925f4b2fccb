"""The unit tests' setup: Ansible's collection loader. No unit test needs a simulator (HTTP is mocked with
`responses`); the tests that talk to a simulator subprocess live in tests/simulator/tests and tests/e2e."""

from __future__ import annotations

from ansible.plugins.loader import init_plugin_loader

# Ansible's collection loader, installed before any test imports the collection, as the ansible commands do:
# without it ansible_collections is a plain namespace package and the plugin loader cannot find composeio.dbaas's
# plugins (the inventory plugin tests load it through InventoryManager).
init_plugin_loader()
