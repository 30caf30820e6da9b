// Marks the page as JavaScript-capable and starts the GOV.UK Frontend components.
// Served as a file so the Content-Security-Policy needs no inline script.
import { initAll } from '/static/govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
