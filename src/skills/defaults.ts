/** @module The built-in skills a node offers out of the box. */
import { createBrowserSkill, type BrowserSkillOptions } from './browser.js';
import { createEchoSkill } from './echo.js';
import { createFileSkill, type FileSkillOptions } from './file.js';
import { createShellSkill, type ShellSkillOptions } from './shell.js';
import type { AnySkill } from './skill.js';

/** Options of `createDefaultSkills`. */
export interface DefaultSkillsOptions {
  /**
   * Capabilities to build skills for, typically the node's declared capabilities; unknown names are
   * ignored. Default: all four (`echo`, `shell`, `file`, `browser`).
   */
  capabilities?: readonly string[];
  shell?: ShellSkillOptions;
  file?: FileSkillOptions;
  browser?: BrowserSkillOptions;
}

/**
 * Builds echo, shell, file and browser (those enabled by `capabilities`). The browser skill launches
 * Chromium only when first used, so building it costs nothing on a machine without one.
 */
export function createDefaultSkills(options: DefaultSkillsOptions = {}): AnySkill[] {
  const wanted = new Set(options.capabilities ?? ['echo', 'shell', 'file', 'browser']);
  const skills: AnySkill[] = [];
  if (wanted.has('echo')) skills.push(createEchoSkill());
  if (wanted.has('shell')) skills.push(createShellSkill(options.shell));
  if (wanted.has('file')) skills.push(createFileSkill(options.file));
  if (wanted.has('browser')) skills.push(createBrowserSkill(options.browser));
  return skills;
}
