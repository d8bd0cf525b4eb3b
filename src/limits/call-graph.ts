/**
 * Which functions need a fuel check at entry. Only calls recurse, and a call
 * nested in a loop already runs after that loop's header check, so the
 * question is asked of the calls outside every loop: a function needs an
 * entry check when such calls can lead back to it (a cycle), or when the
 * code that can run from its entry before the next check is large (a
 * recursion-free call tree can still be exponential: each of 30 functions
 * calling the next one twice). Every other entry check is dropped: small
 * non-recursive functions (allocator wrappers, accessors) are called in hot
 * paths, and a check holds a call, around which V8 spills what is live.
 * Platform-neutral.
 *
 * The graph's nodes are the defined functions, the host (a call to an import
 * may come back through an export) and one node per function type that
 * stands for every function a `call_indirect` of that type may reach.
 */

/** At most about this much code (in body bytes, at least one per instruction) runs from an unchecked entry before a check. */
export const uncheckedCodeLimit = 100_000;

/** What the rewriter learned about each defined function's calls outside loops, and about references to functions. */
export class CallSites {
  /** Per defined function: its direct callees (function indices, imports included), one entry per call site. */
  private readonly directStart: number[] = [];
  private readonly direct: number[] = [];
  /** Per defined function: the canonical types of its indirect call sites. */
  private readonly indirectStart: number[] = [];
  private readonly indirect: number[] = [];
  private readonly cost: number[] = [];
  private readonly hasEntryCheck: boolean[] = [];
  /** Function indices (imports included) the host may call: exports and the start function. */
  readonly hostCalls = new Set<number>();
  /** Function indices whose reference is taken (elements, `ref.func`): what `call_indirect` may reach. */
  readonly addressTaken = new Set<number>();
  /** A table is imported or exported: the host may put any function there, and call what is there. */
  tablesExposed = false;

  /**
   * Adds the next defined function: its body size, whether it has an entry
   * check at all (some call outside loops), its direct callees and the
   * canonical types of its indirect calls (both outside loops).
   */
  addFunction(bodyBytes: number, hasEntryCheck: boolean, direct: readonly number[], indirect: readonly number[]): void {
    this.cost.push(bodyBytes);
    this.hasEntryCheck.push(hasEntryCheck);
    this.directStart.push(this.direct.length);
    for (const callee of direct) this.direct.push(callee);
    this.indirectStart.push(this.indirect.length);
    for (const type of indirect) this.indirect.push(type);
  }

  /**
   * Which defined functions keep their entry check. IMPORTED is the number
   * of imported functions (defined function i has index IMPORTED + i);
   * TYPE_OF gives a function index's canonical type.
   */
  entryChecks(imported: number, typeOf: (functionIndex: number) => number): boolean[] {
    return new CheckPlanner(this, imported, typeOf).plan();
  }

  get functionCount(): number {
    return this.cost.length;
  }
  bodyCost(fn: number): number {
    return this.cost[fn]!;
  }
  /** Has an entry check before planning (some call outside loops). */
  checked(fn: number): boolean {
    return this.hasEntryCheck[fn]!;
  }
  directCallees(fn: number): number[] {
    return this.direct.slice(this.directStart[fn]!, this.directStart[fn + 1] ?? this.direct.length);
  }
  indirectTypes(fn: number): number[] {
    return this.indirect.slice(this.indirectStart[fn]!, this.indirectStart[fn + 1] ?? this.indirect.length);
  }
}

/** Tarjan's strongly connected components, iterative (modules have 100k functions), over functions, the host and type nodes. */
class CheckPlanner {
  private readonly functions: number;
  private readonly host: number;
  /** Node of each canonical type some indirect call uses. */
  private readonly typeNode = new Map<number, number>();
  private readonly typeMembers: number[][] = [];
  /** Per node; a function's has one entry per call site outside loops (their unchecked code adds up). */
  private readonly successors: number[][] = [];
  private readonly hostTargets: number[] = [];

