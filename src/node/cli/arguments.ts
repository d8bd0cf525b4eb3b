import { GoodbotError } from '../../errors.js';
import type { LimitFlags } from '../../policy/flags.js';

/** `goodbot exec` options, parsed. Everything after PROGRAM belongs to the guest. */
export interface ExecArguments {
  backend?: string;
  policy?: string;
  dirs: string[];
  env: string[];
  /** `--allow-net HOST:PORT` values, in order. */
  allowNet: string[];
  /** `--secret NAME=SOURCE@HOST:PORT[,…]` values, in order. */
  secrets: string[];
  json: boolean;
  /** Build PROGRAM first when it is a catalog tool that is not built. */
  build: boolean;
  limits: LimitFlags;
  deterministic: boolean;
  /** `--cwd PATH`: the working folder, a guest path. */
  cwd?: string;
  audit?: string;
  program: string;
  args: string[];
}

const valued = new Set([
  '--backend',
  '--policy',
  '--dir',
  '--cwd',
  '--env',
  '--allow-net',
  '--secret',
  '--audit',
  '--fuel',
  '--timeout',
  '--memory',
  '--max-output',
]);
const flags = new Set(['--json', '--build', '--deterministic']);

/**
 * Parses `exec`'s arguments: options first (`--name value` or `--name=value`),
 * then PROGRAM; `--` ends the options explicitly. Option-like words after
 * PROGRAM are the guest's.
 */
export function parseExecArguments(argv: readonly string[]): ExecArguments {
  const parsed: ExecArguments = {
    dirs: [],
    env: [],
    allowNet: [],
    secrets: [],
    json: false,
    build: false,
    limits: {},
    deterministic: false,
    program: '',
    args: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('--') || word === '-') break;
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    if (flags.has(name)) {
      if (eq >= 0) usage(`${name} takes no value`, name);
      if (name === '--json') parsed.json = true;
      else if (name === '--build') parsed.build = true;
      else parsed.deterministic = true;
      continue;
    }
    if (!valued.has(name)) usage(`unknown option ${name}`, name);
    let value: string;
    if (eq >= 0) value = word.slice(eq + 1);
    else {
      const next = argv[++i];
      if (next === undefined) usage(`${name} needs a value`, name);
      value = next!;
    }
    switch (name) {
      case '--backend':
        parsed.backend = value;
        break;
      case '--policy':
        parsed.policy = value;
        break;
      case '--dir':
        parsed.dirs.push(value);
        break;
      case '--cwd':
        parsed.cwd = value;
        break;
      case '--env':
        parsed.env.push(value);
        break;
      case '--allow-net':
        parsed.allowNet.push(value);
        break;
      case '--secret':
        parsed.secrets.push(value);
        break;
      case '--audit':
        parsed.audit = value;
        break;
      case '--fuel':
        if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
          usage(`--fuel takes a positive whole number of instructions, not '${value}'`, name);
        }
        parsed.limits.fuel = Number(value);
        break;
      case '--timeout':
        parsed.limits.timeout = value;
        break;
      case '--memory':
        parsed.limits.memory = value;
        break;
      case '--max-output':
        parsed.limits.maxOutput = value;
        break;
    }
  }
  const program = argv[i];
  if (program === undefined) usage('PROGRAM is missing', 'PROGRAM');
  parsed.program = program!;
  parsed.args = argv.slice(i + 1);
  return parsed;
}

function usage(message: string, field: string): never {
  throw new GoodbotError('usage', message, { field, hint: 'see goodbot exec --help' });
}

