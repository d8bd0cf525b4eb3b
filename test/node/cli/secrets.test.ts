import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goodbot } from '../../helpers/cli.js';
import { removeTree, tempDir } from '../../helpers/guests.js';
import { startRecordingServers, type RecordingServers } from '../../helpers/recording-servers.js';

/** `goodbot exec` with a policy's secrets: the value reaches its host; nothing the user or the audit log sees holds it. */
const value = 'xoxb-1187-4fJq9vA2Lr';
let root: string;
let servers: RecordingServers;

beforeAll(async () => {
  root = tempDir();
  servers = await startRecordingServers();
});
afterAll(async () => {
  await servers.close();
  removeTree(root);
});

function writePolicy(from: string): void {
  const policy = [
    'sandbox:',
    '  network:',
    `    allow: ['127.0.0.1:${servers.https}']`,
    '  secrets:',
    '    - name: API_TOKEN',
    `      from: ${from}`,
    `      hosts: ['127.0.0.1:${servers.https}']`,
  ];
  writeFileSync(join(root, 'policy.yaml'), `${policy.join('\n')}\n`);
}

const script = `const r = await fetch(args[0], { headers: { authorization: 'Bearer ' + process.env.API_TOKEN } }); console.log(r.status, process.env.API_TOKEN);`;

describe('goodbot exec with secrets', () => {
  it('reads a file: source, sends the value to its host, and prints and audits only the placeholder', async () => {
    writeFileSync(join(root, 'token'), `${value}\n`, { mode: 0o600 });
    writePolicy('file:token');
    const url = `https://127.0.0.1:${servers.https}/cli`;
    const { status, stdout, stderr } = goodbot(root, [
      'exec',
      '--policy',
      'policy.yaml',
      '--json',
      '--audit',
      'audit.jsonl',
      'js',
      '-e',
      script,
      url,
    ]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as { stdout: string };
    expect(result.stdout).toMatch(/^200 goodbot-secret-API_TOKEN-[0-9a-f]{32}\n$/);
    expect(stdout).not.toContain(value);
    const audit = readFileSync(join(root, 'audit.jsonl'), 'utf8');
    expect(audit).not.toContain(value);
    expect(audit).toContain('"operation":"secret-substitute"');
    const seen = await servers.requests();
    expect(seen.find((r) => r.url === '/cli')!.headers.authorization).toBe(`Bearer ${value}`);
  });

  it('takes a secret from --secret, as from the policy', async () => {
    const target = `127.0.0.1:${servers.https}`;
    const { status, stdout } = goodbot(
      root,
      ['exec', '--allow-net', target, '--secret', `API_TOKEN=env:GOODBOT_TEST_TOKEN@${target}`, 'js', '-e', script, `https://${target}/flag`],
      { env: { GOODBOT_TEST_TOKEN: value } },
    );
    expect(status).toBe(0);
    expect(stdout).toMatch(/^200 goodbot-secret-API_TOKEN-[0-9a-f]{32}\n$/);
    const seen = await servers.requests();
    expect(seen.find((r) => r.url === '/flag')!.headers.authorization).toBe(`Bearer ${value}`);
  });

  it('fails before the run, naming the field and the variable, when the value is not set', () => {
    writePolicy('env:GOODBOT_TEST_UNSET_TOKEN');
    const { status, stderr } = goodbot(root, ['exec', '--policy', 'policy.yaml', 'js', '-e', '0']);
    expect(status).toBe(125);
    expect(stderr).toContain("sandbox.secrets[0].from: secret 'API_TOKEN': env:GOODBOT_TEST_UNSET_TOKEN is not set");
  });

  it('attack: a value with a line break (header injection) is refused without being printed', () => {
    writePolicy('env:GOODBOT_TEST_TOKEN');
    const { status, stderr } = goodbot(root, ['exec', '--policy', 'policy.yaml', 'js', '-e', '0'], {
      env: { GOODBOT_TEST_TOKEN: `${value}\r\nx-forwarded-for: 1.2.3.4` },
    });
    expect(status).toBe(125);
    expect(stderr).toContain('holds a character an HTTP header cannot carry');
    expect(stderr).not.toContain(value);
  });
});
