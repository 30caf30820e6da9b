// Marks the page as JavaScript-capable and starts the GOV.UK Frontend components.
// Served as a file so the Content-Security-Policy needs no inline script.
import { initAll } from '/static/govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// The GOV.UK timeout warning: 2 minutes before the idle timeout, ask whether to stay
// signed in; "Stay signed in" tells the server (which keeps the real clock), and when
// time runs out the page goes to sign-in rather than show data the session no longer covers.
const warning = document.getElementById('app-timeout-warning')
if (warning && typeof warning.showModal === 'function') {
  const idle = Number(warning.dataset.idleSeconds) * 1000
  const notice = 120 * 1000
  const countdown = warning.querySelector('[data-countdown]')
  let timers = []
  const schedule = () => {
    timers.forEach(clearTimeout)
    timers = [
      setTimeout(() => { warning.showModal() }, Math.max(idle - notice, 0)),
      setTimeout(() => { window.location.href = '/sign-in?timed_out=1' }, idle)
    ]
    const start = Date.now()
    const tick = () => {
      const left = Math.max(0, Math.round((idle - (Date.now() - start)) / 1000))
      countdown.textContent = left >= 60 ? `${Math.ceil(left / 60)} minutes` : `${left} seconds`
    }
    timers.push(setInterval(tick, 1000))
  }
  warning.querySelector('form').addEventListener('submit', async (event) => {
    if (event.submitter && event.submitter.hasAttribute('data-sign-out')) return
    event.preventDefault()
    const response = await fetch('/session/keep-alive', { method: 'POST', body: new FormData(event.target), credentials: 'same-origin' })
    if (response.status !== 204) { window.location.href = '/sign-in?timed_out=1'; return }
    warning.close()
    schedule()
  })
  warning.addEventListener('cancel', (event) => { event.preventDefault() })
  schedule()
}
