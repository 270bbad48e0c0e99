// The portal works without this script. With it, the plan preview follows the form:
// the form is posted in the background as "Preview the plan" would post it, and the
// parts of the answer that changed (the preview, each field's messages) are swapped in.
// The answer is the server's own escaped HTML; nothing typed is put into the page here.
"use strict";
(function () {
  const form = document.getElementById("env-form");
  if (!form) return;
  let timer = null;
  // `form.action` would name the buttons called "action": read the attribute.
  let sent = 0;

  function swap(doc, selector) {
    const fresh = doc.querySelector(selector);
    const here = document.querySelector(selector);
    if (fresh && here) here.replaceWith(document.importNode(fresh, true));
  }

  function markFields(doc) {
    for (const field of form.querySelectorAll(".field, fieldset")) {
      const fresh = field.id && doc.getElementById(field.id);
      if (!fresh) continue;
      const errors = field.querySelector(":scope > .errors");
      const freshErrors = fresh.querySelector(":scope > .errors");
      if (errors && freshErrors) errors.replaceWith(document.importNode(freshErrors, true));
      field.classList.toggle("invalid", fresh.classList.contains("invalid"));
      const input = field.querySelector("input, select, textarea");
      if (input && field.classList.contains("field")) {
        if (fresh.classList.contains("invalid")) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      }
    }
  }

  async function preview() {
    const mine = ++sent;
    const body = new URLSearchParams(new FormData(form));
    body.set("action", "preview");
    document.getElementById("preview")?.setAttribute("aria-busy", "true");
    try {
      const answer = await fetch(form.getAttribute("action"), {
        method: "POST",
        body,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        credentials: "same-origin",
      });
      const html = await answer.text();
      if (mine !== sent) return; // a later preview is on its way
      const doc = new DOMParser().parseFromString(html, "text/html");
      swap(doc, "#preview");
      swap(doc, "#general");
      markFields(doc);
    } catch (e) {
      // Offline or the server is gone: the buttons still work.
    } finally {
      if (mine === sent) document.getElementById("preview")?.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 400);
  });
  form.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 100);
  });
})();
