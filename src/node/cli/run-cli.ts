import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { execHelp, mainHelp } from './arguments.js';

/** The `goodbot` command line (started by main.ts, bundled or as built). */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(mainHelp);
    return command === undefined ? 125 : 0;
  }
  if (command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(`goodbot ${pkg.version}`);
    return 0;
  }
  if (command === 'exec') {
    if (rest[0] === '--help' || rest[0] === '-h') {
      console.log(execHelp);
      return 0;
    }
    // A running `goodbot serve` takes the run when it can, with goodbot loaded and programs compiled.
    const handoff = await (await import('./exec-handoff-client.js')).handOffExec(rest);
    if ('exitCode' in handoff) return handoff.exitCode;
    return (await import('./exec.js')).execCommand(rest, handoff.local);
  }
  // Each command's modules load only when it runs: a cold `goodbot exec` pays for nothing else.
  if (command === 'tools') return (await import('./tools.js')).toolsCommand(rest);
  if (command === 'docker') return (await import('./docker.js')).dockerCommand(rest);
  if (command === 'namespace') return (await import('./namespace.js')).namespaceCommand(rest);
  if (command === 'doctor') return (await import('./doctor.js')).doctorCommand(rest);
  if (command === 'mcp') return (await import('./mcp.js')).mcpCommand(rest);
  if (command === 'serve') return (await import('./serve.js')).serveCommand(rest);
  if (command === 'sessions') return (await import('./sessions.js')).sessionsCommand(rest);
  console.error(`goodbot: unknown command '${command}' (see goodbot --help)`);
  return 125;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`goodbot: ${crashReport(error)}`);
    process.exitCode = 125;
  },
);

/** An error's stack; anything else thrown (an object with no stack) as inspect shows it, not as `[object Object]`. */
function crashReport(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return typeof error === 'string' ? error : inspect(error);
}
