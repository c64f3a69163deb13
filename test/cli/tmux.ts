import {execFileSync} from 'node:child_process'
import {afterEach} from 'vitest'

import {childEnv, KV_BIN} from '../helpers.js'

/**
 * Drives the real CLI in a real terminal: a detached tmux session runs `kv`, the test types with
 * send-keys and reads the screen with capture-pane, waiting for text to appear (never for fixed times).
 */

const sessions: TmuxSession[] = []
let counter = 0

afterEach(() => {
  for (const session of sessions.splice(0)) session.kill()
})

/** Quotes one word for sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`
}

const EXITED = /\[kv exited (\d+)\]/

export class TmuxSession {
  private constructor(private readonly socket: string) {}

  /** Starts `kv ARGS` in a fresh 200x50 terminal, with only `env` added to kv's environment. */
  static start(args: string[], env: Record<string, string>): TmuxSession {
    return TmuxSession.run([process.execPath, KV_BIN, ...args], env)
  }

  /** Starts any program (an interactive shell, say) the same way. */
  static run(argv: string[], env: Record<string, string>): TmuxSession {
    const socket = `kv-test-${process.pid}-${++counter}`
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`)
    const command = ['env', ...assignments, ...argv.map(shellQuote)].join(' ')
    // The pane stays open after kv ends, showing its exit code, until the session is killed.
    const script = `${command}; echo "[kv exited $?]"; exec sleep 600`
    const session = new TmuxSession(socket)
    sessions.push(session)
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '200', '-y', '50', 'sh', '-c', script], {
      env: childEnv({TMUX: undefined, TERM: 'xterm-256color'}),
    })
    return session
  }

  /** Everything the terminal shows, scrollback included. */
  screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J', '-S', '-'], {encoding: 'utf8'})
  }

  /** Waits until the screen shows `text`; returns the screen. Fails with the screen after `timeoutMs`. */
  async waitFor(text: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen
      if (EXITED.test(screen) && !(typeof text !== 'string' && text === EXITED)) {
        throw new Error(`kv ended before showing ${String(text)}; the screen was:\n${screen}`)
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; the screen was:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Presses keys by tmux name (Enter, Space, Down, C-c) or types literal characters. */
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', ...keys])
  }

  /** Types text literally (no key-name lookup). */
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-l', text])
  }

  /** Waits for kv to end; returns its exit code and the final screen. */
  async exit(): Promise<{code: number; screen: string}> {
    const screen = await this.waitFor(EXITED)
    return {code: Number(EXITED.exec(screen)![1]), screen}
  }

  kill(): void {
    try {
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], {stdio: 'ignore'})
    } catch {
      // Already gone.
    }
  }
}
