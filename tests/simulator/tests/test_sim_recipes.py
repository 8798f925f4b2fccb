"""Recipe progress (by polls and by simulated seconds), failures and the on-demand backup they produce."""

from __future__ import annotations

import datetime
import time

FIZZ = '5854017e89d50f424e000192'


def _on_demand(sim, dep=FIZZ):
    return [b for b in sim.get(f'/deployments/{dep}/backups').json()['_embedded']['backups'] if b['type'] == 'on_demand']


def _poll(sim, recipe_id):
    result = sim.get(f'/recipes/{recipe_id}')
    assert result.status == 200
    return result.json()


def _wait_terminal(sim, recipe_id, limit=5.0):
    """Poll until complete/failed, bounded by wall time (no timing assertion: only a safety net)."""
    deadline = time.monotonic() + limit
    while True:
        recipe = _poll(sim, recipe_id)
        if recipe['status'] in ('complete', 'failed'):
            return recipe
        assert time.monotonic() < deadline, f'recipe still {recipe["status"]}'
        time.sleep(0.01)


def test_recipe_completes_on_the_second_poll_by_default(sim):
    before = _on_demand(sim)
    recipe = sim.post(f'/deployments/{FIZZ}/backups').json()
    assert _on_demand(sim) == before, 'an in-progress backup is not listed'
    first = _poll(sim, recipe['id'])
    assert first['status'] == 'running' and 0 < first['operations_complete'] < 3
    second = _poll(sim, recipe['id'])
    assert second['status'] == 'complete' and second['operations_complete'] == 3
    assert second['updated_at'] >= second['created_at']
    after = _on_demand(sim)
    assert len(after) == 1 and after[0]['id'] != before[0]['id'], 'exactly one on_demand, the new one'
    assert after[0]['created_at'] == second['updated_at']
    assert after[0]['name'] == 'fizz-production_' + recipe['created_at'][:19] + 'Z'
    assert sim.get(f'/deployments/{FIZZ}/backups/{before[0]["id"]}').status == 404, 'the old one is gone'
    assert _poll(sim, recipe['id'])['status'] == 'complete', 'terminal states stay'


def test_recipe_polls_setting_and_waiting(sim):
    sim.control.config(recipe_polls=3, recipe_waiting=True)
    recipe_id = sim.post(f'/deployments/{FIZZ}/backups').json()['id']
    assert [_poll(sim, recipe_id)['status'] for _attempt in range(3)] == ['waiting', 'running', 'complete']
    sim.control.config(recipe_polls=0)
    recipe = sim.post(f'/deployments/{FIZZ}/backups').json()
    assert recipe['status'] == 'complete', 'recipe_polls 0 completes on creation'
    assert _on_demand(sim)[0]['created_at'] == recipe['updated_at']


def test_recipe_progress_by_simulated_seconds_is_seen_everywhere(sim):
    # 60 simulated seconds at 6000x: about 10 ms of real time.
    sim.control.config(recipe_seconds=60, time_scale=6000)
    recipe = sim.post(f'/deployments/{FIZZ}/backups').json()
    assert recipe['status'] == 'running'
    deadline = time.monotonic() + 5
    while not any(b['created_at'] >= recipe['created_at'] for b in _on_demand(sim)):
        assert time.monotonic() < deadline, 'the backup list never showed the new backup'
        time.sleep(0.01)
    recipes = sim.get(f'/deployments/{FIZZ}/recipes').json()['_embedded']['recipes']
    done = next(r for r in recipes if r['id'] == recipe['id'])
    assert done['status'] == 'complete' and done['operations_complete'] == 3
    assert _on_demand(sim)[0]['created_at'] == done['updated_at']


def test_seconds_mode_does_not_complete_early(sim):
    sim.control.config(recipe_seconds=3600, recipe_waiting=True)
    recipe_id = sim.post(f'/deployments/{FIZZ}/backups').json()['id']
    for _attempt in range(5):
        assert _poll(sim, recipe_id)['status'] in ('waiting', 'running')
    sim.control.set_recipe(recipe_id, 'complete')
    assert _poll(sim, recipe_id)['status'] == 'complete'
    assert len(_on_demand(sim)) == 1


