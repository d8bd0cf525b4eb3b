#!/usr/bin/env node
// Registers gVisor's runsc with the local Docker engine as the runtime
// `runsc`, in /etc/docker/daemon.json, unless the engine's config names one
// already. Prints `changed` when it wrote the file (the engine must then
// reload it: SIGHUP), else `unchanged`. Run as root.
//
// runsc's network: `host`, which is the container's own network namespace
// as Docker made it (none, or the run's internal network), so Docker's
// isolation and goodbot's egress proxy work as with runc; gVisor's own
// network stack refuses to start under Docker on this kind of host ("cannot
// run with network enabled in root network namespace"). Host FIFOs may be
// opened: the container's start gate is one.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const config = '/etc/docker/daemon.json';
const current = existsSync(config) ? JSON.parse(readFileSync(config, 'utf8') || '{}') : {};
if (current.runtimes?.runsc !== undefined) {
  console.log('unchanged');
} else {
  current.runtimes = { ...current.runtimes, runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=host', '--host-fifo=open'] } };
  writeFileSync(config, `${JSON.stringify(current, null, 4)}\n`);
  console.log('changed');
}
