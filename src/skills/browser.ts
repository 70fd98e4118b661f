/** @module The browser skill: playwright-core driving the system Chromium through a list of actions. */
import { constants } from 'node:fs';
import { access, mkdir, realpath, writeFile } from 'node:fs/promises';
import { dirname, extname, relative, sep } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { z } from 'zod';
import { GatewayError } from '../protocol/index.js';
import { abortErrorFrom, raceAbort } from './abort.js';
import { resolveInside } from './path-guard.js';
import { defineSkill, type Skill, type SkillContext } from './skill.js';

const Selector = z.string().min(1).max(4096);

export const BrowserActionSchema = z.union([
  z.strictObject({ open: z.string().min(1).max(8192).describe('URL to load (http or https)') }),
  z.strictObject({ click: Selector.describe('Selector of the element to click') }),
  z.strictObject({ type: Selector.describe('Selector of the input to fill'), text: z.string().max(100_000) }),
  z.strictObject({
    text: z
      .string()
      .max(4096)
      .nullable()
      .describe('Selector whose text to collect (all matches), or null/"" for the whole page'),
  }),
  z.strictObject({
    screenshot: z
      .string()
      .min(1)
      .max(1024)
      .nullable()
      .describe('File name inside the task directory, or null for a generated one'),
    full_page: z.boolean().optional(),
  }),
]);
export type BrowserAction = z.infer<typeof BrowserActionSchema>;

export const BrowserArgsSchema = z.strictObject({
  actions: z.array(BrowserActionSchema).min(1).max(100).describe('Steps run in order in one page'),
});
export type BrowserArgs = z.infer<typeof BrowserArgsSchema>;

export interface BrowserResult {
  /** The page's URL and title after the last action. */
  url: string;
  title: string;
  texts: Array<{ selector: string | null; text: string }>;
  /** Screenshot files, relative to the workspace root (so the file skill can open them). */
  screenshots: string[];
}

/** Options of `createBrowserSkill`. */
export interface BrowserSkillOptions {
  /** Chromium executable. Default `OPENCLAW_CHROMIUM_PATH`, else `/usr/bin/chromium`. */
  chromiumPath?: string;
  /** How long Chromium may take to start. Default 30000 ms. */
  launchTimeoutMs?: number;
  /** Per click/type/text action (waiting for the selector included). Default 30000 ms. */
  actionTimeoutMs?: number;
  /** Per `open`. Default 30000 ms. */
  navigationTimeoutMs?: number;
  /** Characters kept of each collected text. Default 100000. */
  maxTextChars?: number;
  /** URL schemes `open` accepts; `file:` would read outside the workspace. Default `['http:', 'https:']`. */
  allowedProtocols?: readonly string[];
}

/** The browser skill holds a Chromium process; `dispose()` ends it. */
export interface BrowserSkill extends Skill<BrowserArgs> {
  dispose(): Promise<void>;
}

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function failed(reason: string, extra: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('GW_ERR_SKILL_FAILED', { skill: 'browser', reason, ...extra });
}

/** Playwright errors carry a multi-line call log; the first line is the part worth reporting. */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? text).trim();
}

function describe(action: BrowserAction): string {
  if ('open' in action) return `open ${action.open}`;
  if ('click' in action) return `click ${action.click}`;
  if ('type' in action) return `type into ${action.type}`;
  if ('text' in action) return `text of ${action.text || 'page'}`;
  return `screenshot ${action.screenshot ?? ''}`.trim();
}

