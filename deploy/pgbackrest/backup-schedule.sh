#!/bin/sh
# The compose file's backup service: a base backup every hour on the hour, full at 01:00 UTC
# (and whenever the repository holds no full yet), differential otherwise. Kubernetes runs the
# same two commands from deploy/k8s/backup-cronjob.yaml instead of this loop.
set -eu
STANZA=cozywish

# Once per repository (safe to run again): the stanza, then a check that archive_command reaches it.
until pgbackrest --stanza=$STANZA stanza-create; do
  echo "backup: stanza-create failed, trying again in 30 s" >&2
  sleep 30
done
pgbackrest --stanza=$STANZA check || echo "backup: check failed: is WAL archiving on? (deploy/pgbackrest/postgresql.conf)" >&2

while true; do
  if [ "$(date -u +%H)" = "01" ] || ! pgbackrest --stanza=$STANZA info --output=json | grep -q '"type":"full"'; then
    type=full
  else
    type=diff
  fi
  # A failed backup is logged and tried again at the next hour; the WAL archive goes on meanwhile.
  pgbackrest --stanza=$STANZA backup --type=$type || echo "backup: $type backup failed" >&2
  sleep $((3600 - $(date +%s) % 3600))
done