  constructor(
    private readonly sites: CallSites,
    imported: number,
    typeOf: (functionIndex: number) => number,
  ) {
    this.functions = sites.functionCount;
    this.host = this.functions;
    const hostReachesTables = sites.tablesExposed || [...sites.addressTaken].some((index) => index < imported);
    for (const index of sites.hostCalls) if (index >= imported) this.hostTargets.push(index - imported);
    if (sites.tablesExposed) for (const index of sites.addressTaken) if (index >= imported) this.hostTargets.push(index - imported);
    for (let fn = 0; fn < this.functions; fn++) {
      const next: number[] = [];
      for (const callee of sites.directCallees(fn)) next.push(callee < imported ? this.host : callee - imported);
      for (const type of sites.indirectTypes(fn)) {
        next.push(this.nodeOfType(type));
        if (hostReachesTables) next.push(this.host);
      }
      this.successors.push(next);
    }
    this.successors.push(this.hostTargets);
    for (const index of sites.addressTaken) {
      if (index < imported) continue;
      const node = this.typeNode.get(typeOf(index));
      if (node !== undefined) this.typeMembers[node - this.functions - 1]!.push(index - imported);
    }
    for (const members of this.typeMembers) this.successors.push(members);
  }

  private nodeOfType(type: number): number {
    let node = this.typeNode.get(type);
    if (node === undefined) {
      node = this.functions + 1 + this.typeMembers.length;
      this.typeNode.set(type, node);
      this.typeMembers.push([]);
    }
    return node;
  }

  plan(): boolean[] {
    const nodes = this.successors.length;
    const keep = Array.from({ length: this.functions }, (_, fn) => this.sites.checked(fn));
    /** Code that can run from a node's entry before a check (bytes), final once its component is done. */
    const unchecked = new Float64Array(nodes);
    const index = new Int32Array(nodes).fill(-1);
    const low = new Int32Array(nodes);
    const onStack = new Uint8Array(nodes);
    const stack: number[] = [];
    const work: Array<[node: number, next: number]> = [];
    let counter = 0;
    for (let root = 0; root < nodes; root++) {
      if (index[root] !== -1) continue;
      work.push([root, 0]);
      while (work.length > 0) {
        const frame = work[work.length - 1]!;
        const [node, next] = frame;
        if (next === 0) {
          index[node] = low[node] = counter++;
          stack.push(node);
          onStack[node] = 1;
        }
        const successors = this.successors[node]!;
        if (next < successors.length) {
          frame[1] = next + 1;
          const successor = successors[next]!;
          if (index[successor] === -1) work.push([successor, 0]);
          else if (onStack[successor]) low[node] = Math.min(low[node]!, index[successor]!);
          continue;
        }
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1]![0];
          low[parent] = Math.min(low[parent]!, low[node]!);
        }
        if (low[node] !== index[node]) continue;
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component.push(member);
        } while (member !== node);
        this.settle(component, keep, unchecked);
      }
    }
    return keep;
  }

  /** Decides a finished component's checks and unchecked code; every component it reaches is settled already. */
  private settle(component: number[], keep: boolean[], unchecked: Float64Array): void {
    const cyclic = component.length > 1 || this.successors[component[0]!]!.includes(component[0]!);
    const inside = cyclic ? new Set(component) : undefined;
    for (const node of component) {
      const successors = this.successors[node]!;
      if (node >= this.functions) {
        // The host or a type node: it calls one of its successors (max); those in a cycle with it keep their checks.
        let most = 0;
        for (const successor of successors) if (!inside?.has(successor)) most = Math.max(most, unchecked[successor]!);
        unchecked[node] = most;
        continue;
      }
      if (!this.sites.checked(node)) {
        unchecked[node] = this.sites.bodyCost(node); // no calls outside loops: at most its own body runs before a loop's check
        continue;
      }
      if (cyclic) continue; // in a cycle of calls outside loops: keeps its check, and a caller's unchecked code stops there
      let total = this.sites.bodyCost(node);
      for (const successor of successors) total += unchecked[successor]!;
      if (total > uncheckedCodeLimit) continue;
      keep[node] = false;
      unchecked[node] = total;
    }
  }
}
