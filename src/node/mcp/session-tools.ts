import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { GoodbotError } from '../../errors.js';
import { byteLength } from '../../zones/resolve.js';
import type { CommandResult, Session } from '../../session/session.js';

/** How the tools answer. */
export interface SessionToolSettings {
  /** The most characters of output a result's text carries. */
  readonly maxOutputChars: number;
  /**
   * Asked before each call: a function to call when it ends, or undefined
   * when the server is too busy to take it now (it answers "busy").
   */
  readonly admit?: () => (() => void) | undefined;
}

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const denialShape = z.object({ operation: z.string(), target: z.string(), reason: z.string(), error: z.string() });

const commandOutput = {
  exitCode: z.number().int().describe('the exit status; 124 when a limit stopped the command'),
  status: z.string().describe('exited, trapped, timeout, fuel-exhausted, memory-limit, output-limit or cancelled'),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
  cwd: z.string().describe('the working folder the next command starts in'),
  denials: z.array(denialShape).describe('accesses the policy refused'),
  truncated: z.boolean().describe('output was cut: at the policy’s output cap, or at the size a result carries'),
};

/**
 * The session's tools on an MCP server: `run_command`, `read_file`,
 * `write_file`, `edit_file` and `list_files`, each with JSON schemas in and
 * out. A command that fails is a normal result (its exit code says so);
 * a bad argument or a refusal of the policy is `isError` with a message
 * saying what to change.
 */
export function registerSessionTools(server: McpServer, session: () => Session, settings: SessionToolSettings): void {
  server.registerTool(
    'run_command',
    {
      title: 'Run a command line',
      description:
        'Runs a shell command line (sh/bash syntax: pipes, redirections, &&, loops, functions) in the sandbox session. ' +
        'The working folder, exported variables, functions and scratch files carry over to the next command. ' +
        'Tools: BusyBox (ls, cat, grep, sed, awk, find, sort, …), jq, python3, sqlite3, lua, ruby, rg, js.',
      inputSchema: {
        command: z.string().min(1).describe('the command line'),
        cwd: z.string().optional().describe('the folder to start in (a sandbox path); default the session’s'),
        timeout: z.number().positive().optional().describe('seconds; it can shorten the policy’s timeout, never lengthen it'),
        stdin: z.string().optional().describe('text for the command’s standard input'),
      },
      outputSchema: commandOutput,
    },
    (input, extra) =>
      answer(settings, async () => {
        const progress = progressReporter(extra);
        const result = await session().run(input.command, {
          ...(input.cwd !== undefined && { cwd: input.cwd }),
          ...(input.timeout !== undefined && { timeout: Math.ceil(input.timeout * 1000) }),
          ...(input.stdin !== undefined && { stdin: input.stdin }),
          signal: extra.signal,
          ...(progress !== undefined && { onStdout: progress, onStderr: progress }),
        });
        return commandAnswer(result, settings.maxOutputChars);
      }),
  );

  server.registerTool(
    'read_file',
    {
      title: 'Read a file',
      description: 'Reads a text file in the sandbox; OFFSET (first line, from 1) and LIMIT (lines) read part of it.',
      inputSchema: {
        path: z.string().min(1).describe('a sandbox path, absolute or relative to the session’s folder'),
        offset: z.number().int().min(1).optional(),
        limit: z.number().int().min(1).optional(),
      },
      outputSchema: { content: z.string(), totalLines: z.number().int(), truncated: z.boolean() },
    },
    (input) =>
      answer(settings, async () => {
        const text = new TextDecoder().decode(await session().readFile(input.path));
        const lines = text.split('\n');
        if (lines.at(-1) === '') lines.pop();
        const first = (input.offset ?? 1) - 1;
        const chosen = lines.slice(first, input.limit === undefined ? undefined : first + input.limit).join('\n');
        const cut = clip(chosen, settings.maxOutputChars);
        return {
          content: [{ type: 'text', text: cut.text }],
          structuredContent: { content: cut.text, totalLines: lines.length, truncated: cut.truncated },
        };
      }),
  );

  server.registerTool(
    'write_file',
    {
      title: 'Write a file',
      description: 'Writes CONTENT to a file in the sandbox, creating it and its folders, replacing what it held.',
      inputSchema: { path: z.string().min(1), content: z.string() },
      outputSchema: { path: z.string(), bytes: z.number().int() },
    },
    (input) =>
      answer(settings, async () => {
        await session().writeFile(input.path, input.content);
        const bytes = byteLength(input.content);
        return { content: [{ type: 'text', text: `wrote ${bytes} bytes to ${input.path}` }], structuredContent: { path: input.path, bytes } };
      }),
  );

  server.registerTool(
    'edit_file',
    {
      title: 'Edit a file',
      description: 'Replaces the one occurrence of OLD in a file with NEW; refused when OLD is missing or occurs more than once.',
      inputSchema: { path: z.string().min(1), old: z.string().min(1), new: z.string() },
      outputSchema: { path: z.string(), bytes: z.number().int() },
    },
    (input) =>
      answer(settings, async () => {
        const current = session();
        const text = new TextDecoder().decode(await current.readFile(input.path));
        const at = text.indexOf(input.old);
        if (at < 0)
          throw new GoodbotError('usage', `${input.path} does not contain the text to replace`, {
            field: 'old',
            hint: 'read the file and copy the text exactly',
          });
        if (text.indexOf(input.old, at + 1) >= 0) {
          throw new GoodbotError('usage', `the text to replace occurs more than once in ${input.path}`, {
            field: 'old',
            hint: 'include more of the surrounding text so it is unique',
          });
        }
        const edited = text.slice(0, at) + input.new + text.slice(at + input.old.length);
        await current.writeFile(input.path, edited);
        const bytes = byteLength(edited);
        return { content: [{ type: 'text', text: `edited ${input.path}` }], structuredContent: { path: input.path, bytes } };
      }),
  );

  server.registerTool(
    'list_files',
    {
      title: 'List files',
      description: 'Lists the folders and files in a sandbox folder (all below it with RECURSIVE).',
      inputSchema: { path: z.string().optional().describe('default the session’s folder'), recursive: z.boolean().optional() },
      outputSchema: { entries: z.array(z.object({ path: z.string(), type: z.enum(['directory', 'file']) })) },
    },
    (input) =>
      answer(settings, async () => {
        const entries = await session().listFiles(input.path ?? '.', input.recursive ?? false);
        const text = entries.map((entry) => (entry.type === 'directory' ? `${entry.path}/` : entry.path)).join('\n');
        return { content: [{ type: 'text', text: clip(text, settings.maxOutputChars).text }], structuredContent: { entries } };
      }),
  );
}

