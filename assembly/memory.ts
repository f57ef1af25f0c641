/**
 * The memory layout shared by the WebAssembly modules: the caller lays out its data from
 * `base()`, after making the memory large enough with `reserve(bytes)`.
 */

/** Where the caller's layout starts (after the static data). */
export function base(): usize {
  return (__heap_base + 15) & ~(15 as usize);
}

/** Grows the memory to hold `bytes` from `base()`; false when it cannot grow. */
export function reserve(bytes: usize): bool {
  const need = base() + bytes;
  const have = (memory.size() as usize) << 16;
  if (need <= have) return true;
  return memory.grow(((need - have + 0xffff) >> 16) as i32) >= 0;
}
