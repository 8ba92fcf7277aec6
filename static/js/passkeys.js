// Passkeys (WebAuthn) for the profile, the sign-in page and the second sign-in step.
// Loaded only by those pages. Each ceremony is two POSTs with the page's CSRF token: the first
// gets options from the server, navigator.credentials makes or uses the passkey, the second
// sends the answer back. Binary fields travel as base64url strings in JSON both ways.
// The server checks everything (app/accounts/passkeys.py); this file only carries messages.
(function () {
  "use strict";
  // The page's language (templates/_js_text.html, read by app.js); the English is the fallback.
  function words(english) { return window.cozywishText ? window.cozywishText(english) : english; }

  var MESSAGES = {
    unsupported: words("This browser can't use passkeys. Use your password, or try an up-to-date browser."),
    cancelled: words("The passkey request was cancelled or timed out. Nothing was changed; try again when ready."),
    exists: words("This device already holds a passkey for your account."),
    security: words("Passkeys can't be used on this address."),
    network: words("We couldn't reach CozyWish. Check your connection and try again."),
    failed: words("Something went wrong with the passkey. Try again."),
  };

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create);
  }

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBuffer(item.id), transports: item.transports };
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var body = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      body.response.attestationObject = toText(response.attestationObject);
      body.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      body.response.authenticatorData = toText(response.authenticatorData);
      body.response.signature = toText(response.signature);
      body.response.userHandle = toText(response.userHandle);
    }
    return body;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // POST JSON; resolves with the parsed answer, rejects with a message a person can read.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(
      function (response) {
        var type = response.headers.get("Content-Type") || "";
        var parsed = type.indexOf("application/json") === 0 ? response.json() : Promise.resolve({});
        return parsed.then(function (data) {
          if (response.ok) return data;
          if (data.error) throw new Error(data.error);
          if (response.status === 400) throw new Error(words("Your page expired. Reload it and try again."));
          if (response.status === 429) throw new Error(words("Too many attempts. Please wait a few minutes and try again."));
          throw new Error(MESSAGES.failed);
        });
      },
      function () {
        throw new Error(MESSAGES.network);
      }
    );
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") return MESSAGES.cancelled;
    if (error && error.name === "AbortError") return MESSAGES.cancelled;
    if (error && error.name === "InvalidStateError") return MESSAGES.exists;
    if (error && error.name === "SecurityError") return MESSAGES.security;
    return (error && error.message) || MESSAGES.failed;
  }

  function say(control, text, kind) {
    var box = document.getElementById(control.dataset.message);
    if (!box) return;
    box.textContent = text;
    box.className = box.className.replace(/\btext-(danger|success|body-secondary)\b/g, "").trim();
    box.classList.add(kind === "error" ? "text-danger" : "text-body-secondary");
  }

  function checked(id) {
    var box = id ? document.getElementById(id) : null;
    return !!(box && box.checked);
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  // Options -> navigator.credentials -> answer -> follow the server's redirect.
  function ceremony(control, button, create, extra) {
    if (!supported()) {
      say(control, MESSAGES.unsupported, "error");
      return;
    }
    busy(button, true);
    say(control, words("Follow your browser's prompt to use your passkey…"), "info");
    post(control.dataset.optionsUrl)
      .then(function (options) {
        if (options.redirect) return options;
        var ask = create
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
        return ask.then(function (credential) {
          return post(control.dataset.url, Object.assign({ credential: credentialJSON(credential) }, extra()));
        });
      })
      .then(function (answer) {
        window.location.assign(answer.redirect);
      })
      .catch(function (error) {
        busy(button, false);
        say(control, explain(error), "error");
      });
  }

  function start() {
    var register = document.querySelector("[data-passkey-register]");
    if (register) {
      register.addEventListener("submit", function (event) {
        event.preventDefault();
        var name = register.querySelector('[name="name"]');
        if (!name.value.trim()) {
          say(register, words("Give the passkey a name, like “Work laptop” or “My phone”."), "error");
          name.focus();
          return;
        }
        ceremony(register, register.querySelector('[type="submit"]'), true, function () {
          return { name: name.value };
        });
      });
    }
    document.querySelectorAll("[data-passkey-sign-in]").forEach(function (button) {
      button.addEventListener("click", function () {
        ceremony(button, button, false, function () {
          return { next: button.dataset.next || null, remember: checked(button.dataset.remember) };
        });
      });
    });
    document.querySelectorAll("[data-passkey-second-factor]").forEach(function (button) {
      button.addEventListener("click", function () {
        ceremony(button, button, false, function () {
          return { remember_device: checked(button.dataset.rememberDevice) };
        });
      });
    });
    if (!supported()) {
      document.querySelectorAll("[data-passkey-register], [data-passkey-sign-in], [data-passkey-second-factor]").forEach(
        function (control) {
          say(control, MESSAGES.unsupported, "info");
        }
      );
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
