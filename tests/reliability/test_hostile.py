# -*- coding: utf-8 -*-
# Copyright (c) composeio.dbaas contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile or broken servers: hostile ids and names, foreign link schemes, redirects to other hosts, oversized
and deeply nested JSON, and TLS with a CA of the test's own (made at test time, never committed)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl

import pytest

from ansible_collections.composeio.dbaas.tests.reliability import harness

FIZZ = '5854017e89d50f424e000192'
TOKEN = harness.TOKEN
HOSTILE = {
    'parent folders': '../../../../../../tmp/escaped',
    'absolute path': '/etc/cron.d/compose',
    'NUL byte': 'abc\u0000def/../../x',
    '10,000 characters': '../' * 3333 + 'x',
    'dot segments': '..',
}


def _files(folder):
    return sorted(os.path.relpath(os.path.join(base, name), str(folder))
                  for base, _dirs, names in os.walk(str(folder)) for name in names)


def _clean(run):
    leaked = TOKEN in run.output
    assert not leaked, 'the API token appears in the output'
    assert 'Traceback' not in run.output and not run.result.get('unparsed'), 'not a clean module result'


@pytest.mark.parametrize('value', list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_backup_ids_and_names_stay_in_dest(value, sim, module, workdir):
    sim.control.add_backup(deployment_id=FIZZ, id=value, name=value, age=5)
    dest = workdir / 'dest'
    dest.mkdir()
    run = module('compose_backup', dict(deployment_id=FIZZ, max_age='1h', dest=str(dest) + '/'))
    _clean(run)
    if value == '..':
        # No URL can name it: HTTP clients resolve the segment, even percent-encoded. Refused, nothing written.
        assert run.failed and "refusing '..' as a path segment" in run.msg
        assert _files(workdir) == []
        return
    assert not run.failed, run.msg
    assert run.result['backup']['id'] == value and run.result['action'] == 'reused'
    path = run.result['dest']
    assert os.path.dirname(path) == str(dest) and len(os.path.basename(path)) < 200
    assert _files(workdir) == sorted(['dest/' + os.path.basename(path), 'dest/' + os.path.basename(path) + '.sha256'])
    assert harness.sha256_file(path) == sim.control.backup_file(value)['sha256'] and harness.sidecar_valid(path)
    assert not os.path.exists('/tmp/escaped') and not os.path.exists('/etc/cron.d/compose')


def test_hostile_deployment_name_stays_in_dest(sim, module, workdir):
    name = '../../' * 20 + 'etc/' + 'y' * 300
    sim.control.add_deployment(name=name, type='redis')
    dest = workdir / 'dest'
    dest.mkdir()
    run = module('compose_backup', dict(deployment_name=name, max_age='2d', dest=str(dest) + '/'))
    _clean(run)
    assert not run.failed, run.msg
    assert os.path.dirname(run.result['dest']) == str(dest) and len(_files(workdir)) == 2


@pytest.mark.parametrize('scheme', ['file', 'ftp', 'gopher'])
def test_a_download_link_of_another_scheme_is_refused(scheme, sim, module, workdir):
    sim.control.patch_deployment(FIZZ, link_scheme=scheme)
    sim.control.clear_requests()
    run = module('compose_backup', dict(deployment_id=FIZZ, max_age='2d', dest=str(workdir) + '/'))
    _clean(run)
    assert run.failed and "refusing a download link with scheme '%s'" % scheme in run.msg
    assert os.listdir(str(workdir)) == []
    assert not [r for r in sim.control.requests() if r['path'].startswith('/_download/')]


def test_a_download_redirected_to_another_host_works_without_the_token(sim, module, workdir):
    sim.control.patch_deployment(FIZZ, link_host='localhost')
    sim.control.clear_requests()
    run = module('compose_backup', dict(deployment_id=FIZZ, max_age='2d', dest=str(workdir) + '/'))
    _clean(run)
    assert not run.failed, run.msg
    downloads = [r for r in sim.control.requests() if r['path'].startswith('/_download/')]
    assert downloads and all(r['auth'] == 'none' for r in downloads)


def test_an_api_redirect_to_another_host_never_carries_the_token(sim, module, workdir):
    port = sim.api_url.split(':')[2].split('/')[0]
    sim.control.fault(method='GET', path='^/2016-07/deployments$', status=307,
                      location='http://localhost:%s/2016-07/deployments' % port)
    sim.control.clear_requests()
    run = module('compose_deployment_info', {})
    _clean(run)
    log = sim.control.requests()
    assert [r['auth'] for r in log] == ['ok', 'none'], 'the redirected request carried the Authorization header'
    assert run.failed and '401 Unauthorized' in run.msg


@pytest.mark.parametrize('body, words', [('huge_json', 'larger than 16 MiB'), ('deep_json', 'nested too deeply')])
def test_oversized_or_deeply_nested_json_is_refused_cleanly(body, words, sim, module):
    sim.control.fault(method='GET', path='^/2016-07/deployments$', body=body, times=0)
    sim.control.clear_requests()
    run = module('compose_deployment_info', dict(api_retries=1))
    _clean(run)
    assert run.failed and words in run.msg and 'GET /deployments' in run.msg
    # Refused and retried once at most (api_retries=1), never read on and on.
    assert len(sim.control.requests()) <= 2


# -- TLS ----------------------------------------------------------------------------------------------------


def _certificates(folder):
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def make(subject, issuer, key, signer, ca, names=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'composeio.dbaas reliability test CA')])
    ca = make(ca_name, ca_name, ca_key, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = make(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')]), ca_name, key, ca_key, False,
                  [x509.IPAddress(ipaddress.ip_address('127.0.0.1')), x509.DNSName('localhost')])
    pem = serialization.Encoding.PEM
    paths = dict(ca=folder / 'ca.pem', cert=folder / 'server.pem', key=folder / 'server.key')
    paths['ca'].write_bytes(ca.public_bytes(pem))
    paths['cert'].write_bytes(server.public_bytes(pem))
    paths['key'].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture(scope='module')
def tls_sim(tmp_path_factory):
    folder = tmp_path_factory.mktemp('tls')
    paths = _certificates(folder)
    context = ssl.create_default_context(cafile=str(paths['ca']))
    sim = harness.Simulator(TOKEN, ['--tls-cert', str(paths['cert']), '--tls-key', str(paths['key'])], context=context)
    sim.ca = str(paths['ca'])
    yield sim
    sim.stop()


def _tls_run(tls_sim, workdir, **extra):
    tls_sim.control.reset()
    args = dict(api_url=tls_sim.api_url, api_token=TOKEN, deployment_id=FIZZ, max_age='2d', dest=str(workdir) + '/')
    args.update(extra)
    return harness.run_module('compose_backup', args, workdir)


def test_tls_unknown_ca_fails_clearly_and_at_once(tls_sim, workdir):
    assert tls_sim.api_url.startswith('https://')
    run = _tls_run(tls_sim, workdir, api_retries=5)
    _clean(run)
    assert run.failed and 'TLS error' in run.msg and 'CERTIFICATE_VERIFY_FAILED' in run.msg and 'ca_path' in run.msg
    # Five retries would sleep at least 15.5 s (half of each backoff ceiling: 0.5 + 1 + 2 + 4 + 8); the module's own
    # elapsed time, not the wall time of a run on a loaded machine, tells whether it slept them.
    assert run.result['elapsed'] < 15.5, 'a certificate failure was retried'
    assert [name for name in os.listdir(str(workdir)) if not name.startswith('.')] == []


def test_tls_ca_path_makes_it_work(tls_sim, workdir):
    run = _tls_run(tls_sim, workdir, ca_path=tls_sim.ca)
    _clean(run)
    assert not run.failed, run.msg
    assert harness.sidecar_valid(run.result['dest']) and not run.result.get('warnings')


def test_tls_without_validation_works_with_a_warning(tls_sim, workdir):
    run = _tls_run(tls_sim, workdir, validate_certs=False)
    _clean(run)
    assert not run.failed, run.msg
    assert harness.sidecar_valid(run.result['dest'])
    # ansible-core 2.19 returns warnings as structured summaries, older cores as strings.
    assert 'validate_certs is false' in json.dumps(run.result.get('warnings', []))


# -- answers of the wrong shape: a clean failure naming the request and the field, nothing changed ------------------

OTHER = 'abcdefabcdefabcdefabcdef'
DEPS = '^/2016-07/deployments$'
BACKUP_LIST = '^/2016-07/deployments/%s/backups$' % FIZZ
BACKUP_DETAIL = '^/2016-07/deployments/%s/backups/%s$' % (FIZZ, OTHER)
SIGNED = 'objects.example/fizz.tar.gz?signature=s3cr3tsig'
DOWNLOAD = dict(deployment_id=FIZZ, backup_id=OTHER, dest='<dest>/')
# (module, args, fault path, crafted body, what the message must contain)
SHAPES = {
    'deployments without _embedded': ('compose_deployment_info', {}, DEPS, {'deployments': []},
                                      'GET /deployments failed: unexpected response: no _embedded.deployments list'),
    'deployments not a list': ('compose_backup', dict(deployment_name='fizz-production'), DEPS,
                               {'_embedded': {'deployments': {'id': FIZZ}}}, 'no _embedded.deployments list (an object)'),
    'deployment without id': ('compose_backup', dict(deployment_name='fizz-production'), DEPS,
                              {'_embedded': {'deployments': [{'name': 'fizz-production'}]}},
                              "_embedded.deployments[0] has no usable 'id' (missing)"),
    'restore: deployments without _embedded': ('compose_backup_restore',
                                               dict(deployment_name='fizz-production', name='fizz-copy',
                                                    datacenter='aws:us-east-1'), DEPS, {},
                                               'no _embedded.deployments list (missing)'),
    'deployment detail a list': ('compose_backup', dict(deployment_id=FIZZ), '^/2016-07/deployments/%s$' % FIZZ,
                                 [FIZZ], 'GET /deployments/%s failed: unexpected response: the response body is a list'
                                 % FIZZ),
    'backups not a list': ('compose_backup_info', dict(deployment_id=FIZZ), BACKUP_LIST,
                           {'_embedded': {'backups': 'none'}}, 'no _embedded.backups list (a string)'),
    'backup without id': ('compose_backup', dict(deployment_id=FIZZ, max_age='2d'), BACKUP_LIST,
                          {'_embedded': {'backups': [{'type': 'daily', 'status': 'complete'}]}},
                          "_embedded.backups[0] has no usable 'id' (missing)"),
    'created_at not a string': ('compose_backup_info', dict(deployment_id=FIZZ), BACKUP_LIST,
                                {'_embedded': {'backups': [{'id': OTHER, 'created_at': 1519846802}]}},
                                "'created_at' that is a number, not a string"),
    'backup detail without id': ('compose_backup', DOWNLOAD, BACKUP_DETAIL, {'is_downloadable': True},
                                 "GET /deployments/%s/backups/%s failed: unexpected response: the response body has no "
                                 "usable 'id'" % (FIZZ, OTHER)),
    'download link not a URL': ('compose_backup', DOWNLOAD, BACKUP_DETAIL,
                                {'id': OTHER, 'is_downloadable': True, 'download_link': SIGNED},
                                "the 'download_link' is not an absolute URL"),
    'download link a number': ('compose_backup', DOWNLOAD, BACKUP_DETAIL,
                               {'id': OTHER, 'is_downloadable': True, 'download_link': 42},
                               "the 'download_link' is a number, not a string"),
    'recipes not a list': ('compose_backup', dict(deployment_id=FIZZ), '^/2016-07/deployments/%s/recipes$' % FIZZ,
                           {'_embedded': {'recipes': None}}, 'no _embedded.recipes list (missing)'),
    'recipe without status': ('compose_backup', dict(deployment_id=FIZZ, recipe_id=OTHER), '^/2016-07/recipes/',
                              {'id': OTHER}, "GET /recipes/%s failed: unexpected response: the response body has no "
                              "usable 'status'" % OTHER),
}


@pytest.mark.parametrize('name, args, path, body, words', list(SHAPES.values()), ids=list(SHAPES))
def test_an_answer_of_the_wrong_shape_fails_cleanly_naming_the_field(name, args, path, body, words, sim, module,
                                                                     workdir):
    (workdir / 'dest').mkdir()
    args = dict((key, value.replace('<dest>', str(workdir / 'dest')) if isinstance(value, str) else value)
                for key, value in args.items())
    sim.control.fault(method='GET', path=path, status=200, body_json=body, times=0)
    sim.control.clear_requests()
    run = module(name, args)
    _clean(run)
    assert run.failed and words in run.msg, run.msg
    assert 's3cr3tsig' not in run.output
    assert not [r for r in sim.control.requests() if r['method'] != 'GET'], 'a changing request was sent'
    assert os.listdir(str(workdir / 'dest')) == []


def test_a_200_that_is_not_json_fails_cleanly(sim, module):
    sim.control.fault(method='GET', path=DEPS, body='html', times=0)
    run = module('compose_deployment_info', dict(api_retries=0))
    _clean(run)
    assert run.failed and 'GET /deployments failed: 200 OK: invalid JSON in the response body' in run.msg


def test_a_backup_post_the_server_acts_on_late_starts_one_backup(sim, module):
    # The server answers nothing within request_timeout (2 s) and starts the backup 4 s after the POST, after the
    # client gave up: the client looks until the settle time (32 s) has passed, finds it and sends nothing more.
    sim.control.fault(method='POST', path='^/2016-07/deployments/%s/backups$' % FIZZ, delay=4)
    before = len(harness.backup_recipes(sim.control.state(), FIZZ))
    sim.control.clear_requests()
    run = module('compose_backup', dict(deployment_id=FIZZ, force=True, wait=False, request_timeout=2))
    _clean(run)
    assert not run.failed, run.msg
    assert len(harness.requests_for(sim.control.requests(), 'POST', '/backups$')) == 1, 'the POST was sent again'
    started = harness.backup_recipes(sim.control.state(), FIZZ)
    assert len(started) == before + 1 and run.result['recipe']['id'] in [r['id'] for r in started]
