import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {expiresInFlag, fileFlag} from '../cli/flags.js'
import {readValue} from '../cli/input.js'

export default class Put extends KvCommand<typeof Put> {
  static override summary = 'Store a value under a key.'
  static override description = helpText(
    'The value comes from VALUE, from --file, or from stdin when neither is given (read as bytes, binary-safe). ' +
      'Without --expires-in the key never expires, and any expiration it had is removed. Prints nothing on success.',
  )
  static override args = {
    key: Args.string({description: 'Key to write (1 to 512 bytes of UTF-8).', required: true, ignoreStdin: true}),
    value: Args.string({description: 'Value to store (up to 25 MiB); omit to read --file or stdin.', ignoreStdin: true}),
  }
  static override flags = {'expires-in': expiresInFlag, file: fileFlag}
  static override examples = [
    '<%= config.bin %> put greeting hello --expires-in 1h',
    '<%= config.bin %> put feature-flags --file flags.json',
    'cat avatar.png | <%= config.bin %> put avatar:42',
    '<%= config.bin %> put counter -- -2',
  ]

  async run(): Promise<void> {
    const value = await readValue({argument: this.args.value, file: this.flags.file})
    await this.withNamespace({creates: true}, (namespace) =>
      namespace.put(this.args.key, value, {expiresIn: this.flags['expires-in']}),
    )
  }
}
