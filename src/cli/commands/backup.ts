/**
 * @module `openclaw backup create|restore` and `openclaw store rekey`: local operations on a gateway's
 * data dir. `backup create` is safe while the gateway runs; `restore` and `rekey` need it stopped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultOpenclawDir, loadConfig, PACKAGE_VERSION, type ResolvedConfig } from '../../config/index.js';
import { createBackup, restoreBackup } from '../../memory/index.js';
import { rekeySqliteDatabase, KEY_ENV } from '../../store/index.js';
import { CliExit, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';
import { resolveTarget } from '../target.js';

interface LocalFlags {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

const NEW_KEY_ENV = 'OPENCLAW_NEW_WORKSPACE_ENCRYPTION_KEY';

function localConfig(f: LocalFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  return loadConfig({
    ...(f.config ? { configPath: f.config } : {}),
    env,
    flags: { data_dir: f.dataDir },
  });
}

const local = (c: Command) =>
  c
    .option('--config <file>', 'config file (default ~/.openclaw/config.yaml or $OPENCLAW_CONFIG)')
    .option('--data-dir <dir>', 'data dir (default from config, $OPENCLAW_DATA_DIR or ~/.openclaw/data)')
    .option('--json', 'machine-readable output');

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

async function gatewayAnswers(cfg: ResolvedConfig): Promise<boolean> {
  try {
    const { httpUrl } = await resolveTarget({ ...(cfg.config_path ? { config: cfg.config_path } : {}) });
    const res = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(1500) });
    return res.ok;
  } catch {
    return false;
  }
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new CliExit(
      EXIT.USAGE,
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

/** `openclaw backup create|restore`. */
export function registerBackupCommands(program: Command): void {
  const backup = program
    .command('backup')
    .description('archive and restore a gateway (store, secret, config, workspace files)');

  local(backup.command('create'))
    .description('write a consistent .tar.gz of the data dir; safe while the gateway runs and takes writes')
    .option('--out <file>', 'archive path (default ./openclaw-backup-YYYYMMDD-HHMMSS.tar.gz)')
    .option('--no-files', "leave out the nodes' workspace files (data dir workspaces/)")
    .action(async (f: LocalFlags & { out?: string; files: boolean }) => {
      const cfg = localConfig(f);
      const res = await createBackup({
        dataDir: cfg.data_dir,
        storeFile: cfg.store.filename,
        ...(cfg.store.encryption_key ? { encryptionKey: cfg.store.encryption_key } : {}),
        configPath: cfg.config_path,
        out: f.out ?? `openclaw-backup-${stamp()}.tar.gz`,
        workspaceFiles: f.files,
        version: PACKAGE_VERSION,
      });
      if (f.json) return printJson({ path: res.path, bytes: res.bytes, manifest: res.manifest });
      const m = res.manifest;
      const c = m.store.counts;
      printLine(`backup written: ${res.path} (${human(res.bytes)})`);
      printLine(
        `  store      ${c.workspaces ?? 0} workspaces, ${c.memory_entries ?? 0} memory entries, ${c.tasks ?? 0} tasks, ${c.cron_jobs ?? 0} cron jobs${m.store.encrypted ? ' (encrypted)' : ''}`,
      );
      const kinds = m.files.map((x) => x.kind);
      printLine(
        `  files      database${kinds.includes('auth_secret') ? ', auth secret' : ''}${kinds.includes('config') ? ', config.yaml' : ''}, ${kinds.filter((k) => k === 'workspace_file').length} workspace files`,
      );
      for (const s of m.skipped) process.stderr.write(`openclaw: warning: left out ${s.path}: ${s.reason}\n`);
      if (m.store.encrypted)
        process.stderr.write(
          `openclaw: keep ${KEY_ENV} safe elsewhere: this backup cannot be restored without it\n`,
        );
    });

  local(backup.command('restore <file>'))
    .description(
      'restore an archive into the data dir (stop the gateway first); replaced files are kept aside',
    )
    .option('--force', 'restore even though a gateway seems to be using the data dir')
    .action(async (file: string, f: LocalFlags & { force?: boolean }) => {
      // The config file may be the very thing being restored: a missing one is not an error here.
      const explicit = f.config ?? process.env.OPENCLAW_CONFIG;
      const missing = explicit !== undefined && !existsSync(explicit);
      const env = { ...process.env };
      if (missing) delete env.OPENCLAW_CONFIG;
      const cfg = localConfig({ ...f, config: missing ? undefined : f.config }, env);
      const configTarget = cfg.config_path ?? explicit ?? join(defaultOpenclawDir(), 'config.yaml');
      const res = await restoreBackup({
        archive: file,
        dataDir: cfg.data_dir,
        storeFile: cfg.store.filename,
        ...(cfg.store.encryption_key ? { encryptionKey: cfg.store.encryption_key } : {}),
        configPath: configTarget,
        force: f.force ?? false,
        gatewayAlive: () => gatewayAnswers(cfg),
      });
      if (f.json) return printJson(res);
      const m = res.manifest;
      printLine(`restored ${file} (made ${m.created_at} on ${m.source.hostname}) into ${cfg.data_dir}`);
      const c = res.inspection.counts;
      printLine(
        `  store      ${c.workspaces ?? 0} workspaces, ${c.memory_entries ?? 0} memory entries, ${c.tasks ?? 0} tasks`,
      );
      if (res.workspaceFiles) printLine(`  files      ${res.workspaceFiles} workspace files`);
      if (res.previous) printLine(`  previous   the replaced files are in ${res.previous}`);
      if (res.config === 'written') printLine(`  config     written to ${configTarget}`);
      if (res.config === 'kept')
        printLine(`  config     kept ${configTarget}; the backup's copy is ${res.configCopy}`);
      printLine(
        f.force
          ? 'restart the gateway now so that it uses the restored store'
          : 'start the gateway to use it',
      );
    });
}

