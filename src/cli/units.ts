// Value syntaxes runc's flags accept, parsed the way Go parses them:
// docker/go-units' RAMInBytes ("512m", "1.5g", "100 KiB") and Go's
// time.ParseDuration ("5s", "1m30s", "250ms").

const RAM_RE = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const RAM_MUL: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: binary multiples; throws "invalid size: '<s>'". */
export function ramInBytes(s: string): number {
  const m = RAM_RE.exec(s);
  const size = m ? Number.parseFloat(m[1]) : NaN;
  if (!m || !Number.isFinite(size)) throw new Error(`invalid size: '${s}'`);
  const mul = m[3] ? RAM_MUL[m[3].toLowerCase()] : 1;
  return Math.trunc(size * mul);
}

const DUR_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds (fractional); throws `time: invalid duration "<s>"`. */
export function parseGoDuration(s: string): number {
  const bad = (): never => {
    throw new Error(`time: invalid duration "${s}"`);
  };
  let rest = s;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') bad();
  let total = 0;
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (!m) {
      // a number without a unit is "missing unit" in Go; anything else is invalid
      bad();
    }
    const [all, numText, unit] = m!;
    if (numText === '' || numText === '.') bad();
    total += Number.parseFloat(numText) * DUR_UNITS[unit];
    rest = rest.slice(all.length);
  }
  return sign * total;
}
