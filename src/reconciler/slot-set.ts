// A set of slot numbers as a bitmap: what a lock's slots the bridge has read or written since it
// started. A Set of numbers costs about 20 bytes a slot (2.5 MiB for a thousand locks of 120
// slots); this costs one bit, growing with the highest slot added.
export class SlotSet {
  private bits = new Uint8Array(0);

  add(slot: number): void {
    const byte = slot >> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[byte]! |= 1 << (slot & 7);
  }

  has(slot: number): boolean {
    const byte = slot >> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (slot & 7))) !== 0;
  }
}
