/** What the pool keeps: something that waits, can say whether it still fits, and is disposed of. */
export interface WarmItem<Shape> {
  fits(shape: Shape): boolean;
  idle(waiting: boolean): void;
  dispose(): Promise<void>;
}

interface Waiting<Item> {
  readonly item: Item;
  readonly expiry: ReturnType<typeof setTimeout>;
}

/**
 * Items made ahead, at most one per shape (a policy's key) and at most
 * {@link maxShapes} shapes, each dropped after {@link idleMs} unused. A
 * shape gets one once a run of it has asked (so a policy used once costs
 * one cold start and one item that expires); a run takes it only if it
 * still fits, and a new one is made after each run.
 */
export class WarmSandboxes<Shape, Item extends WarmItem<Shape>> {
  private readonly waiting = new Map<string, Waiting<Item>>();
  private readonly making = new Set<string>();

  constructor(
    private readonly make: (shape: Shape) => Item,
    readonly maxShapes = 4,
    readonly idleMs = 30_000,
  ) {}

  /** The item waiting for KEY if it fits SHAPE (one that does not is disposed of), else undefined. */
  take(key: string, shape: Shape): Item | undefined {
    const entry = this.waiting.get(key);
    if (entry === undefined) return undefined;
    this.waiting.delete(key);
    clearTimeout(entry.expiry);
    if (entry.item.fits(shape)) return entry.item;
    void entry.item.dispose();
    return undefined;
  }

  /**
   * Makes an item for KEY in the background (after the current turn, so the
   * run that asked gets its result first), unless one waits or is being made.
   */
  refill(key: string, shape: Shape): void {
    if (this.waiting.has(key) || this.making.has(key)) return;
    this.making.add(key);
    setImmediate(() => {
      this.making.delete(key);
      if (this.waiting.has(key)) return;
      let item: Item;
      try {
        item = this.make(shape);
      } catch {
        return; // the next run of this shape is a cold one, which reports why
      }
      item.idle(true);
      const oldest = this.waiting.size >= this.maxShapes ? this.waiting.keys().next().value : undefined;
      if (oldest !== undefined) void this.drop(oldest);
      const expiry = setTimeout(() => void this.drop(key), this.idleMs);
      expiry.unref();
      this.waiting.set(key, { item, expiry });
    }).unref();
  }

  /** How many items wait. */
  get size(): number {
    return this.waiting.size;
  }

  /** Disposes of every waiting item. */
  async clear(): Promise<void> {
    await Promise.all([...this.waiting.keys()].map((key) => this.drop(key)));
  }

  private drop(key: string): Promise<void> {
    const entry = this.waiting.get(key);
    if (entry === undefined) return Promise.resolve();
    this.waiting.delete(key);
    clearTimeout(entry.expiry);
    return entry.item.dispose();
  }
}
