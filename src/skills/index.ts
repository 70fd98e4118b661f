/** @module Skills: the plugins a node runs, as direct task calls and as LLM tools (SPEC R8.1). */
export {
  defineSkill,
  silentLog,
  type AnySkill,
  type Skill,
  type SkillContext,
  type SkillLog,
} from './skill.js';
export {
  createSkillRegistry,
  type SkillRegistry,
  type SkillRegistryOptions,
  type ToolDefinition,
} from './registry.js';
export { createSkillContext, taskDirName, type CreateSkillContextOptions } from './context.js';
export { abortErrorFrom, isAbortError, linkedController, raceAbort, sleep } from './abort.js';
export { resolveInside, type GuardedPath, type ResolveInsideOptions } from './path-guard.js';
export { toolParameters } from './tool-schema.js';
export { createDefaultSkills, type DefaultSkillsOptions } from './defaults.js';
export { createEchoSkill, EchoArgsSchema, type EchoArgs } from './echo.js';
export {
  createShellSkill,
  ShellArgsSchema,
  type ShellArgs,
  type ShellResult,
  type ShellSkillOptions,
} from './shell.js';
export {
  compileShellPolicy,
  DEFAULT_SHELL_DENY,
  type ShellPolicy,
  type ShellPolicyCheck,
} from './shell-policy.js';
export { commandNames, splitCommands } from './shell-words.js';
export { scrubEnv, isSecretEnvName, SECRET_ENV_NAMES, SECRET_ENV_PATTERNS } from './shell-env.js';
export {
  createFileSkill,
  FileArgsSchema,
  type FileArgs,
  type FileSkillOptions,
  type ListEntry,
} from './file.js';
export type { SearchMatch, SearchResult } from './file-search.js';
export {
  createBrowserSkill,
  BrowserArgsSchema,
  BrowserActionSchema,
  CHROMIUM_ARGS,
  type BrowserAction,
  type BrowserArgs,
  type BrowserResult,
  type BrowserSkill,
  type BrowserSkillOptions,
} from './browser.js';
