"""hacking/stderr_check.py judges real ansible-doc runs: a deprecation of this collection fails, a third-party one
is reported and passes. Both sides come from a real ansible-doc process, as build-check runs it."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, 'hacking', 'stderr_check.py')
ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
DEPRECATION = """
plugin_routing:
  modules:
    compose_backup_info:
      deprecation:
        removal_version: 2.0.0
        warning_text: Planted by a test.
"""
# A package that is not the collection and warns when it is imported, as cryptography 51 does under ansible-core.
THIRD_PARTY = "import warnings\nwarnings.warn('planted third-party deprecation', DeprecationWarning)\n"


@pytest.fixture
def collection(tmp_path):
    """A copy of the collection's plugins and metadata, as a collections path."""
    dest = tmp_path / 'collections' / 'ansible_collections' / 'composeio' / 'dbaas'
    for name in ('plugins', 'meta', 'roles'):
        shutil.copytree(os.path.join(ROOT, name), dest / name)
    shutil.copy(os.path.join(ROOT, 'galaxy.yml'), dest)
    return tmp_path / 'collections', dest


def ansible_doc(collections, tmp_path, **env):
    environ = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_HOME=str(tmp_path / 'home'), **env)
    done = subprocess.run([ANSIBLE_DOC, '-t', 'module', 'composeio.dbaas.compose_backup_info'],
                          capture_output=True, text=True, env=environ, check=False)
    assert done.returncode == 0, done.stderr
    err = tmp_path / 'stderr.txt'
    err.write_text(done.stderr)
    return err


def check(err):
    return subprocess.run([sys.executable, CHECK, 'ansible-doc', str(err)], capture_output=True, text=True, check=False)


def test_a_deprecation_of_the_collection_fails(collection, tmp_path):
    collections, dest = collection
    with open(dest / 'meta' / 'runtime.yml', 'a') as handle:
        handle.write(DEPRECATION)
    err = ansible_doc(collections, tmp_path)
    assert 'Planted by a test' in err.read_text()
    judged = check(err)
    assert judged.returncode == 1
    assert 'FAILS' in judged.stderr and 'composeio.dbaas.compose_backup_info has been deprecated' in judged.stderr


def test_a_third_party_warning_is_reported_and_passes(collection, tmp_path):
    collections = collection[0]
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'noisy_dependency.py').write_text(THIRD_PARTY)
    (site / 'sitecustomize.py').write_text('import noisy_dependency\n')
    err = ansible_doc(collections, tmp_path, PYTHONPATH=str(site), PYTHONWARNINGS='default')
    assert 'planted third-party deprecation' in err.read_text()
    judged = check(err)
    assert judged.returncode == 0, judged.stderr
    assert 'reported, not failing' in judged.stdout and 'noisy_dependency.py' in judged.stdout


def test_anything_else_on_stderr_fails(tmp_path):
    err = tmp_path / 'stderr.txt'
    err.write_text('ERROR! the module could not be found\n')
    assert check(err).returncode == 1
