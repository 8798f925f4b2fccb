# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Private to this collection, may change without notice.

from __future__ import annotations


class ModuleDocFragment:

    # Paired one to one with CONNECTION_ARGS in module_utils/_module.py.
    DOCUMENTATION = r'''
options:
  api_token:
    description:
      - Compose API token (Compose console, Account, API Tokens).
      - It grants the same rights as the account that created it; it is never logged or returned.
      - If not set, the environment variable E(COMPOSEAPITOKEN) is used, then E(COMPOSE_API_TOKEN).
      - The task fails before any request when no token is found.
    type: str
  api_url:
    description:
      - Base URL of the Compose API, including the version segment.
      - If not set, the environment variable E(COMPOSE_API_URL) is used. An empty value means the default.
    type: str
    default: https://api.compose.io/2016-07
  validate_certs:
    description:
      - Whether to check the TLS certificate of O(api_url).
      - M(composeio.dbaas.compose_backup) applies it to the host of a backup's download link too (usually a public
        object store), so that both work through a TLS-intercepting proxy.
      - Only set this to V(false) against a test server; the task then warns.
      - If not set, the environment variable E(COMPOSE_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to check the API's certificate against, instead of the system store.
      - M(composeio.dbaas.compose_backup) checks the certificate of a backup's download host against it too, so it
        must also hold the CA that signed that host's certificate (a public CA for a public object store, or the
        CA of a TLS-intercepting proxy).
      - If not set, the environment variable E(COMPOSE_CA_PATH) is used.
    type: path
  request_timeout:
    description:
      - Seconds to wait to connect to the API and for each answer.
      - Also bounds the pace of every body, API answer or download, since a server may send each byte within the
        timeout and still never finish; 64 KiB, or the rest of the body, must arrive in every I(request_timeout)
        seconds. An API answer (under 64 KiB) must so be complete I(request_timeout) seconds after its headers; a
        slower one is retried like a timeout. A slower download resumes where it stopped, as another attempt.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a failed read is retried (HTTP 408, 429, 500, 502, 503, 504 and network errors), with
        exponential backoff and jitter, honouring C(Retry-After).
      - A request that changes something is only re-sent when the failure proves it was not acted upon.
        After any other failure of such a request (no answer within O(request_timeout), a connection broken
        after it was sent, a 5xx or an unreadable answer), the task looks for what it may have started (a new
        backup recipe, or a deployment of the requested name) at once, then after 1, 2, 4 and 8 seconds and every
        10 seconds, until O(request_timeout) plus 30 seconds have passed (the settle time, 60 seconds by default).
        It sends the request once more only when nothing appeared, and otherwise fails saying that it may have been
        acted upon all the same.
    type: int
    default: 5
requirements:
  - requests
notes:
  - All API calls run where the module runs; use C(delegate_to=localhost) to run them on the controller.
  - Requests, to the API and to download links, go through the proxy named by the environment variable
    E(HTTPS_PROXY) or E(HTTP_PROXY) (by the URL's scheme), else E(ALL_PROXY), except to the hosts listed in
    E(NO_PROXY); the lower-case names work too (on macOS, when none is set, the system's proxy settings).
  - With O(validate_certs=true) and no O(ca_path), E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE), when set, replaces
    the system's CA store. No other environment variable of the C(requests) library is used.
  - C(~/.netrc) (or the file E(NETRC) names) is never read. The API gets the token and nothing else; the host of a
    download link gets no credentials beyond what the link itself carries.
'''

    # The same connection options for the inventory plugin, which reads them through Ansible's configuration (hence
    # env); the plugin checks them with the modules' build_client in module_utils/_module.py.
    PLUGIN = r'''
options:
  api_token:
    description:
      - Compose API token (Compose console, Account, API Tokens). It is never logged or cached.
      - If not set, the environment variable E(COMPOSEAPITOKEN) is used, then E(COMPOSE_API_TOKEN), as the modules
        do. AWX's credential type in C(extensions/awx/credential-type.yml) injects E(COMPOSEAPITOKEN).
    type: str
    env:
      - name: COMPOSEAPITOKEN
      - name: COMPOSE_API_TOKEN
  api_url:
    description: Base URL of the Compose API, including the version segment.
    type: str
    default: https://api.compose.io/2016-07
    env:
      - name: COMPOSE_API_URL
  validate_certs:
    description:
      - Whether to check the TLS certificate of O(api_url). Only set this to V(false) against a test server.
    type: bool
    default: true
    env:
      - name: COMPOSE_VALIDATE_CERTS
  ca_path:
    description: A PEM file of CA certificates to check the API's certificate against, instead of the system store.
    type: path
    env:
      - name: COMPOSE_CA_PATH
  request_timeout:
    description: Seconds to wait to connect to the API and for each answer.
    type: float
    default: 30
  api_retries:
    description: How many times a failed read is retried, with exponential backoff, honouring C(Retry-After).
    type: int
    default: 5
requirements:
  - requests
notes:
  - Requests go through the proxy named by the environment variable E(HTTPS_PROXY) or E(HTTP_PROXY) (by the scheme
    of O(api_url)), else E(ALL_PROXY), unless E(NO_PROXY) lists the API's host; the lower-case names work too (on
    macOS, when none is set, the system's proxy settings).
  - With O(validate_certs=true) and no O(ca_path), E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE), when set, replaces
    the system's CA store.
  - C(~/.netrc) (or the file E(NETRC) names) is never read; the API gets the token and nothing else.
'''
