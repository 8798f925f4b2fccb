"""The first steps of the playbook a user writes from the Compose documentation's curl steps (docs/compose-api.md,
"The workflow in Compose's documentation"): POST an on-demand backup, then poll its recipe with `until`. B2 (which
goes on to list, get details and download) and B3 (which stops there) both start with these tasks, as the inside of
a `block:`. __RETRIES__ and __DELAY__ are filled in by each benchmark.
"""

TRIGGER_AND_WAIT = '''\
        - name: Start an on-demand backup
          ansible.builtin.uri:
            url: "{{ compose_api }}/deployments/{{ deployment_id }}/backups"
            method: POST
            headers:
              Authorization: "Bearer {{ compose_token }}"
              Content-Type: application/json
            status_code: 202
          register: backup_recipe

        - name: Wait for the backup recipe to complete
          ansible.builtin.uri:
            url: "{{ compose_api }}/recipes/{{ backup_recipe.json.id }}"
            headers:
              Authorization: "Bearer {{ compose_token }}"
          register: recipe
          until: recipe.json.status == 'complete'
          retries: __RETRIES__
          delay: __DELAY__
'''
