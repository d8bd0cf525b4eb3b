import type { DockerSettings } from '../../policy/types.js';

/** The engine's socket: `$DOCKER_HOST` (unix://…) when set, else the default. Apart from engine.ts, so its users need not load the Docker client. */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env['DOCKER_HOST'];
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

/** The socket of the engine a policy's runs use: `sandbox.docker.engine`, else {@link engineSocket}. */
export function policyEngineSocket(settings: DockerSettings, env: NodeJS.ProcessEnv = process.env): string {
  return settings.engine ?? engineSocket(env);
}
