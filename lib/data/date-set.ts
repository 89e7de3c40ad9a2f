/**
 * A set of day numbers (days since 1970-01-01) as a bitmap over the span seen so far: one bit a
 * calendar day, so a ticker's five years of dates take about 230 bytes whatever its row count.
 */
export class DateSet {
  private base = 0;
  private bits = new Uint8Array(0);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `day`; false when it was already in the set. */
  add(day: number): boolean {
    if (this.bits.length === 0) {
      this.base = day - 64;
      this.bits = new Uint8Array(32);
    }
    if (day < this.base || day >= this.base + this.bits.length * 8) this.grow(day);
    const i = day - this.base;
    const mask = 1 << (i & 7);
    if (this.bits[i >> 3] & mask) return false;
    this.bits[i >> 3] |= mask;
    this.count++;
    return true;
  }

  /** Widens the span to cover `day`, with as much room again on each side, in whole bytes so old bits copy over. */
  private grow(day: number): void {
    const len = this.bits.length;
    const end = this.base + len * 8;
    const below = (day < this.base ? Math.ceil((this.base - day) / 8) : 0) + len;
    const above = (day >= end ? Math.ceil((day + 1 - end) / 8) : 0) + len;
    const bits = new Uint8Array(below + len + above);
    bits.set(this.bits, below);
    this.base -= below * 8;
    this.bits = bits;
  }

  /** The days in increasing order. */
  toArray(): Int32Array {
    const out = new Int32Array(this.count);
    let i = 0;
    const bits = this.bits;
    for (let b = 0; b < bits.length; b++) {
      const v = bits[b];
      if (v === 0) continue;
      for (let k = 0; k < 8; k++) if (v & (1 << k)) out[i++] = this.base + b * 8 + k;
    }
    return out;
  }
}
