#!/usr/bin/env bash
# Daily backup of an OpenClaw Gateway (docs/deployment.md, "Backups"), e.g. from root's crontab:
#   0 2 * * * /opt/scripts/backup-openclaw.sh >> /var/log/openclaw-backup.log 2>&1
#
# The store is copied with `openclaw backup create`, which takes a consistent snapshot while the
# gateway keeps running (a tar of the live data dir could catch the database mid-write). The
# configuration is archived next to it. Restore: docs/deployment.md, "Disaster recovery".
#
# Settings (environment; EDIT the defaults here or set them in the crontab line):
#   BACKUP_DIR         where backups go                                 (default /backups/openclaw)
#   RETENTION_DAYS     delete this script's backups older than this     (default 30)
#   OPENCLAW_BIN       the openclaw CLI                                 (default: openclaw on PATH)
#   OPENCLAW_ENV_FILE  the service's EnvironmentFile, read if readable  (default /opt/openclaw/.env)
#   OPENCLAW_DATA_DIR, OPENCLAW_CONFIG  as in the systemd unit  (default /opt/openclaw/data and
#                      /opt/openclaw/config/config.yaml when that file exists)
#   OPENCLAW_USER      run the CLI as this user when started as root, so no root-owned file ever
#                      lands in the data dir           (default openclaw if it exists; "" = no switch)
#   CONFIG_PATHS       space-separated absolute paths to archive        (default /opt/openclaw/config)
#   AWS_S3_BUCKET      if set, copy both archives to s3://$AWS_S3_BUCKET/openclaw-backups/
# The encryption key (OPENCLAW_WORKSPACE_ENCRYPTION_KEY) is deliberately NOT archived: keep it in a
# password manager or secret store. A backup of an encrypted store cannot be read without it.
set -euo pipefail

BACKUP_DIR="${BACKUP_DIR:-/backups/openclaw}"
RETENTION_DAYS="${RETENTION_DAYS:-30}"
OPENCLAW_BIN="${OPENCLAW_BIN:-openclaw}"
OPENCLAW_ENV_FILE="${OPENCLAW_ENV_FILE:-/opt/openclaw/.env}"
CONFIG_PATHS="${CONFIG_PATHS:-/opt/openclaw/config}"
OPENCLAW_USER="${OPENCLAW_USER-openclaw}"
DATE="$(date +%Y%m%d-%H%M%S)"

log() { printf '%s backup-openclaw: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
die() {
  log "error: $*" >&2
  exit 1
}

[[ "$RETENTION_DAYS" =~ ^[0-9]+$ ]] || die "RETENTION_DAYS must be a whole number of days, got '$RETENTION_DAYS'"

# The env file uses systemd's KEY=VALUE syntax, which is not shell: it is parsed, never sourced, so
# a value containing spaces, $ or backquotes cannot run anything here.
if [[ -r "$OPENCLAW_ENV_FILE" ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    export "$key=$value"
  done <"$OPENCLAW_ENV_FILE"
fi
export OPENCLAW_DATA_DIR="${OPENCLAW_DATA_DIR:-/opt/openclaw/data}"
if [[ -z "${OPENCLAW_CONFIG:-}" && -f /opt/openclaw/config/config.yaml ]]; then
  export OPENCLAW_CONFIG=/opt/openclaw/config/config.yaml
fi

run_as=""
if [[ "$(id -u)" -eq 0 && -n "$OPENCLAW_USER" ]]; then
  if id -u "$OPENCLAW_USER" >/dev/null 2>&1; then
    run_as="$OPENCLAW_USER"
  else
    log "warning: user $OPENCLAW_USER does not exist; running the CLI as root"
  fi
fi

# Backups hold workspace memory and conversation history: private to their owner.
umask 077
mkdir -p "$BACKUP_DIR"
if [[ -n "$run_as" ]]; then
  # The CLI (as $run_as) must reach its staging dir inside: traverse only, no listing, no reading.
  chmod 0711 "$BACKUP_DIR"
fi

# One run at a time: a slow upload must not overlap with the next day's run.
exec 9>"$BACKUP_DIR/.backup-openclaw.lock"
flock -n 9 || die "another backup is still running (lock $BACKUP_DIR/.backup-openclaw.lock)"

store_file="$BACKUP_DIR/openclaw-$DATE.backup"
config_file="$BACKUP_DIR/config-$DATE.tar.gz"
# Work happens in a staging dir: a failed or interrupted run leaves nothing that retention or a
# restore could mistake for a good backup.
staging="$(mktemp -d "$BACKUP_DIR/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

log "store -> $store_file"
if [[ -n "$run_as" ]]; then
  chown "$run_as" "$staging"
  runuser -u "$run_as" -- "$OPENCLAW_BIN" backup create --out "$staging/store"
else
  "$OPENCLAW_BIN" backup create --out "$staging/store"
fi
[[ -s "$staging/store" ]] || die "openclaw backup create wrote no data"
mv "$staging/store" "$store_file"

config_items=()
for path in $CONFIG_PATHS; do
  [[ "$path" == /* ]] || die "CONFIG_PATHS entries must be absolute, got '$path'"
  if [[ -e "$path" ]]; then
    config_items+=("${path#/}")
  else
    log "warning: $path does not exist, not archived"
  fi
done
if ((${#config_items[@]} > 0)); then
  log "config -> $config_file"
  # Paths relative to /, so `tar xzf FILE -C /` puts them back where they were.
  tar czf "$staging/config.tar.gz" -C / "${config_items[@]}"
  mv "$staging/config.tar.gz" "$config_file"
fi

# Stable names for the disaster-recovery runbook.
ln -sfn "$(basename "$store_file")" "$BACKUP_DIR/openclaw-latest.backup"
if [[ -f "$config_file" ]]; then
  ln -sfn "$(basename "$config_file")" "$BACKUP_DIR/config-latest.tar.gz"
fi

if [[ -n "${AWS_S3_BUCKET:-}" ]]; then
  log "upload -> s3://$AWS_S3_BUCKET/openclaw-backups/"
  aws s3 cp "$store_file" "s3://$AWS_S3_BUCKET/openclaw-backups/"
  if [[ -f "$config_file" ]]; then
    aws s3 cp "$config_file" "s3://$AWS_S3_BUCKET/openclaw-backups/"
  fi
fi

# Retention: only this script's own files, and never the backup just made.
find "$BACKUP_DIR" -maxdepth 1 -type f \
  \( -name 'openclaw-*.backup' -o -name 'config-*.tar.gz' \) \
  ! -name "$(basename "$store_file")" ! -name "$(basename "$config_file")" \
  -mtime +"$RETENTION_DAYS" -print -delete |
  while IFS= read -r old; do log "removed $old (older than $RETENTION_DAYS days)"; done

log "done: $(basename "$store_file")"
