// Phase timings for performance work: SKIFF_TRACE=1 prints, at exit, the
// milliseconds since process start at each mark (stderr). Free when off.
const on = !!process.env.SKIFF_TRACE;
const marks: [string, number][] = [];

export function mark(name: string): void {
  if (!on) return;
  if (!marks.length) process.once('exit', () => process.stderr.write(marks.map(([n, t]) => `trace ${t.toFixed(1).padStart(7)} ms  ${n}\n`).join('')));
  marks.push([name, performance.now()]);
}
