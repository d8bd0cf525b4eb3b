#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { execCommand } from './exec.js';
import { execHelp, mainHelp } from './arguments.js';
import { dockerCommand } from './docker.js';
import { doctorCommand } from './doctor.js';
import { toolsCommand } from './tools.js';

/** The `goodbot` command line. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(mainHelp);
    return command === undefined ? 125 : 0;
  }
  if (command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(`goodbot ${pkg.version}`);
    return 0;
  }
  if (command === 'exec') {
    if (rest[0] === '--help' || rest[0] === '-h') {
      console.log(execHelp);
      return 0;
    }
    return execCommand(rest);
  }
  if (command === 'tools') return toolsCommand(rest);
  if (command === 'docker') return dockerCommand(rest);
  if (command === 'doctor') return doctorCommand(rest);
  console.error(`goodbot: unknown command '${command}' (see goodbot --help)`);
  return 125;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`goodbot: ${(error as Error)?.stack ?? error}`);
    process.exitCode = 125;
  },
);
