import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {saveSetting} from '../../cli/settings.js'
import {DEFAULT_NAMESPACE, storeLocation} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'
import {KvError} from '../../engine/errors.js'
import {checkNamespaceName} from '../../engine/limits.js'
import {namespaceExists} from '../../engine/open.js'

export default class NsUse extends KvCommand<typeof NsUse> {
  static override summary = 'Set the namespace commands use when -n is not given.'
  static override description = helpText(
    'Saved in the user\'s settings file ($XDG_CONFIG_HOME/kv/config.json, or ~/.config/kv/config.json). ' +
      '-n and KV_NAMESPACE still win over it. The namespace must exist ("default" always may be used); ' +
      'a missing one exits 1.',
  )
  static override enableJsonFlag = true
  static override args = {name: Args.string({description: 'Namespace to use by default.', required: true, ignoreStdin: true})}
  static override examples = ['<%= config.bin %> ns use sessions', '<%= config.bin %> ns use default']

  async run(): Promise<{defaultNamespace: string}> {
    const name = checkNamespaceName(this.args.name)
    // "default" comes into being on its first write, so it may be chosen before it exists.
    if (name !== DEFAULT_NAMESPACE && !(await namespaceExists(name, storeLocation(this.flags)))) {
      throw new KvError('NAMESPACE_NOT_FOUND', `namespace "${name}" not found: create it first with kv ns create ${name}`)
    }
    const file = await saveSetting('defaultNamespace', name)
    if (!this.jsonEnabled()) message(`commands now use namespace "${name}" by default (saved in ${file})`)
    return {defaultNamespace: name}
  }
}
