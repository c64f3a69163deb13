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

/** When `expiresAt` (ms since the epoch) comes: "no expiry", "expires in 45s", "… in 3m", "… in 2h", "… in 6d". */
export function humanExpiry(expiresAt: number | null, now = Date.now()): string {
  if (expiresAt === null) return 'no expiry'
  const seconds = Math.max(0, Math.round((expiresAt - now) / 1000))
  if (seconds < 90) return `expires in ${seconds}s`
  const minutes = seconds / 60
  if (minutes < 90) return `expires in ${Math.round(minutes)}m`
  const hours = minutes / 60
  if (hours < 48) return `expires in ${Math.round(hours)}h`
  return `expires in ${Math.round(hours / 24)}d`
}

/** "1 key", "3 keys". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/** A namespace's history setting in words: "keeps no history", "keeps history for 30 days, at most 100000 revisions". */
export function describeRetention(retention: false | {maxAge: number | null; maxRevisions: number | null}): string {
  if (retention === false) return 'keeps no history'
  const bounds = [retention.maxAge === null ? '' : `for ${humanDuration(retention.maxAge)}`, retention.maxRevisions === null ? '' : `at most ${retention.maxRevisions} revisions`]
  return `keeps history ${bounds.filter(Boolean).join(', ')}`
}

/** A duration in seconds as the largest whole unit it is: "30 days", "12 hours", "90 seconds". */
export function humanDuration(seconds: number): string {
  for (const [unit, size] of [['day', 86_400], ['hour', 3600], ['minute', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, unit)
  }
  return plural(seconds, 'second')
}

/** A history setting as `--history` takes it: "off", "30d,100000". */
export function retentionSpec(retention: false | {maxAge: number | null; maxRevisions: number | null}): string {
  if (retention === false) return 'off'
  const age = retention.maxAge === null ? [] : [retention.maxAge % 86_400 === 0 ? `${retention.maxAge / 86_400}d` : retention.maxAge % 3600 === 0 ? `${retention.maxAge / 3600}h` : `${retention.maxAge}s`]
  return [...age, ...(retention.maxRevisions === null ? [] : [String(retention.maxRevisions)])].join(',')
}
