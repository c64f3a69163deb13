// The app the session tests drive over real HTTP, in the test process or in app processes of their own
// (children/session-server.mjs): express with express-session over the store it is given.
//   POST /login?user=NAME  a new session for NAME (regenerated, as a login should)
//   GET  /me               200 {user, visits, pid} while logged in, else 401 {pid}
//   POST /visit            counts a visit in the session
//   POST /logout           destroys the session
import express from 'express'
import session from 'express-session'

export function sessionApp(store, {maxAge} = {}) {
  const app = express()
  app.use(session({store, secret: 'kv session tests', resave: false, saveUninitialized: false, cookie: {maxAge}}))
  app.post('/login', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) return next(error)
      req.session.user = req.query.user
      res.json({user: req.session.user, pid: process.pid})
    })
  })
  app.get('/me', (req, res) => {
    if (req.session.user === undefined) return res.status(401).json({pid: process.pid})
    res.json({user: req.session.user, visits: req.session.visits ?? 0, pid: process.pid})
  })
  app.post('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1
    res.json({visits: req.session.visits, pid: process.pid})
  })
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({loggedOut: true})))
  })
  return app
}