/** Creates the browser skill (capability `browser`). One Chromium per instance, started on first use. */
export function createBrowserSkill(options: BrowserSkillOptions = {}): BrowserSkill {
  const maxTextChars = options.maxTextChars ?? 100_000;
  const allowedProtocols = options.allowedProtocols ?? ['http:', 'https:'];
  let launching: Promise<Browser> | undefined;
  let disposed = false;
  const contexts = new Set<BrowserContext>();
  let shots = 0;

  async function launch(): Promise<Browser> {
    const executablePath = options.chromiumPath ?? process.env.OPENCLAW_CHROMIUM_PATH ?? '/usr/bin/chromium';
    try {
      await access(executablePath, constants.X_OK);
    } catch {
      throw failed(
        `Chromium not found (or not executable) at ${executablePath}; install Chromium or set ` +
          'OPENCLAW_CHROMIUM_PATH to its executable',
        { chromium_path: executablePath },
      );
    }
    try {
      // Imported on first use: playwright-core adds about 80 MB of RSS and half a second or more to
      // every start of a gateway whose local node declares `browser`, used or not.
      const { chromium } = await import('playwright-core');
      return await chromium.launch({
        executablePath,
        headless: true,
        args: [...CHROMIUM_ARGS],
        timeout: options.launchTimeoutMs ?? 30_000,
      });
    } catch (err) {
      throw failed(
        `cannot launch Chromium at ${executablePath}: ${firstLine(err)} (OPENCLAW_CHROMIUM_PATH selects another)`,
        { chromium_path: executablePath },
      );
    }
  }

  function browser(): Promise<Browser> {
    if (disposed) return Promise.reject(failed('the browser skill has been disposed'));
    if (!launching) {
      const p = launch();
      launching = p;
      // A failed launch or a crashed browser must not poison later calls: the next one relaunches.
      const forget = (): void => {
        if (launching === p) launching = undefined;
      };
      p.then((b) => b.on('disconnected', forget), forget);
    }
    return launching;
  }

  async function perform(
    page: Page,
    action: BrowserAction,
    ctx: SkillContext,
    out: BrowserResult,
  ): Promise<void> {
    if ('open' in action) {
      await page.goto(action.open, { waitUntil: 'load' });
    } else if ('click' in action) {
      await page.click(action.click);
    } else if ('type' in action) {
      await page.fill(action.type, action.text);
    } else if ('text' in action) {
      const selector = action.text === null || action.text === '' ? null : action.text;
      const loc = page.locator(selector ?? 'body');
      await loc.first().waitFor({ state: 'attached' });
      let text = (await loc.allInnerTexts()).join('\n');
      if (text.length > maxTextChars) text = `${text.slice(0, maxTextChars)}…`;
      out.texts.push({ selector, text });
    } else {
      let name = action.screenshot ?? `screenshot-${Date.now()}-${++shots}.png`;
      const ext = extname(name).toLowerCase();
      if (ext !== '.png' && ext !== '.jpg' && ext !== '.jpeg') name += '.png';
      await mkdir(ctx.workDir, { recursive: true });
      const target = await resolveInside(ctx.workDir, name, { allowMissing: true, skill: 'browser' });
      // The image is written by us, not by Playwright, so it goes exactly where the guard checked.
      const image = await page.screenshot({
        type: ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : 'png',
        fullPage: action.full_page ?? false,
      });
      await mkdir(dirname(target.real), { recursive: true });
      await writeFile(target.real, image);
      const workspace = await realpath(ctx.workspaceDir);
      out.screenshots.push(relative(workspace, target.real).split(sep).join('/'));
    }
  }

  return {
    ...defineSkill({
      name: 'browser',
      description:
        'Drives a headless Chromium through actions in one page, in order: {open: url}, {click: selector}, ' +
        '{type: selector, text}, {text: selector|null} to collect text, {screenshot: file|null}. Returns ' +
        'the collected texts and screenshot paths.',
      capability: 'browser',
      args: BrowserArgsSchema,
      async run(args, ctx) {
        for (const [i, action] of args.actions.entries()) {
          if (!('open' in action)) continue;
          let url: URL;
          try {
            url = new URL(action.open);
          } catch {
            throw new GatewayError('GW_ERR_SKILL_INVALID_ARGS', {
              skill: 'browser',
              path: `actions[${i}].open`,
              reason: `actions[${i}].open: not a URL: ${action.open}`,
            });
          }
          if (!allowedProtocols.includes(url.protocol)) {
            throw new GatewayError('GW_ERR_SKILL_DENIED', {
              skill: 'browser',
              reason: `URL scheme ${url.protocol} is not allowed (allowed: ${allowedProtocols.join(', ')})`,
            });
          }
        }
        const b = await raceAbort(browser(), ctx.signal, ctx.timeoutMs);
        const context = await b.newContext({ acceptDownloads: false });
        contexts.add(context);
        // Closing the context rejects whatever Playwright is waiting on, which is how abort interrupts.
        const onAbort = (): void => void context.close().catch(() => {});
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        try {
          const page = await context.newPage();
          page.setDefaultTimeout(options.actionTimeoutMs ?? 30_000);
          page.setDefaultNavigationTimeout(options.navigationTimeoutMs ?? 30_000);
          const out: BrowserResult = { url: '', title: '', texts: [], screenshots: [] };
          for (const [i, action] of args.actions.entries()) {
            if (ctx.signal.aborted) throw abortErrorFrom(ctx.signal, ctx.timeoutMs);
            try {
              await perform(page, action, ctx, out);
            } catch (err) {
              if (ctx.signal.aborted) throw abortErrorFrom(ctx.signal, ctx.timeoutMs);
              if (err instanceof GatewayError) throw err;
              throw failed(`action ${i} (${describe(action)}) failed: ${firstLine(err)}`, { action: i });
            }
            ctx.progress(`browser: ${describe(action)}`, { action: i });
          }
          out.url = page.url();
          out.title = await page.title();
          return out;
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
          contexts.delete(context);
          await context.close().catch(() => {});
        }
      },
    }),
    async dispose() {
      disposed = true;
      await Promise.allSettled([...contexts].map((c) => c.close()));
      const pending = launching;
      launching = undefined;
      if (pending) await pending.then((b) => b.close()).catch(() => {});
    },
  };
}
