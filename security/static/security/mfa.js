// The portal's MFA pages: starts allauth's WebAuthn forms from data attributes (allauth does it from
// inline JSON, which the strict CSP forbids), and shows security-key options only where the browser
// can use one.
(function () {
  'use strict'

  function start () {
    var canUseKeys = typeof window.PublicKeyCredential !== 'undefined'
    document.querySelectorAll('[data-needs-webauthn]').forEach(function (element) {
      element.hidden = !canUseKeys
    })
    document.querySelectorAll('[data-lacks-webauthn]').forEach(function (element) {
      element.hidden = canUseKeys
    })
    if (!canUseKeys || !window.allauth || !window.allauth.webauthn) {
      return
    }
    document.querySelectorAll('[data-webauthn-form]').forEach(function (button) {
      var kind = button.dataset.webauthnForm
      var ids = { credential: button.dataset.credential, data: button.dataset.options }
      if (kind === 'addForm') {
        ids.add = button.id
        ids.passwordless = button.dataset.passwordless
      } else {
        ids.authenticate = button.id
      }
      window.allauth.webauthn.forms[kind]({ ids: ids })
    })
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start)
  } else {
    start()
  }
})()
