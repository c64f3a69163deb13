import type {Express} from 'express'
import type {Store} from 'express-session'

export function sessionApp(store: Store, options?: {maxAge?: number}): Express
