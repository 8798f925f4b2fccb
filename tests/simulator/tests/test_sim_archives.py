"""Archive content and archive damage: dump-like archives, and damaged ones served the same on every download."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zlib

import pytest

DEP = 'archive-lab'
SIZE = 262144
# What reading a damaged .tar.gz to its end raises, from gzip, zlib or tarfile.
DAMAGED = (EOFError, OSError, zlib.error, tarfile.TarError)


def _add(sim, **entry):
    dep = sim.control.add_deployment(name=DEP, type='postgresql', backup_size=SIZE, on_demand=False,
                                     history={'daily': 1, 'weekly': 0, 'monthly': 0}, **entry)
    backup = sim.get(f'/deployments/{dep["id"]}/backups').json()['_embedded']['backups'][0]
    return dep['id'], backup['id']


def _download(sim, dep_id, backup_id, headers=None):
    link = sim.get(f'/deployments/{dep_id}/backups/{backup_id}').json()['download_link']
    result = sim.get(link, token=None, headers=headers)
    assert result.status in (200, 206), result.body[:200]
    assert int(result.headers['Content-Length']) == len(result.body), 'the length matches what is served'
    return result


def _read_all(data):
    """Every member's bytes, read as `tar xzf` would: the whole gzip stream (CRC included), then the tar; raises on
    damage. (tarfile's own r:gz stops at the tar's end and never checks the gzip CRC.)"""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode='r:') as archive:
        for member in archive:
            out[member.name] = archive.extractfile(member).read()
    return out


def _clean(sim, dep_id, backup_id):
    """The undamaged archive of the same backup: the damage switched off, downloaded, the damage put back."""
    damage = next(d for d in sim.control.state()['deployments'] if d['id'] == dep_id)['archive_damage']
    sim.control.patch_deployment(dep_id, archive_damage=None)
    body = _download(sim, dep_id, backup_id).body
    sim.control.patch_deployment(dep_id, archive_damage=damage)
    return body


def test_dump_archives_are_sql_text_at_gzip_level_6_near_the_size(sim):
    dep_id, backup_id = _add(sim, archive_content='dump')
    body = _download(sim, dep_id, backup_id).body
    members = _read_all(body)
    assert [name.rsplit('/', 1)[1] for name in members] == ['schema.sql', 'data.sql']
    data = next(value for name, value in members.items() if name.endswith('data.sql'))
    assert data.startswith(b'--\n') and b'\nCOPY public.events (' in data and data.endswith(b'\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n')
    assert b'CREATE TABLE public.events' in next(iter(members.values()))
    ratio = sum(len(value) for value in members.values()) / len(body)
    assert 4 < ratio < 8, f'compresses {ratio:.1f}x, not like a database dump'
    assert SIZE * 0.98 < len(body) <= SIZE, 'about the deployment backup_size'
    assert body[3] == 0 and body[8] != 4, 'a gzip stream at the default level, not level 1 or 0'
    assert gzip.decompress(body)[:100] == zlib.decompress(body, 31)[:100]
    reported = sim.control.backup_file(backup_id)
    assert reported['sha256'] == hashlib.sha256(body).hexdigest() and reported['size'] == len(body)
    assert _download(sim, dep_id, backup_id).body == body, 'a pure function of the backup and the size'


def test_dump_archives_of_other_backups_and_sizes_differ(sim):
    dep_id, backup_id = _add(sim, archive_content='dump')
    first = _download(sim, dep_id, backup_id).body
    sim.control.patch_deployment(dep_id, backup_size=2 * SIZE)
    bigger = _download(sim, dep_id, backup_id).body
    assert 2 * SIZE * 0.98 < len(bigger) <= 2 * SIZE and bigger != first
    _read_all(bigger)
    sim.control.patch_deployment(dep_id, archive_content='random')
    plain = _download(sim, dep_id, backup_id).body
    assert len(gzip.decompress(plain)) > len(plain) * 0.99, 'random content does not compress'


@pytest.mark.parametrize('content', ['random', 'dump'])
def test_corrupt_archive_has_the_right_length_and_bad_bytes_on_every_download(sim, content):
    dep_id, backup_id = _add(sim, archive_content=content, archive_damage='corrupt')
    body = _download(sim, dep_id, backup_id).body
    clean = _clean(sim, dep_id, backup_id)
    assert len(body) == len(clean)
    changed = [index for index in range(len(body)) if body[index] != clean[index]]
    assert len(changed) == 16 and changed[0] == len(body) // 2 and changed[-1] == changed[0] + 15, \
        'bytes changed in the middle of the compressed data'
    assert _download(sim, dep_id, backup_id).body == body, 'a new download serves the same damage'
    resumed = _download(sim, dep_id, backup_id, headers={'Range': f'bytes={len(body) // 3}-'}).body
    assert body[:len(body) // 3] + resumed == body, 'a resumed download gets the same damage'
    reported = sim.control.backup_file(backup_id)
    served = hashlib.sha256(body).hexdigest()
    assert reported['sha256'] == served and reported['size'] == len(body), 'the checksum of the bytes served'
    assert _download(sim, dep_id, backup_id).headers['ETag'] == f'"{served}"'
    _read_all(clean)
    with pytest.raises(DAMAGED):
        _read_all(body)


@pytest.mark.parametrize('content', ['random', 'dump'])
def test_short_archive_is_cut_inside_a_member_with_a_matching_length(sim, content):
    dep_id, backup_id = _add(sim, archive_content=content, archive_damage='short')
    result = _download(sim, dep_id, backup_id)
    body = result.body
    clean = _clean(sim, dep_id, backup_id)
    assert len(body) == len(clean) // 2 and clean.startswith(body), 'the first half of the good archive'
    assert sim.control.backup_file(backup_id) == dict(sim.control.backup_file(backup_id), size=len(body),
                                                      sha256=hashlib.sha256(body).hexdigest())
    inflate = zlib.decompressobj(31)
    tar = inflate.decompress(body)
    assert not inflate.eof, 'the gzip stream ends early'
    # Inside the last member's data: its header is there, its data runs past what is served.
    with tarfile.open(fileobj=io.BytesIO(tar), mode='r:') as archive:
        with pytest.raises(tarfile.ReadError):
            for member in archive:
                archive.extractfile(member).read()
    assert b'/data.' in tar[:4096] and len(tar) > 4096
    with pytest.raises(DAMAGED):
        _read_all(body)
    assert _download(sim, dep_id, backup_id).body == body


@pytest.mark.parametrize('content', ['random', 'dump'])
def test_short_tar_is_a_whole_gzip_stream_of_a_tar_cut_inside_a_member(sim, content):
    dep_id, backup_id = _add(sim, archive_content=content, archive_damage='short_tar')
    body = _download(sim, dep_id, backup_id).body
    clean = gzip.decompress(_clean(sim, dep_id, backup_id))
    tar = gzip.decompress(body)
    assert tar == clean[:len(clean) // 2], 'a valid gzip stream of the first half of the tar'
    assert sim.control.backup_file(backup_id)['sha256'] == hashlib.sha256(body).hexdigest()
    with pytest.raises(tarfile.ReadError):
        _read_all(body)


def test_archive_content_and_damage_are_checked(sim):
    for entry in ({'archive_content': 'text'}, {'archive_damage': 'broken'}, {'archive_damage': True}):
        with pytest.raises(Exception) as caught:
            sim.control.add_deployment(name='bad-archive', type='redis', **entry)
        assert caught.value.status == 400 and list(entry)[0] in caught.value.body, entry
    dep_id = sim.control.deployment_id('fizz-production')
    for change in ({'archive_content': None}, {'archive_content': 'text'}, {'archive_damage': 'cut'}):
        with pytest.raises(Exception) as caught:
            sim.control.patch_deployment(dep_id, **change)
        assert caught.value.status == 400 and list(change)[0] in caught.value.body, change
    state = next(d for d in sim.control.state()['deployments'] if d['id'] == dep_id)
    assert (state['archive_content'], state['archive_damage']) == ('random', None)
    patched = sim.control.patch_deployment(dep_id, archive_content='dump', archive_damage='short')
    assert (patched['archive_content'], patched['archive_damage']) == ('dump', 'short')