/** `openclaw store rekey`. */
export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('maintain the gateway store');
  local(store.command('rekey'))
    .description(
      `encrypt, re-encrypt with a new key, or decrypt the store in place (gateway stopped; take a backup first). The current key comes from ${KEY_ENV}`,
    )
    .option('--new-key-env <var>', `environment variable holding the new key (default ${NEW_KEY_ENV})`)
    .option('--new-key-file <file>', 'file holding the new key (one line)')
    .option(
      '--current-key-file <file>',
      `file holding the current key (default: ${KEY_ENV} / store.encryption_key)`,
    )
    .option('--decrypt', 'store the database unencrypted from now on')
    .action(
      async (
        f: LocalFlags & {
          newKeyEnv?: string;
          newKeyFile?: string;
          currentKeyFile?: string;
          decrypt?: boolean;
        },
      ) => {
        const cfg = localConfig(f);
        const current = f.currentKeyFile ? readKeyFile(f.currentKeyFile) : cfg.store.encryption_key;
        let next: string | undefined;
        if (f.decrypt) {
          if (f.newKeyFile || f.newKeyEnv) throw new CliExit(EXIT.USAGE, '--decrypt takes no new key');
          if (!current) throw new CliExit(EXIT.USAGE, `the store is not encrypted (no ${KEY_ENV} set)`);
        } else {
          const envName = f.newKeyEnv ?? NEW_KEY_ENV;
          next = f.newKeyFile ? readKeyFile(f.newKeyFile) : process.env[envName];
          if (!next)
            throw new CliExit(
              EXIT.USAGE,
              `no new key: set ${envName} (or pass --new-key-file FILE), or use --decrypt; keys are never taken on the command line`,
            );
          if (next === current) throw new CliExit(EXIT.USAGE, 'the new key is the current key');
          if (next.length < 32)
            process.stderr.write('openclaw: warning: keys of at least 32 characters are advised\n');
        }
        rekeySqliteDatabase({
          dataDir: cfg.data_dir,
          filename: cfg.store.filename,
          ...(current ? { currentKey: current } : {}),
          ...(next ? { newKey: next } : {}),
        });
        const file = join(cfg.data_dir, cfg.store.filename);
        const what = !next ? 'decrypted' : current ? 're-encrypted with the new key' : 'encrypted';
        if (f.json) return printJson({ file, result: what.split(' ')[0] });
        printLine(`${file} ${what}`);
        printLine(
          next
            ? `now set ${KEY_ENV} to the new key wherever the gateway gets it (.env, systemd EnvironmentFile, Kubernetes Secret) before starting it; backups made earlier still need the old key`
            : `now unset ${KEY_ENV} before starting the gateway`,
        );
      },
    );
}