def test_time_scale_moves_the_simulated_clock(sim):
    sim.control.config(time_scale=1000000)
    first = sim.post(f'/deployments/{FIZZ}/backups').json()['created_at']
    time.sleep(0.01)
    second = sim.post(f'/deployments/{FIZZ}/backups').json()['created_at']
    assert second[:16] != first[:16], 'over a simulated hour apart'


def test_failed_recipe_has_detail_and_makes_no_backup(sim):
    before = _on_demand(sim)
    sim.control.patch_deployment(FIZZ, fail_next_recipe='Backup failed: disk full')
    recipe = _wait_terminal(sim, sim.post(f'/deployments/{FIZZ}/backups').json()['id'])
    assert recipe['status'] == 'failed' and recipe['status_detail'] == 'Backup failed: disk full'
    assert recipe['operations_complete'] < recipe['operations_total']
    assert _on_demand(sim) == before
    assert _wait_terminal(sim, sim.post(f'/deployments/{FIZZ}/backups').json()['id'])['status'] == 'complete', 'one-shot'


def test_never_appear_completes_without_a_backup(sim):
    before = _on_demand(sim)
    sim.control.patch_deployment(FIZZ, never_appear=True)
    assert _wait_terminal(sim, sim.post(f'/deployments/{FIZZ}/backups').json()['id'])['status'] == 'complete'
    assert _on_demand(sim) == before, 'the previous on_demand backup stays, nothing new'
    _wait_terminal(sim, sim.post(f'/deployments/{FIZZ}/backups').json()['id'])
    assert _on_demand(sim) != before


def test_concurrent_backups_leave_one_on_demand(sim):
    first = sim.post(f'/deployments/{FIZZ}/backups').json()['id']
    second = sim.post(f'/deployments/{FIZZ}/backups').json()['id']
    assert first != second
    _wait_terminal(sim, second)
    _wait_terminal(sim, first)
    assert len(_on_demand(sim)) == 1


def test_forced_recipe_states(sim):
    recipe_id = sim.post(f'/deployments/{FIZZ}/backups').json()['id']
    sim.control.set_recipe(recipe_id, 'waiting', 'held by the test')
    for _attempt in range(4):
        recipe = _poll(sim, recipe_id)
        assert (recipe['status'], recipe['status_detail']) == ('waiting', 'held by the test'), 'a forced state is pinned'
    sim.control.set_recipe(recipe_id, 'failed', 'forced failure')
    assert _poll(sim, recipe_id)['status_detail'] == 'forced failure'
    state = sim.control.state()
    assert next(r for r in state['recipes'] if r['id'] == recipe_id)['pinned'] is True


def test_seeded_backup_recipes_are_listed_complete_with_their_durations(sim):
    added = sim.control.add_deployment(name='nightly', type='postgresql', backup_recipes=[600, 650.5])
    listed = sim.get(f'/deployments/{added["id"]}/recipes').json()['_embedded']['recipes']
    backups = [r for r in listed if r['name'] == 'Backup']
    assert [r['status'] for r in backups] == ['complete', 'complete']
    assert all(r['template'] == 'Recipes::Deployment::Backup' and r['operations_complete'] == 3 for r in backups)
    spans = sorted(_seconds(r['updated_at']) - _seconds(r['created_at']) for r in backups)
    assert spans == [600.0, 650.5]


def test_seeded_backup_recipes_must_be_positive_durations(sim):
    for bad in ([0], ['600'], 600, [True]):
        try:
            sim.control.add_deployment(name='nightly', type='postgresql', backup_recipes=bad)
        except Exception as exc:  # pylint: disable=broad-except
            assert 'backup_recipes' in str(exc)
        else:
            raise AssertionError(f'backup_recipes={bad!r} was accepted')


def _seconds(stamp):
    return datetime.datetime.strptime(stamp, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()
