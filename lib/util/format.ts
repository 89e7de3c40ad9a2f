/** Number formatting shared by the CLI, notebooks and reports. */

/** A size for people, in binary units: `512 MiB`, `1.5 GiB`, `812 B`. */
export function formatBytes(bytes: number, digits = 3): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = i === 0 ? String(Math.round(v)) : String(Number(v.toPrecision(digits)));
  return `${sign}${text} ${units[i]}`;
}