export const execHelp = `usage: goodbot exec [OPTIONS] [--] PROGRAM [ARGS...]

Runs PROGRAM (a .wasm core module or component, or a catalog tool name) in
the sandbox, with exactly the capabilities the policy grants. On the
namespace and Docker backends PROGRAM is a command of the tools image's
userland (git, make, python3…).
goodbot's options go before PROGRAM: every word after it is the guest's
(\`goodbot exec jq --timeout 5\` hands --timeout to jq, and sets no limit).

options:
  --backend=NAME          wasm (default): WebAssembly only; namespace: Linux
                          namespaces through bubblewrap (no daemon); docker: a
                          hardened container; auto: the catalog's WebAssembly
                          build when there is one, else namespace where it
                          works here (goodbot doctor), else docker
  --policy FILE           policy file (YAML or JSON, see docs/policy.md)
  --dir HOST::GUEST[:ro|:rw]
                          mount a host folder at GUEST (read-write unless :ro;
                          any other mode is an error); repeatable; without
                          ::GUEST the guest sees HOST's path
  --cwd PATH              the working folder, a guest path inside a zone: every
                          tool resolves relative paths against it (default /)
  --env NAME[=VALUE]      pass the host's NAME, or set NAME=VALUE; repeatable
  --allow-net HOST:PORT   add a network.allow entry: api.example.com:443,
                          *.example.org:443, 10.0.0.0/8:5432, [::1]:8080; PORT
                          is a number, FROM-TO or *; repeatable (components on
                          the wasm backend; on the namespace and docker
                          backends the sandbox's HTTP clients, through
                          goodbot's egress proxy; docker's needs goodbot to
                          run as root)
  --secret NAME=SOURCE@HOST:PORT[,HOST:PORT...]
                          the guest's NAME holds a placeholder that goodbot
                          replaces with the value from SOURCE (env:VARIABLE or
                          file:PATH, read by goodbot) in requests to those
                          hosts only; repeatable (sandbox.secrets)
  --json                  print one JSON result object instead of streaming output
  --build                 build PROGRAM first if it is a catalog tool not yet built
  --fuel N                stop after N counted instructions (status fuel-exhausted)
  --timeout DURATION      stop after DURATION, e.g. 500ms, 30s, or 5 (seconds)
                          (status timeout)
  --memory SIZE           cap the guest's memory, e.g. 64MiB (memory-limit)
  --max-output SIZE       cap stdout+stderr together, e.g. 1MiB (output-limit)
  --deterministic         fixed clock (2000-01-01, moves only on sleeps) and seeded
                          random bytes: the same run repeats exactly
  --audit FILE            append audit events (JSONL) to FILE

exit status: the guest's exit code; 134 if it trapped; 124 a limit ended it;
125 policy or runtime error; 126 not a valid module/component; 127 not found.
A guest can exit with these codes and print any text too: --json's status
(or the audit log) is goodbot's own account. Without --json goodbot adds a
line about a trap or a limit only when stderr is a terminal.`;

export const mainHelp = `usage: goodbot <command> [ARGS...]

commands:
  exec      run a program in the sandbox (goodbot exec --help)
  tools     list, build and describe the tool catalog (goodbot tools --help)
  docker    build the container image of the Docker backend (goodbot docker --help)
  namespace unpack the namespace backend's root filesystem (goodbot namespace --help)
  doctor    say which native backends work here, remove what dead runs left
  mcp       serve a sandbox session over MCP on stdin/stdout (goodbot mcp --help)
  serve     serve sandbox sessions over MCP on HTTP (goodbot serve --help)
  sessions  list recorded sessions, or show one's commands (goodbot sessions --help)

goodbot runs tools as WebAssembly inside Node, with exactly the capabilities a
policy grants: zones (folders), environment variables, and nothing else. Tools
without a WebAssembly build run under the same policy in Linux namespaces
(goodbot exec --backend=namespace) or a hardened Docker container
(--backend=docker).`;

export const toolsHelp = `usage: goodbot tools <command>

commands:
  list [--json]           every catalog tool: name, version, kind, size, built or not
  build NAME... | --all   build tools (their recipes) into the cache; --default
                          builds the default catalog; --force rebuilds
  info NAME               a tool's recipe, source, licence, artifact and sha256

Tools are built from Debian source packages or npm packages by the recipes in
wasm-tools/recipes/, into a cache keyed by each recipe's hash: .cache/tools/
in goodbot's folder, or $GOODBOT_TOOLS_DIR.`;
