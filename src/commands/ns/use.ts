import {Args} from '@oclif/core'

import {KvCommand, helpText} from '../../cli/base-command.js'
import {DEFAULT_NAMESPACE, describeLocation, namespaceMissing, storeKey, storeLocation} from '../../cli/namespace.js'
import {message} from '../../cli/output.js'
import {saveDefaultNamespace} from '../../cli/settings.js'
import {checkNamespaceName} from '../../engine/limits.js'
import {namespaceExists} from '../../engine/open.js'

export default class NsUse extends KvCommand<typeof NsUse> {
  static override summary = 'Set the namespace commands use when -n is not given.'
  static override description = helpText(
    'For the store in use (--store, KV_STORE or kv store use; a local one by its data dir): other stores keep ' +
      'their own default. Saved in the user\'s settings file ($XDG_CONFIG_HOME/kv/config.json, or ' +
      '~/.config/kv/config.json). -n and KV_NAMESPACE still win over it. The namespace must exist in that store ' +
      '("default" always may be used); a missing one exits 1.',
  )
  static override enableJsonFlag = true
  static override args = {name: Args.string({description: 'Namespace to use by default.', required: true, ignoreStdin: true})}
  static override examples = ['<%= config.bin %> ns use sessions', '<%= config.bin %> ns use default']

  async run(): Promise<{defaultNamespace: string; store: string}> {
    const name = checkNamespaceName(this.args.name)
    const location = storeLocation(this.flags)
    // "default" comes into being on its first write, so it may be chosen before it exists.
    if (name !== DEFAULT_NAMESPACE && !(await namespaceExists(name, location))) throw namespaceMissing({name, saved: false}, location)
    const file = await saveDefaultNamespace(storeKey(location), name)
    const store = describeLocation(location)
    if (!this.jsonEnabled()) message(`commands on ${store} now use namespace "${name}" by default (saved in ${file})`)
    return {defaultNamespace: name, store}
  }
}
