// Preloaded into a relay process under test (`node --expose-gc --import <this>`): SIGUSR2
// runs a full garbage collection, then writes a line to stderr, so a test can compare the
// heap after a full GC (GET /metrics) with the heap before its load.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stderr.write('{"msg":"test.gc_done"}\n');
});
