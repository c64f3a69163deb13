/** Sizes and times shown to a person (tables and prompts); JSON output always carries raw numbers. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** 1536 -> "1.5 KiB": binary units, one decimal below 10 of a unit. */
export function humanBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  if (unit === 0) return `${value} B`
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`
}

/** How long until `expiresAt` (ms since the epoch): "never", "in 45s", "in 3m", "in 2h", "in 6d". */
export function humanExpiry(expiresAt: number | null, now = Date.now()): string {
  if (expiresAt === null) return 'never'
  const seconds = Math.max(0, Math.round((expiresAt - now) / 1000))
  if (seconds < 120) return `in ${seconds}s`
  if (seconds < 7200) return `in ${Math.round(seconds / 60)}m`
  if (seconds < 172_800) return `in ${Math.round(seconds / 3600)}h`
  return `in ${Math.round(seconds / 86_400)}d`
}

/** "1 key", "3 keys". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
