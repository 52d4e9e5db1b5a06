/**
 * Iterates `source` one item ahead: while the caller works on item n, item n+1 is already being fetched, so network
 * and database time overlap. Holds at most two items in memory.
 */
export async function* prefetched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = iterator.next();
      // A rejection of the look-ahead surfaces at the next await; keep it from being reported as unhandled meanwhile.
      next.catch(() => {});
      yield current.value;
    }
  } finally {
    await iterator.return?.();
  }
}
