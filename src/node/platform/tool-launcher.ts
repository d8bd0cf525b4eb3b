import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import type { ToolLaunch } from '../../backends/platform.js';
import type { LoadedProgram } from '../../backends/wasm/loaded-program.js';
import type { ZoneSpec } from '../../policy/types.js';
import type { ModuleWithRoom } from '../../limits/memory-import.js';
import { readModuleFile } from './module-file.js';
import { findTool, mountZoneName, recipeOf, withToolSuggestion, type ToolEntry } from '../../tools/catalog.js';
import { BuildTreeCheck, changedBuild } from '../tools/build-tree-check.js';
import type { ToolStore } from '../tools/tool-store.js';

/**
 * Finds catalog tools in the build cache and loads them. Each artifact's
 * sha256 is checked against its build record once per file version (kept
 * across processes in goodbot's cache), so a cached build that was altered
 * after it was built does not run. The
 * folders a tool mounts for itself (python's standard library) are checked
 * too, at each launch (see BuildTreeCheck): the guest runs that code as well.
 */
export class ToolLauncher {
  private readonly trees = new BuildTreeCheck();

  constructor(
    private readonly store: ToolStore,
    private readonly loadProgram: (path: string, bytes?: ModuleWithRoom) => Promise<LoadedProgram>,
  ) {}

  async launch(name: string): Promise<ToolLaunch> {
    const tool = findTool(name);
    if (tool === undefined) {
      throw new GoodbotError('not-found', `${name}: no such tool in the catalog, and no such file`, {
        hint: withToolSuggestion(
          name,
          "`goodbot tools list` shows the catalog; a tool without a WASI build can run in a container (sandbox.backend 'docker' or 'auto')",
        ),
        commandLineHint: withToolSuggestion(
          name,
          'run `goodbot tools list` for the catalog; a tool without a WASI build can run in a container with --backend=docker',
        ),
        path: name,
      });
    }
    const recipe = recipeOf(tool);
    const record = this.store.record(recipe);
    if (record === undefined) {
      throw new GoodbotError('not-found', `${name} is in the catalog but not built`, {
        hint: `build it with \`goodbot tools build ${name}\` (npm run setup builds the default catalog)`,
        commandLineHint: `run \`goodbot tools build ${name}\`, or add --build to \`goodbot exec\` to build it first`,
        path: name,
      });
    }
    const dir = this.store.buildDir(recipe);
    const artifact = join(dir, tool.artifact);
    const checked = this.verify(tool, dir, tool.artifact, record.files[tool.artifact]?.sha256);
    for (const mount of tool.mounts ?? []) await this.trees.verify(tool, dir, mount.from, record);
    const program = await this.loadProgram(artifact, checked);
    const scratch = tool.fromScratch;
    return {
      program,
      name: tool.name,
      version: recipe.version,
      argv0: tool.entry ?? tool.name,
      mounts: mountsOf(tool, dir),
      env: tool.env ?? {},
      ...(scratch !== undefined && {
        fromScratch: {
          when: scratch,
          load: () => {
            const path = join(dir, scratch.artifact);
            return this.loadProgram(path, this.verify(tool, dir, scratch.artifact, record.files[scratch.artifact]?.sha256));
          },
        },
      }),
    };
  }

  /**
   * FILE's bytes (in the build folder DIR) when they had to be read and
   * checked; undefined when this version was checked before, in this
   * process or, through goodbot's cache (see BuildTreeCheck), an earlier one.
   */
  private verify(tool: ToolEntry, dir: string, file: string, expected: string | undefined): ModuleWithRoom | undefined {
    const path = join(dir, file);
    return this.trees.verifyFile(dir, file, () => {
      const read = readIfThere(path);
      if (read === undefined || createHash('sha256').update(read.bytes).digest('hex') !== expected) throw changedBuild(tool, file, path);
      return read;
    });
  }
}

function readIfThere(path: string): ModuleWithRoom | undefined {
  try {
    return readModuleFile(path);
  } catch {
    return undefined;
  }
}

function mountsOf(tool: ToolEntry, dir: string): ZoneSpec[] {
  return (tool.mounts ?? []).map((mount) => ({
    name: mountZoneName(tool, mount),
    kind: 'host',
    access: 'ro',
    guestPath: mount.guestPath,
    hostPath: join(dir, mount.from),
    internal: true,
  }));
}
