// A bounded list of lines: the log document never grows past `capacity` lines, however long it tails.
export class LineRing {
  private readonly lines: string[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.lines = new Array<string>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(line: string): void {
    const end = (this.start + this.count) % this.capacity;
    this.lines[end] = line;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  toArray(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.lines[(this.start + i) % this.capacity]!;
    return out;
  }

  text(): string {
    return this.count === 0 ? '' : this.toArray().join('\n') + '\n';
  }
}

/** Splits a stream of chunks into whole lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const parts = (this.rest + chunk).split('\n');
    this.rest = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  flush(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}
