/**
 * Short-lived byte arrays for the hot path. `new Uint8Array(n)` gives every array its own
 * ArrayBuffer, which V8 allocates, zeroes and tracks outside its heap: several times the cost
 * of the work done with it, plus GC pressure. Node's Buffer pool hands out slices of a shared
 * 8 KiB slab instead. The result is a plain Uint8Array view, uninitialised: write every byte.
 * A view pins its whole slab, so whatever must be kept long is copied (`new Uint8Array(view)`).
 */
export function scratch(n: number): Uint8Array {
  const b = Buffer.allocUnsafe(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}
