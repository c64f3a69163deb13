import {loadLazily} from './lazy.js'

/** Prints rows as a table on stdout (for a terminal). cli-table3 is loaded only when a table is printed. */
export async function writeTable(head: string[], rows: (string | number)[][], alignRight: number[] = []): Promise<void> {
  const Table = loadLazily<typeof import('cli-table3')>('cli-table3')
  const colAligns = head.map((_, i) => (alignRight.includes(i) ? 'right' : 'left') as 'right' | 'left')
  const table = new Table({head, colAligns, style: {head: [], border: []}})
  table.push(...rows.map((row) => row.map(String)))
  process.stdout.write(`${table.toString()}\n`)
}
