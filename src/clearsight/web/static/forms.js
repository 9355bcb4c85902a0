// Forms marked data-keep are sent in the background: a refusal leaves the page as it was,
// the chosen files included (a server cannot fill a file input again), and only the error
// messages the service returned are put beside their fields.
"use strict";
(function () {
  function showErrors(form, returned) {
    const fresh = returned.getElementById(form.id);
    const messages = {};
    let formError = "";
    if (fresh) {
      fresh.querySelectorAll("[data-error-for]").forEach((el) => {
        if (!el.hidden) messages[el.dataset.errorFor] = el.textContent;
      });
      const top = fresh.querySelector(".form-error");
      if (top && !top.hidden) formError = top.textContent;
    } else {
      const message = returned.getElementById("error-message");
      formError = message ? message.textContent : "The request was refused.";
    }
    form.querySelectorAll("[data-error-for]").forEach((el) => {
      const text = messages[el.dataset.errorFor] || "";
      el.textContent = text;
      el.hidden = !text;
    });
    const top = form.querySelector(".form-error");
    if (top) {
      top.textContent = formError;
      top.hidden = !formError;
    }
    const first = form.querySelector("[data-error-for]:not([hidden]), .form-error:not([hidden])");
    if (first) first.scrollIntoView({ block: "center" });
  }

  document.querySelectorAll("form[data-keep]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      const label = button ? button.textContent : "";
      if (button) {
        button.disabled = true;
        button.textContent = "Working…";
      }
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
        });
        if (response.redirected) {
          window.location.assign(response.url);
          return;
        }
        const html = await response.text();
        if (response.ok) {
          document.open();
          document.write(html);
          document.close();
          return;
        }
        showErrors(form, new DOMParser().parseFromString(html, "text/html"));
      } catch (error) {
        showErrors(form, document.implementation.createHTMLDocument(""));
      } finally {
        if (button) {
          button.disabled = false;
          button.textContent = label;
        }
      }
    });
  });
})();