/** A tool's answer; goodbot's errors (bad input, a refusal) become `isError` results saying what to do. */
async function answer(settings: SessionToolSettings, work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  const done = settings.admit === undefined ? () => {} : settings.admit();
  if (done === undefined) {
    return {
      isError: true,
      content: [{ type: 'text', text: 'the server is busy: as many commands as it allows are running; try again in a moment' }],
    };
  }
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof GoodbotError)) throw error;
    const details = [error.field && `field: ${error.field}`, error.path && `path: ${error.path}`, error.hint && `to fix: ${error.hint}`].filter(
      Boolean,
    );
    return { isError: true, content: [{ type: 'text', text: [error.message, ...details].join('\n') }] };
  } finally {
    done();
  }
}

function commandAnswer(result: CommandResult, maxChars: number): CallToolResult {
  const stdout = clip(result.stdout, maxChars);
  const stderr = clip(result.stderr, Math.max(0, maxChars - stdout.text.length));
  const truncated = stdout.truncated || stderr.truncated || result.status === 'output-limit';
  const parts = [stdout.text];
  if (stderr.text !== '') parts.push(`[stderr]\n${stderr.text}`);
  if (result.limit !== undefined) parts.push(`[${result.limit.message}]`);
  parts.push(`[exit code ${result.exitCode}]`);
  return {
    content: [{ type: 'text', text: parts.filter((part) => part !== '').join('\n') }],
    structuredContent: {
      exitCode: result.exitCode,
      status: result.status,
      stdout: stdout.text,
      stderr: stderr.text,
      durationMs: result.durationMs,
      cwd: result.cwd,
      denials: result.denials.map(({ operation, target, reason, error }) => ({ operation, target, reason, error })),
      truncated,
    },
  };
}

/** TEXT cut to MAX characters, with a notice saying how much was left out. */
function clip(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  return { text: `${text.slice(0, max)}\n[… ${text.length - max} more characters not shown]`, truncated: true };
}

/** Output as progress notifications, when the client asked for progress (it keeps a long call alive). */
function progressReporter(extra: ToolExtra): ((chunk: Uint8Array) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  let progress = 0;
  const decoder = new TextDecoder();
  return (chunk) => {
    progress += chunk.length;
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress, message: decoder.decode(chunk, { stream: true }) },
      })
      .catch(() => {});
  };
}
