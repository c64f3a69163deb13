import {Args, Flags} from '@oclif/core'

import {KvCommand, helpText} from '../cli/base-command.js'
import {actorFlag, expiresInFlag, fileFlag, metadataFlag} from '../cli/flags.js'
import {readValue} from '../cli/input.js'
import {writeJson} from '../cli/output.js'
import {KvError} from '../engine/errors.js'

export default class Put extends KvCommand<typeof Put> {
  static override summary = 'Store a value under a key.'
  static override description = helpText(
    'The value comes from VALUE, from --file, or from stdin when neither is given (read as bytes, binary-safe). ' +
      'A put replaces the whole entry: without --expires-in the key never expires (any expiration it had is removed), ' +
      'without --metadata it has none. With --if-absent it writes only when the key is missing or expired, and ' +
      'otherwise exits 3 leaving the value untouched: how CI seeds defaults without overwriting what an admin set. ' +
      'Prints nothing on success; --json prints {key, written}.',
  )
  static override enableJsonFlag = true
  static override args = {
    key: Args.string({description: 'Key to write (1 to 512 bytes of UTF-8).', required: true, ignoreStdin: true}),
    value: Args.string({description: 'Value to store (up to 25 MiB); omit to read --file or stdin.', ignoreStdin: true}),
  }
  static override flags = {
    'expires-in': expiresInFlag,
    file: fileFlag,
    metadata: metadataFlag,
    'if-absent': Flags.boolean({description: 'Write only if the key is missing or expired; otherwise exit 3 and change nothing.'}),
    actor: actorFlag,
  }
  static override examples = [
    '<%= config.bin %> put greeting hello --expires-in 1h',
    '<%= config.bin %> put feature-flags --file flags.json --metadata \'{"owner":"ana","ticket":"OPS-17"}\'',
    'cat avatar.png | <%= config.bin %> put avatar:42',
    '<%= config.bin %> put flag:new-checkout off --if-absent || [ $? -eq 3 ]',
    '<%= config.bin %> put counter -- -2',
  ]

  async run(): Promise<{key: string; written: boolean}> {
    const {key} = this.args
    const value = await readValue({argument: this.args.value, file: this.flags.file})
    const {name, written} = await this.withNamespace({creates: true}, async (namespace) => ({
      name: namespace.name,
      written: await namespace.put(key, value, {expiresIn: this.flags['expires-in'], metadata: this.flags.metadata, ifAbsent: this.flags['if-absent']}),
    }))
    if (!written) {
      // Scripts that asked for JSON get the outcome on stdout too, then the conflict like any failure.
      if (this.jsonEnabled()) writeJson({key, written})
      throw new KvError('CONFLICT', `key ${JSON.stringify(key)} already exists in namespace "${name}"; nothing written (--if-absent)`)
    }
    return {key, written}
  }
}
