/** The exports of ruby.wasm's legacy wit-bindgen API that the driver calls. */
export const rubyExports = {
  rubyInit: 'ruby-init: func(args: list<string>) -> ()',
  evalProtect: 'rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>',
} as const;

const encoder = new TextEncoder();

/**
 * The reactor's imports beside the preview1 face: the resource intrinsics of
 * the legacy canonical ABI, and ruby.wasm's JS bridge, whose calls trap.
 */
export function rubyAbiImports(module: WebAssembly.Module): WebAssembly.Imports {
  // rb-abi-value handles the guest gives us (we never keep values; one slot per handle).
  const handles: number[] = [];
  const canonicalAbi: Record<string, (...args: number[]) => number | void> = {
    'resource_new_rb-abi-value': (value) => handles.push(value) - 1,
    'resource_get_rb-abi-value': (handle) => {
      const value = handles[handle];
      if (value === undefined) throw new WebAssembly.RuntimeError(`ruby: invalid rb-abi-value handle ${handle}`);
      return value;
    },
    'resource_drop_js-abi-value': () => {},
  };
  const jsBridge: Record<string, () => never> = {};
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.module !== 'rb-js-abi-host') continue;
    const name = entry.name.split(':')[0]!;
    jsBridge[entry.name] = () => {
      throw new WebAssembly.RuntimeError(`ruby: the JS bridge is not available in goodbot (rb-js-abi-host ${name})`);
    };
  }
  return { canonical_abi: canonicalAbi, 'rb-js-abi-host': jsBridge };
}

/** The calls of the legacy canonical ABI the driver makes. */
export class RubyAbi {
  readonly memory: WebAssembly.Memory;
  private readonly realloc: (ptr: number, oldSize: number, align: number, size: number) => number;

  constructor(private readonly instance: WebAssembly.Instance) {
    this.memory = instance.exports['memory'] as WebAssembly.Memory;
    this.realloc = instance.exports['cabi_realloc'] as RubyAbi['realloc'];
  }

  /** The reactor's `_initialize` (the C runtime's constructors). */
  initialize(): void {
    (this.instance.exports['_initialize'] as () => void)();
  }

  /** `ruby-init(args)`: each string NUL-terminated (the guest uses them as C strings). */
  rubyInit(args: readonly string[]): void {
    const list = this.realloc(0, 0, 4, args.length * 8);
    args.forEach((arg, i) => {
      const [ptr, len] = this.string(`${arg}\0`);
      const view = new DataView(this.memory.buffer);
      view.setInt32(list + i * 8, ptr, true);
      view.setInt32(list + i * 8 + 4, len, true);
    });
    (this.instance.exports[rubyExports.rubyInit] as (ptr: number, len: number) => void)(list, args.length);
  }

  /** `rb-eval-string-protect(source)`: the protect state (0: no exception). */
  evalProtect(source: string): number {
    const [ptr, len] = this.string(`${source}\0`);
    const ret = (this.instance.exports[rubyExports.evalProtect] as (ptr: number, len: number) => number)(ptr, len);
    return new DataView(this.memory.buffer).getInt32(ret + 4, true);
  }

  private string(text: string): [number, number] {
    const bytes = encoder.encode(text);
    const ptr = this.realloc(0, 0, 1, bytes.length);
    new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }
}
